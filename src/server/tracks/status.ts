/** What the app shows of propagation runs on the server: a project's runs with their progress. */
import type { ServerTrackRun } from '../../core/sync/protocol.ts';
import type { Db } from '../preannotate/spec.ts';

/** The project's propagation runs, newest first (one run, when given). */
export async function listTrackRuns(db: Db, projectId: number, runId?: number): Promise<ServerTrackRun[]> {
  let q = db
    .selectFrom('track_runs')
    .innerJoin('users', 'users.id', 'track_runs.created_by')
    .selectAll('track_runs')
    .select('users.username')
    .where('track_runs.project_id', '=', projectId)
    .orderBy('track_runs.id', 'desc')
    .limit(100);
  if (runId !== undefined) q = q.where('track_runs.id', '=', runId);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    trackId: r.track_id,
    videoId: r.video_id,
    fromImageId: r.from_image_id,
    direction: r.direction === -1 ? -1 : 1,
    until: r.until,
    stopOnFlag: r.stop_on_flag,
    createdBy: r.username,
    createdAt: new Date(r.created_at).toISOString(),
    state: r.state,
    done: r.done,
    total: r.total,
    flagged: r.flagged,
    lastImageId: r.last_image_id,
    worker: r.worker,
    attempts: r.attempts,
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    message: r.message,
  }));
}
