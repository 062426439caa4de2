/** Sync: id blocks, pushes, pulls (changes after a number), the current records in pages, a record's history. */
import type { Hono } from 'hono';
import type { Collection } from '../../core/project/changes.ts';
import { MAX_PULL_CHANGES } from '../../core/sync/protocol.ts';
import { HttpError } from '../errors.ts';
import { intParam, limit, MAX_INT4, readJson } from '../http/request.ts';
import { BODY_LIMITS, collection, idsBody, parseOpsInSlices, pushFrame } from '../validate.ts';
import { ANY, type Env, type RouteContext } from './context.ts';

export function syncRoutes(app: Hono<Env>, { service, authed, role }: RouteContext): void {
  app.post('/api/projects/:pid/ids', authed, limit(BODY_LIMITS.small), async (c) => {
    const { pid, role: r } = await role(c, ['admin', 'annotator']);
    const body = await readJson(c, idsBody);
    const [first, last] = await service.reserveIdsFor(pid, c.get('session').user, r, body.coll, body.count);
    return c.json({ first, last });
  });

  app.post('/api/projects/:pid/push', authed, limit(BODY_LIMITS.push), async (c) => {
    const { pid, role: r } = await role(c, ANY);
    const frame = await readJson(c, pushFrame);
    // operations that are not what the route takes: an OpsError, answered 400 (http/errorHandler.ts)
    const ops = await parseOpsInSlices(frame.ops);
    return c.json(await service.push(pid, c.get('session').user, r, { clientId: frame.clientId, ops } as never, true));
  });

  app.get('/api/projects/:pid/changes', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const since = Number(c.req.query('since') ?? '0');
    if (!Number.isInteger(since) || since < 0 || since > MAX_INT4)
      throw new HttpError(400, `\`since\` is a change number (a whole number from 0 to ${MAX_INT4}).`);
    const lim = Math.min(Number(c.req.query('limit') ?? MAX_PULL_CHANGES) || MAX_PULL_CHANGES, MAX_PULL_CHANGES);
    return c.json(await service.changes(pid, since, Math.max(1, lim)));
  });

  app.get('/api/projects/:pid/records', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const after = c.req.query('after');
    let from: { coll: Collection; id: number } | null = null;
    if (after) {
      const m = /^([a-zA-Z]+):(\d{1,10})$/.exec(after);
      const coll = m ? collection.safeParse(m[1]) : null;
      if (!m || !coll?.success || Number(m[2]) > MAX_INT4)
        throw new HttpError(400, '`after` is the `next` of the previous page (collection:id, an id up to 2147483647).');
      from = { coll: coll.data, id: Number(m[2]) };
    }
    return c.json(await service.records(pid, from));
  });

  app.get('/api/projects/:pid/history/:coll/:rid', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const coll = collection.safeParse(c.req.param('coll'));
    if (!coll.success) throw new HttpError(404, 'No such collection.');
    return c.json({ versions: await service.history(pid, coll.data, intParam(c.req.param('rid'))) });
  });
}
