/** A project's image files, named by the SHA-256 of their content: upload (admins) and download. */
import type { Hono } from 'hono';
import { HttpError } from '../errors.ts';
import { SHA256 } from '../files.ts';
import { BODY_LIMITS } from '../validate.ts';
import { ANY, type Env, type RouteContext } from './context.ts';

export function fileRoutes(app: Hono<Env>, { service, files, authed, role }: RouteContext): void {
  app.put('/api/projects/:pid/files/:sha', authed, async (c) => {
    const { pid } = await role(c, ['admin']);
    const sha = c.req.param('sha') ?? '';
    if (!SHA256.test(sha)) throw new HttpError(400, 'A file is named by the SHA-256 of its content: 64 hex digits (0-9, a-f).');
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > BODY_LIMITS.file) throw new HttpError(413, `The file is larger than ${BODY_LIMITS.file / 1048576} MB.`);
    const known = await service.fileOf(pid, sha);
    if (known && files.has(sha)) return c.json({ sha256: sha, size: known.size, mime: known.mime });
    const body = c.req.raw.body;
    if (!body) throw new HttpError(400, 'The file is empty.');
    const { size, mime } = await files.put(sha, body as unknown as AsyncIterable<Uint8Array>, BODY_LIMITS.file);
    await service.addFile(pid, sha, size, mime);
    return c.json({ sha256: sha, size, mime }, 201);
  });

  app.get('/api/projects/:pid/files/:sha', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const sha = c.req.param('sha') ?? '';
    if (!SHA256.test(sha)) throw new HttpError(404, 'No such file.');
    const f = await service.fileOf(pid, sha);
    if (!f || !files.has(sha)) throw new HttpError(404, 'No such file in this project.');
    const { body, size } = files.stream(sha);
    return new Response(body, {
      headers: {
        'Content-Type': f.mime,
        'Content-Length': String(size),
        'Cache-Control': 'private, max-age=31536000, immutable',
        ETag: `"${sha}"`,
      },
    });
  });
}
