/**
 * A propagation run's bookkeeping: taken by a worker (each try numbered), each frame's mask landed through the push
 * under the run's row lock (never over a person's keyframe, checked then, and only by the run's current try),
 * heartbeats, the end, and the sweep that queues again a run whose worker stopped answering.
 */
import { sql, type Kysely } from 'kysely';
import type PgBoss from 'pg-boss';
import type { CocoRle } from '../../core/mask/rle.ts';
import type { Annotation } from '../../core/project/types.ts';
import type { Prompts } from '../../core/sam/prompts.ts';
import type { SyncOp } from '../../core/sync/protocol.ts';
import { HttpError } from '../errors.ts';
import type { Database } from '../schema.ts';
import type { Service } from '../service.ts';
import { sendTrackJob } from './queue.ts';
import type { TrackRunState } from './schema.ts';
import { TRACK_QUEUE, TRACK_TRIES, type PlannedFrame, type StartedTrackRun } from './spec.ts';

/**
 * A worker takes a run: marked running under this try's number (a landing of an earlier try is refused from now
 * on). Null when there is nothing to do (ended, cancelled, or handed to another job).
 */
export async function startTrackRun(db: Kysely<Database>, runId: number, worker: string, jobId: string): Promise<StartedTrackRun | null> {
  const row = await db
    .updateTable('track_runs')
    .set({
      state: 'running',
      worker,
      job_id: jobId,
      attempts: sql<number>`attempts + 1`,
      heartbeat_at: sql<Date>`now()`,
      started_at: sql<Date>`coalesce(started_at, now())`,
    })
    .where('id', '=', runId)
    .where('state', 'in', ['queued', 'running'])
    .where((eb) => eb.or([eb('job_id', 'is', null), eb('job_id', '=', jobId)]))
    .returningAll()
    .executeTakeFirst();
  if (!row) return null;
  return {
    runId,
    projectId: row.project_id,
    trackId: row.track_id,
    fromImageId: row.from_image_id,
    lastImageId: row.last_image_id,
    stopOnFlag: row.stop_on_flag,
    until: row.until,
    direction: row.direction === -1 ? -1 : 1,
    frames: row.frames as PlannedFrame[],
    createdBy: row.created_by,
    attempt: row.attempts,
    worker,
  };
}

/** One frame's result, as the step made it. */
export interface TrackFrame {
  imageId: number;
  frame: number;
  segmentation: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  /** the step's score (SAM 2's memory: the object score's sigmoid, null where the export gives none) */
  score: number | null;
  prompts: Prompts;
  flag: Annotation['flag'] | null;
}

export type LandOutcome =
  { landed: true; annotationId: number } | { landed: false; why: 'cancelled' | 'taken' | 'keyframe' | 'refused'; message?: string };

/**
 * Lands a frame's mask on the track, once and only from the run's current try: under the run row's lock and the
 * project's (so the frame's records are read as the push sees them). A person's keyframe on the frame wins (made
 * meanwhile: the run stops there); the track's machine-made mask there is replaced (same id); else a new record. The
 * push is the run creator's, with their role now, so job rules apply as to their own edits.
 */
export async function landTrackFrame(
  service: Service,
  run: StartedTrackRun,
  f: TrackFrame,
  meta: { categoryId: number; model: string },
): Promise<LandOutcome> {
  let out: { outcome: LandOutcome; seq: number };
  try {
    // (read before the transaction: the embedded database has one connection, which the transaction holds)
    const creator = await service.db
      .selectFrom('users')
      .select(['id', 'username', 'is_admin'])
      .where('id', '=', run.createdBy)
      .executeTakeFirstOrThrow();
    const user = { id: creator.id, username: creator.username, isAdmin: creator.is_admin };
    const role = await service.roleIn(run.projectId, user);
    if (!role) throw new HttpError(403, `${creator.username}, who queued the run, is no longer a member of the project.`);
    out = await service.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('track_runs')
        .select(['state', 'attempts'])
        .where('id', '=', run.runId)
        .forUpdate()
        .executeTakeFirst();
      if (!row || row.state !== 'running' || row.attempts !== run.attempt)
        return { outcome: { landed: false, why: row?.state === 'cancelled' ? 'cancelled' : 'taken' } as const, seq: 0 };
      await trx.selectFrom('projects').select('seq').where('id', '=', run.projectId).forUpdate().executeTakeFirst();
      const here = (
        await trx
          .selectFrom('records')
          .select(['data', 'rev'])
          .where('project_id', '=', run.projectId)
          .where('coll', '=', 'annotations')
          .where('data', 'is not', null)
          .where(sql<string>`data->>'imageId'`, '=', String(f.imageId))
          .execute()
      )
        .map((r) => ({ a: r.data as Annotation, rev: r.rev }))
        .filter((r) => r.a.trackId === run.trackId);
      if (here.some((r) => (r.a.track ?? 'key') === 'key')) {
        const message = `Stopped before frame ${f.frame}: a person's keyframe of the track is there (it is never overwritten).`;
        await endRun(trx, run, 'stopped', message);
        return { outcome: { landed: false, why: 'keyframe', message } as const, seq: 0 };
      }
      const old = here.sort((a, b) => b.a.createdAt - a.a.createdAt || b.a.id - a.a.id)[0];
      const id = old?.a.id ?? (await service.reserveIds(run.projectId, 'annotations', 1, trx))[0];
      const ann: Annotation = {
        id,
        imageId: f.imageId,
        categoryId: meta.categoryId,
        segmentation: f.segmentation,
        area: f.area,
        bbox: f.bbox,
        score: f.score,
        prompts: f.prompts,
        source: 'propagate',
        createdAt: Date.now(),
        trackId: run.trackId,
        track: 'propagated',
        model: meta.model,
      };
      if (f.flag) ann.flag = f.flag;
      const op: SyncOp = { opId: `track:${run.runId}:${f.imageId}`, coll: 'annotations', id, baseRev: old?.rev ?? null, data: ann };
      const r = await service.pushIn(trx, run.projectId, user, role, { clientId: `worker:${run.worker}`, ops: [op] });
      await trx
        .updateTable('track_runs')
        .set((eb) => ({
          done: eb('done', '+', 1),
          flagged: eb('flagged', '+', f.flag ? 1 : 0),
          last_image_id: f.imageId,
          heartbeat_at: sql<Date>`now()`,
        }))
        .where('id', '=', run.runId)
        .execute();
      return { outcome: { landed: true, annotationId: id } as const, seq: r.seq };
    });
  } catch (e) {
    // the push was refused (the creator's job rules now, the record against its image): the run stops with why
    if (!(e instanceof HttpError) || e.status >= 500) throw e;
    const message = `Stopped before frame ${f.frame}: ${e.message}`;
    const ended = await service.db.transaction().execute((trx) => endRun(trx, run, 'stopped', message));
    return ended ? { landed: false, why: 'refused', message } : { landed: false, why: 'taken' };
  }
  if (out.seq) service.onCommit(run.projectId, out.seq);
  return out.outcome;
}

/** Ends a run (only the try that holds it); false when it is no longer that try's. */
export async function endRun(
  db: Kysely<Database>,
  run: Pick<StartedTrackRun, 'runId' | 'attempt'>,
  state: Extract<TrackRunState, 'done' | 'stopped' | 'failed'>,
  message: string | null,
): Promise<boolean> {
  const r = await db
    .updateTable('track_runs')
    .set({ state, message: message?.slice(0, 2000) ?? null, finished_at: new Date(), heartbeat_at: sql<Date>`now()` })
    .where('id', '=', run.runId)
    .where('state', '=', 'running')
    .where('attempts', '=', run.attempt)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The worker is alive and on this run (every few seconds, and with every frame landed). */
export async function trackHeartbeat(db: Kysely<Database>, run: Pick<StartedTrackRun, 'runId' | 'attempt'>): Promise<void> {
  await db
    .updateTable('track_runs')
    .set({ heartbeat_at: sql<Date>`now()` })
    .where('id', '=', run.runId)
    .where('state', '=', 'running')
    .where('attempts', '=', run.attempt)
    .execute();
}

/**
 * Gives a run back to the queue (its worker is stopping, or stopped answering): queued again as a new job, to go
 * on from its last frame landed; after its last try, failed with the reason. The old job is cancelled in the queue.
 */
export async function requeueTrackRun(
  db: Kysely<Database>,
  boss: PgBoss,
  runId: number,
  why: string,
  only: { attempt: number } | { stalled: true },
): Promise<'queued' | 'failed' | null> {
  const taken = await db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('track_runs').select(['attempts', 'job_id']).where('id', '=', runId).where('state', '=', 'running');
    // the try given, or (the sweep) a run still silent now that its row is locked
    q =
      'attempt' in only
        ? q.where('attempts', '=', only.attempt)
        : q.where(sql<boolean>`heartbeat_at < now() - make_interval(secs => stall_seconds)`);
    const row = await q.forUpdate().executeTakeFirst();
    if (!row) return null;
    const final = row.attempts >= TRACK_TRIES;
    await trx
      .updateTable('track_runs')
      .set(
        final
          ? { state: 'failed', finished_at: new Date(), message: `${why} on each of ${TRACK_TRIES} tries.` }
          : { state: 'queued', worker: null, job_id: null, message: `${why}; queued again.` },
      )
      .where('id', '=', runId)
      .execute();
    return { final, jobId: row.job_id };
  });
  if (!taken) return null;
  if (taken.jobId) await boss.cancel(TRACK_QUEUE, taken.jobId).catch(() => undefined);
  if (taken.final) return 'failed';
  await sendTrackJob(db, boss, runId);
  return 'queued';
}

/** A queued run's job is looked for on the queue once the run is this old (a job just sent may not be there yet). */
export const TRACK_QUEUED_GRACE_SECONDS = 60;

/**
 * Queued runs whose job is not waiting on the queue: the server stopped between writing the run and queueing it (no
 * job), or the job expired or was cancelled there. Without this the run would stay queued for good, and its track
 * could never be propagated again (one open run per track). Each is given a new job.
 */
async function requeueLostTracks(db: Kysely<Database>, boss: PgBoss): Promise<number> {
  const queued = await db
    .selectFrom('track_runs')
    .select(['id', 'job_id'])
    .where('state', '=', 'queued')
    .where(sql<boolean>`created_at < now() - make_interval(secs => ${TRACK_QUEUED_GRACE_SECONDS})`)
    .execute();
  let n = 0;
  for (const r of queued) {
    if (r.job_id) {
      const job = await boss.getJobById(TRACK_QUEUE, r.job_id).catch(() => undefined);
      // undefined: the queue did not answer (not a reason to send another)
      if (job === undefined || (job && (job.state === 'created' || job.state === 'retry' || job.state === 'active'))) continue;
    }
    // still queued with that job (or none): no worker took it meanwhile
    const cleared = await db
      .updateTable('track_runs')
      .set({ job_id: null, message: `its job ${r.job_id ? 'left the queue' : 'was never queued'}; queued again.` })
      .where('id', '=', r.id)
      .where('state', '=', 'queued')
      .where((eb) => (r.job_id ? eb('job_id', '=', r.job_id) : eb('job_id', 'is', null)))
      .executeTakeFirst();
    if (Number(cleared.numUpdatedRows) === 0) continue;
    await sendTrackJob(db, boss, r.id);
    n++;
  }
  return n;
}

/**
 * Runs whose worker has not been heard from for their stall time (killed, or its machine gone): queued again
 * (or failed after the last try); and queued runs whose job is lost (`requeueLostTracks`). Every worker runs it now
 * and then; cheap when there is nothing to do.
 */
export async function sweepStalledTracks(db: Kysely<Database>, boss: PgBoss): Promise<number> {
  const stale = await db
    .selectFrom('track_runs')
    .select(['id', 'worker'])
    .where('state', '=', 'running')
    .where(sql<boolean>`heartbeat_at < now() - make_interval(secs => stall_seconds)`)
    .execute();
  let n = 0;
  for (const s of stale)
    if (
      await requeueTrackRun(db, boss, s.id, `its worker ${s.worker ?? ''} stopped answering (killed, or out of memory?)`, {
        stalled: true,
      })
    )
      n++;
  return n + (await requeueLostTracks(db, boss));
}
