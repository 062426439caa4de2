/** Pre-annotation runs on the workers: queue one (admins), list runs and workers, cancel one. */
import type { Hono } from 'hono';
import { checkAmgParams, DEFAULT_AMG_PARAMS } from '../../core/sam/amg.ts';
import { parseClassMap } from '../../core/sam/classMap.ts';
import { HttpError } from '../errors.ts';
import { intParam, limit, readJson } from '../http/request.ts';
import { cancelRun, listRuns, listWorkers, queueRun } from '../preannotate.ts';
import { BODY_LIMITS, preannotateBody } from '../validate.ts';
import { ANY, type Env, type RouteContext } from './context.ts';

export function preannotateRoutes(app: Hono<Env>, { opts, service, authed, role }: RouteContext): void {
  app.post('/api/projects/:pid/preannotate', authed, limit(BODY_LIMITS.push), async (c) => {
    const { pid } = await role(c, ['admin']);
    const body = await readJson(c, preannotateBody);
    if (!opts.queue) throw new HttpError(503, 'This server has no work queue, so it cannot pre-annotate.', 'Start it with npm run server.');
    if (opts.workers === 0)
      throw new HttpError(
        409,
        'No worker can take this run: the server keeps its data in its embedded database, which only its own workers reach, and it has none.',
        'Restart it with --workers 1, or run it on PostgreSQL (DATABASE_URL) and start npm run worker processes.',
      );
    if (body.amg) {
      try {
        checkAmgParams({ ...DEFAULT_AMG_PARAMS, ...body.amg });
      } catch (e) {
        throw new HttpError(400, `Segment everything: ${(e as Error).message}.`);
      }
    }
    if (body.classMap) {
      try {
        parseClassMap(body.classMap);
      } catch (e) {
        throw new HttpError(400, `Class map: ${(e as Error).message}.`, 'Write it as 1=person, 2=car.');
      }
    }
    const r = await queueRun(service, opts.queue, pid, c.get('session').user.id, body);
    return c.json({ ...r, run: (await listRuns(service.db, pid, r.runId))[0] }, 201);
  });
  app.get('/api/projects/:pid/preannotate', authed, async (c) => {
    const { pid } = await role(c, ANY);
    return c.json({
      runs: await listRuns(service.db, pid),
      workers: await listWorkers(service.db),
      workerMode: opts.workers ?? 'external',
    });
  });
  app.post('/api/projects/:pid/preannotate/:rid/cancel', authed, async (c) => {
    const { pid } = await role(c, ['admin']);
    const rid = intParam(c.req.param('rid'));
    const cancelled = await cancelRun(service.db, pid, rid);
    return c.json({ cancelled, run: (await listRuns(service.db, pid, rid))[0] });
  });
}
