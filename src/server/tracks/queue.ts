/**
 * Queueing a propagation run: the track and its start frame checked, the frames planned (as the app plans them), the
 * run's row written under the project's lock (one open run per track), then one queue job for the whole run.
 */
import { sql } from 'kysely';
import type PgBoss from 'pg-boss';
import type { Annotation, ImageRecord } from '../../core/project/types.ts';
import type { Role, ServerUser } from '../../core/sync/protocol.ts';
import { writeRefusal } from '../../core/team/jobs.ts';
import { clipsOf, tracksOf } from '../../core/video/clips.ts';
import { HttpError } from '../errors.ts';
import { jobsOfImages } from '../jobs.ts';
import { liveRecords, type Db } from '../preannotate/spec.ts';
import type { Service } from '../service.ts';
import {
  TRACK_JOB_EXPIRE_SECONDS,
  TRACK_QUEUE,
  TRACK_STALL_SECONDS,
  type PlannedFrame,
  type TrackJobData,
  type TrackRunSpec,
} from './spec.ts';

/** The frames of the clip an image is on, and the clip's annotations of one track. */
export async function clipAndTrack(
  db: Db,
  projectId: number,
  videoId: number,
  trackId: number,
): Promise<{ frames: ImageRecord[]; annotations: Annotation[] }> {
  const rows = await db
    .selectFrom('records')
    .select('data')
    .where('project_id', '=', projectId)
    .where('coll', '=', 'images')
    .where('data', 'is not', null)
    .where(sql<string>`data->'video'->>'id'`, '=', String(videoId))
    .execute();
  const frames = rows.map((r) => r.data as ImageRecord);
  const annotations = (
    await liveRecords<Annotation>(
      db,
      projectId,
      'annotations',
      frames.map((f) => f.id),
    )
  )
    .map((r) => r.data)
    .filter((a) => a.trackId === trackId);
  return { frames, annotations };
}

/**
 * Queues a run of one track: the frames after (or before) `fromImageId` up to the track's next person's keyframe,
 * or to the clip's end following each keyframe on the way. 404: no such image or track; 400: not a frame, no mask
 * of the track there, nothing to do, frames without their file; 403: an annotator's frames in someone else's job;
 * 409: a run of this track is under way.
 */
export async function queueTrackRun(
  service: Service,
  boss: PgBoss,
  projectId: number,
  user: ServerUser,
  role: Role,
  spec: TrackRunSpec,
): Promise<{ runId: number; frames: number }> {
  const db = service.db;
  const [start] = await liveRecords<ImageRecord>(db, projectId, 'images', [spec.fromImageId]);
  if (!start) throw new HttpError(404, `There is no image ${spec.fromImageId} in this project.`);
  const video = start.data.video;
  if (!video) throw new HttpError(400, `Image ${start.data.fileName} is not a frame of a video.`, 'Propagate from a frame of a clip.');
  const { frames, annotations } = await clipAndTrack(db, projectId, video.id, spec.trackId);
  const clip = clipsOf(frames)[0]!;
  const track = tracksOf({ images: frames, annotations }, video.id)[0];
  if (!track) throw new HttpError(404, `There is no track ${spec.trackId} in the clip “${video.name}”.`);
  if (!track.byFrame.has(video.frame))
    throw new HttpError(
      400,
      `Track ${spec.trackId} has no mask on frame ${video.frame} (${start.data.fileName}).`,
      'Start from a frame where the track has a mask.',
    );
  const at = clip.frames.findIndex((f) => f.id === spec.fromImageId);
  const plan: PlannedFrame[] = [];
  for (let i = at + spec.direction; i >= 0 && i < clip.frames.length; i += spec.direction) {
    const f = clip.frames[i]!;
    const a = track.byFrame.get(f.video!.frame);
    const key = !!a && (a.track ?? 'key') === 'key';
    if (key && spec.until === 'next-key') break;
    plan.push({ imageId: f.id, key });
  }
  const todo = plan.filter((p) => !p.key).map((p) => p.imageId);
  if (!todo.length)
    throw new HttpError(
      400,
      `Nothing to propagate: frame ${video.frame} is the last frame ${spec.direction === 1 ? 'before the end of the clip or the next keyframe' : 'after the start of the clip or the previous keyframe'}.`,
    );
  const byId = new Map(clip.frames.map((f) => [f.id, f]));
  // only the files of the frames to do, looked up in pieces (not every file of a big project on each request)
  const wanted = [...new Set(todo.map((id) => byId.get(id)!.sha256).filter((s): s is string => !!s))];
  const files = new Set<string>();
  for (let i = 0; i < wanted.length; i += 1000)
    for (const r of await db
      .selectFrom('project_files')
      .select('sha256')
      .where('project_id', '=', projectId)
      .where('sha256', 'in', wanted.slice(i, i + 1000))
      .execute())
      files.add(r.sha256);
  const noFile = todo.filter((id) => !byId.get(id)!.sha256 || !files.has(byId.get(id)!.sha256!));
  if (noFile.length)
    throw new HttpError(
      400,
      `${noFile.length} of the ${todo.length} frames have no image file on the server (${byId.get(noFile[0]!)!.fileName}${noFile.length > 1 ? ', …' : ''}).`,
      'Open the project in the app with the frames to upload them.',
    );
  if (role !== 'admin') {
    const jobs = await jobsOfImages(db, projectId, todo);
    for (const id of todo) {
      const why = writeRefusal(jobs.get(id) ?? null, { userId: user.id, role });
      if (why)
        throw new HttpError(
          403,
          `Frame ${byId.get(id)!.video!.frame} (${byId.get(id)!.fileName}) cannot be written: ${why}.`,
          'Propagate over frames of your own job, or ask a project admin.',
        );
    }
  }
  const runId = await db.transaction().execute(async (trx) => {
    // two people queueing the same track take turns on the project row; the second sees the first's run
    await trx.selectFrom('projects').select('id').where('id', '=', projectId).forUpdate().execute();
    const open = await trx
      .selectFrom('track_runs')
      .select('id')
      .where('project_id', '=', projectId)
      .where('track_id', '=', spec.trackId)
      .where('state', 'in', ['queued', 'running'])
      .executeTakeFirst();
    if (open)
      throw new HttpError(
        409,
        `Track ${spec.trackId} is being propagated already (run ${open.id}).`,
        'Wait for it to end, or cancel it first.',
      );
    const run = await trx
      .insertInto('track_runs')
      .values({
        project_id: projectId,
        track_id: spec.trackId,
        video_id: video.id,
        from_image_id: spec.fromImageId,
        direction: spec.direction,
        until: spec.until,
        stop_on_flag: spec.stopOnFlag ?? true,
        frames: JSON.stringify(plan),
        created_by: user.id,
        state: 'queued',
        total: todo.length,
        last_image_id: null,
        worker: null,
        job_id: null,
        started_at: null,
        heartbeat_at: null,
        stall_seconds: spec.stallSeconds ?? TRACK_STALL_SECONDS,
        finished_at: null,
        message: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return run.id;
  });
  // (after the commit: on the embedded database the queue waits for the connection a transaction holds)
  try {
    await sendTrackJob(db, boss, runId);
  } catch (e) {
    await db
      .updateTable('track_runs')
      .set({ state: 'cancelled', finished_at: new Date(), message: 'not queued' })
      .where('id', '=', runId)
      .execute();
    throw new HttpError(503, `The work queue did not take the run: ${(e as Error).message}`, 'Try again in a moment.');
  }
  return { runId, frames: todo.length };
}

/** Puts a run's job on the queue (a new run, or one taken from a worker that stopped answering) and notes its id. */
export async function sendTrackJob(db: Db, boss: PgBoss, runId: number): Promise<void> {
  const jobId = await boss.send(TRACK_QUEUE, { runId } satisfies TrackJobData, {
    expireInSeconds: TRACK_JOB_EXPIRE_SECONDS,
    retryLimit: 0,
  });
  if (!jobId) throw new Error('the queue returned no job');
  // a worker may have taken it already (and noted the id itself)
  await db.updateTable('track_runs').set({ job_id: jobId }).where('id', '=', runId).where('job_id', 'is', null).execute();
}

/** Cancels a run (admins, or the member who queued it): frames not landed yet are not landed (its worker stops at the next). */
export async function cancelTrackRun(db: Db, projectId: number, runId: number, by: { userId: number; role: Role }): Promise<boolean> {
  const run = await db
    .selectFrom('track_runs')
    .select(['created_by', 'state'])
    .where('id', '=', runId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (!run) throw new HttpError(404, `There is no propagation run ${runId} in this project.`);
  if (by.role !== 'admin' && run.created_by !== by.userId)
    throw new HttpError(403, 'Only a project admin or the member who queued a run may cancel it.');
  const r = await db
    .updateTable('track_runs')
    .set({ state: 'cancelled', finished_at: new Date(), message: 'cancelled' })
    .where('id', '=', runId)
    .where('state', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
