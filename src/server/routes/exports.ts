/** A project's data out and in: COCO JSON, mask PNG and YOLO exports (streamed), and a COCO file merged in by an admin. */
import type { Hono } from 'hono';
import { parseCoco } from '../../core/coco/import.ts';
import { HttpError } from '../errors.ts';
import { cocoJsonChunks, importCoco, loadProject, maskPngZip, yoloZip } from '../export.ts';
import { limit, readJson } from '../http/request.ts';
import { AUDIT_KEYS, exportAudit } from '../jobs.ts';
import { BODY_LIMITS, cocoBody } from '../validate.ts';
import { ANY, type Env, type RouteContext } from './context.ts';

const zipResponse = (body: ReadableStream<Uint8Array>, name: string, kind: string) =>
  new Response(body, {
    headers: {
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="${name.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'project'}.${kind}.zip"`,
    },
  });

export function exportRoutes(app: Hono<Env>, { service, files, authed, role }: RouteContext): void {
  app.get('/api/projects/:pid/export/coco', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const segmentation = c.req.query('segmentation') ?? 'rle';
    if (segmentation !== 'rle' && segmentation !== 'polygon') throw new HttpError(400, '`segmentation` is rle or polygon.');
    const proposals = c.req.query('proposals') ?? 'include';
    if (proposals !== 'include' && proposals !== 'exclude') throw new HttpError(400, '`proposals` is include or exclude.');
    const unreviewed = c.req.query('unreviewed') ?? 'include';
    if (unreviewed !== 'include' && unreviewed !== 'exclude') throw new HttpError(400, '`unreviewed` is include or exclude.');
    const info = await service.project(pid, 'admin');
    const project = await loadProject(service, pid, info.name);
    const audit = await exportAudit(service.db, pid);
    const chunks = cocoJsonChunks(project, {
      segmentation,
      proposals,
      attributes: audit.attributes,
      auditKeys: AUDIT_KEYS,
      ...(unreviewed === 'exclude' ? { keep: audit.reviewed } : {}),
    });
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        let text = '';
        for (let n = 0; n < 200; n++) {
          const next = chunks.next();
          if (next.done) {
            if (text) ctl.enqueue(enc.encode(text));
            ctl.close();
            return;
          }
          text += next.value;
        }
        ctl.enqueue(enc.encode(text));
      },
    });
    const safeName = info.name.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'project';
    return new Response(body, {
      headers: { 'Content-Type': 'application/json', 'Content-Disposition': `attachment; filename="${safeName}.coco.json"` },
    });
  });

  app.get('/api/projects/:pid/export/masks', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const info = await service.project(pid, 'admin');
    return zipResponse(maskPngZip(await loadProject(service, pid, info.name)), info.name, 'masks');
  });

  app.get('/api/projects/:pid/export/yolo', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const info = await service.project(pid, 'admin');
    const project = await loadProject(service, pid, info.name);
    return zipResponse(
      yoloZip(project, (sha) => (files.has(sha) ? files.pathOf(sha) : null)),
      info.name,
      'yolo',
    );
  });
}

export function importRoutes(app: Hono<Env>, { service, authed, role }: RouteContext): void {
  // a COCO file merged into the project by the server (admins): the others pull what it added
  app.post('/api/projects/:pid/import/coco', authed, limit(BODY_LIMITS.import), async (c) => {
    const { pid } = await role(c, ['admin']);
    const data = await readJson(c, cocoBody);
    // a file that is not COCO: a CocoFormatError, answered 400 (http/errorHandler.ts)
    const imp = parseCoco(data);
    const info = await service.project(pid, 'admin');
    return c.json(await importCoco(service, pid, info.name, c.get('session').user, imp));
  });
}
