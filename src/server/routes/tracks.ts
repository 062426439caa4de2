/** Video propagation on the workers: queue a run of one track (admins; annotators on frames they may write), list runs, cancel one. */
import type { Hono } from 'hono';
import { HttpError } from '../errors.ts';
import { intParam, limit, readJson } from '../http/request.ts';
import { listWorkers } from '../preannotate.ts';
import { cancelTrackRun, queueTrackRun } from '../tracks/queue.ts';
import { listTrackRuns } from '../tracks/status.ts';
import { BODY_LIMITS, trackPropagateBody } from '../validate.ts';
import { ANY, type Env, type RouteContext } from './context.ts';

export function trackRoutes(app: Hono<Env>, { opts, service, authed, role, actorOf }: RouteContext): void {
  app.post('/api/projects/:pid/tracks/propagate', authed, limit(BODY_LIMITS.small), async (c) => {
    // a reviewer changes existing masks only; propagation makes new ones
    const { pid, role: r } = await role(c, ['admin', 'annotator']);
    const body = await readJson(c, trackPropagateBody);
    if (!opts.queue) throw new HttpError(503, 'This server has no work queue, so it cannot propagate.', 'Start it with npm run server.');
    if (opts.workers === 0)
      throw new HttpError(
        409,
        'No worker can take this run: the server keeps its data in its embedded database, which only its own workers reach, and it has none.',
        'Restart it with --workers 1, or run it on PostgreSQL (DATABASE_URL) and start npm run worker processes.',
      );
    const q = await queueTrackRun(service, opts.queue, pid, c.get('session').user, r, body);
    return c.json({ ...q, run: (await listTrackRuns(service.db, pid, q.runId))[0] }, 201);
  });
  app.get('/api/projects/:pid/tracks/runs', authed, async (c) => {
    const { pid } = await role(c, ANY);
    return c.json({
      runs: await listTrackRuns(service.db, pid),
      workers: await listWorkers(service.db),
      workerMode: opts.workers ?? 'external',
    });
  });
  app.post('/api/projects/:pid/tracks/runs/:rid/cancel', authed, async (c) => {
    const { pid, role: r } = await role(c, ANY);
    const rid = intParam(c.req.param('rid'));
    const cancelled = await cancelTrackRun(service.db, pid, rid, actorOf(c, r));
    return c.json({ cancelled, run: (await listTrackRuns(service.db, pid, rid))[0] });
  });
}
