/** Reading a request: its JSON body (validated), the body's size limit, and ids in the path. */
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { HttpError } from '../errors.ts';
import { exceedsJsonDepth, findForbiddenKey } from '../validate.ts';

/** Arrays and objects nested deeper than this are refused (a push is 6 levels deep). */
const MAX_JSON_DEPTH = 64;

/** The largest id or change number the database holds (PostgreSQL integer). */
export const MAX_INT4 = 2_147_483_647;

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'Send the body as JSON (Content-Type: application/json).');
  const text = await c.req.text();
  if (exceedsJsonDepth(text, MAX_JSON_DEPTH))
    throw new HttpError(400, `The body has nesting deeper than ${MAX_JSON_DEPTH} levels, which is not accepted.`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `The body is not valid JSON: ${(e as Error).message}`);
  }
  const bad = findForbiddenKey(data);
  if (bad) throw new HttpError(400, `The body has ${bad}, which is not accepted.`);
  const r = schema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
    throw new HttpError(
      400,
      `The body is not what this route takes: ${issues.join('; ')}${r.error.issues.length > 5 ? ` (and ${r.error.issues.length - 5} more)` : ''}.`,
    );
  }
  return r.data as z.infer<S>;
}

/** A route's body limit: a larger body is refused (413) before it is read. */
export function limit(bytes: number) {
  return bodyLimit({
    maxSize: bytes,
    onError: () => {
      throw new HttpError(
        413,
        `The body is larger than this route takes (${bytes >= 1048576 ? `${bytes / 1048576} MB` : `${bytes / 1024} KB`}).`,
        'Send less at once.',
      );
    },
  });
}

/** An id in the path (or a query): a positive whole number, else 404. */
export function intParam(v: string | undefined): number {
  if (!v || !/^[1-9]\d{0,8}$/.test(v)) throw new HttpError(404, 'No such project or record: ids are positive whole numbers.');
  return Number(v);
}
