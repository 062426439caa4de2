/** What the app shows of pre-annotation: a project's runs with their progress and ETA, and the live workers. */
import { sql } from 'kysely';
import type { ServerRun, ServerWorker } from '../../core/sync/protocol.ts';
import type { Db } from './spec.ts';

/** The project's runs, newest first, with their progress and ETA. */
export async function listRuns(db: Db, projectId: number, runId?: number): Promise<ServerRun[]> {
  let q = db
    .selectFrom('preannotate_runs')
    .innerJoin('users', 'users.id', 'preannotate_runs.created_by')
    .leftJoin('jobs', 'jobs.id', 'preannotate_runs.job_id')
    .select([
      'preannotate_runs.id',
      'preannotate_runs.mode',
      'preannotate_runs.job_id',
      'jobs.name as job_name',
      'users.username',
      'preannotate_runs.created_at',
      'preannotate_runs.state',
      'preannotate_runs.finished_at',
    ])
    .where('preannotate_runs.project_id', '=', projectId)
    .orderBy('preannotate_runs.id', 'desc')
    .limit(50);
  if (runId !== undefined) q = q.where('preannotate_runs.id', '=', runId);
  const runs = await q.execute();
  if (!runs.length) return [];
  const ids = runs.map((r) => r.id);
  const counts = await db
    .selectFrom('preannotate_items')
    .select((eb) => [
      'run_id',
      'state',
      eb.fn.countAll<string>().as('n'),
      eb.fn.sum<string>('masks').as('masks'),
      eb.fn.min('started_at').as('first_start'),
      eb.fn.max('done_at').as('last_done'),
      sql<string>`count(*) filter (where attempts > 1)`.as('retried'),
    ])
    .where('run_id', 'in', ids)
    .groupBy(['run_id', 'state'])
    .execute();
  const active = await db
    .selectFrom('preannotate_items')
    .select(['run_id', 'image_id', 'worker', 'started_at', 'state', 'error'])
    .where('run_id', 'in', ids)
    .where((eb) => eb.or([eb('state', '=', 'running'), eb('error', 'is not', null)]))
    .orderBy('image_id')
    .limit(500)
    .execute();
  const now = Date.now();
  return runs.map((r) => {
    const by = (state: string) => counts.filter((c) => c.run_id === r.id && c.state === state);
    const n = (state: string) => by(state).reduce((s, c) => s + Number(c.n), 0);
    const mine = counts.filter((c) => c.run_id === r.id);
    const starts = mine
      .map((c) => c.first_start)
      .filter((d): d is Date => !!d)
      .map((d) => new Date(d).getTime());
    const firstStart = starts.length ? Math.min(...starts) : null;
    const done = n('done');
    const failed = n('failed');
    const images = mine.reduce((s, c) => s + Number(c.n), 0);
    const end = r.finished_at ? new Date(r.finished_at).getTime() : now;
    const elapsedS = firstStart === null ? null : Math.max(0, (end - firstStart) / 1000);
    const rate = elapsedS && done ? done / elapsedS : null;
    const left = n('queued') + n('running');
    return {
      id: r.id,
      mode: r.mode,
      jobId: r.job_id,
      jobName: r.job_name,
      createdBy: r.username,
      createdAt: new Date(r.created_at).toISOString(),
      state: r.state,
      finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
      images,
      done,
      failed,
      running: n('running'),
      queued: n('queued'),
      cancelled: n('cancelled'),
      masks: mine.reduce((s, c) => s + Number(c.masks ?? 0), 0),
      retried: mine.reduce((s, c) => s + Number(c.retried), 0),
      elapsedS,
      rate,
      etaS: r.state !== 'running' ? 0 : rate ? left / rate : null,
      now: active
        .filter((a) => a.run_id === r.id && a.state === 'running')
        .map((a) => ({ imageId: a.image_id, worker: a.worker ?? '', since: a.started_at ? new Date(a.started_at).toISOString() : '' })),
      errors: active
        .filter((a) => a.run_id === r.id && a.error)
        .slice(0, 20)
        .map((a) => ({ imageId: a.image_id, error: a.error! })),
    };
  });
}

/** Workers heard from in the last minute. */
export async function listWorkers(db: Db): Promise<ServerWorker[]> {
  const rows = await db
    .selectFrom('preannotate_workers')
    .selectAll()
    .where('last_seen', '>', new Date(Date.now() - 60_000))
    .orderBy('name')
    .execute();
  return rows.map((r) => ({ name: r.name, lastSeen: new Date(r.last_seen).toISOString(), images: r.images, masks: r.masks }));
}
