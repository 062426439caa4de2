/**
 * Queueing a run: the work queue (pg-boss) opened on the server's database, and a run split into one queue job per
 * image, its rows in `preannotate_items`.
 */
import PgBoss from 'pg-boss';
import type { Annotation, ImageRecord, PendingBox } from '../../core/project/types.ts';
import type { PreannotateMode } from '../../core/sam/preannotateImage.ts';
import { HttpError } from '../errors.ts';
import type { OpenedDb } from '../db.ts';
import type { Service } from '../service.ts';
import { TRACK_QUEUE } from '../tracks/spec.ts';
import { cancelRun } from './items.ts';
import {
  BOX_MODES,
  liveRecords,
  PREANNOTATE_QUEUE,
  PREANNOTATE_TRIES,
  type Db,
  type PreannotateJobData,
  type RunOptions,
  type RunSpec,
} from './spec.ts';

/** Opens the work queue on the server's database (the same PostgreSQL, or the embedded one). */
export async function openQueue(
  opened: OpenedDb,
  options: { supervise?: boolean; maintenanceIntervalSeconds?: number; onError?: (e: Error) => void } = {},
): Promise<PgBoss> {
  const boss = new PgBoss({
    ...opened.queue,
    application_name: 'sam-annotator',
    max: 3,
    schedule: false,
    supervise: options.supervise ?? true,
    // expired jobs (a killed worker's image) go back to the queue at the next maintenance
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 5,
  } as PgBoss.ConstructorOptions);
  boss.on('error', options.onError ?? ((e: Error) => process.stderr.write(`work queue: ${e.message}\n`)));
  await boss.start();
  // pre-annotation: one job per image, retried by the queue; propagation: one job per track, whose tries are the
  // runs' own (a stalled run is queued again from its last frame: tracks/runs.ts)
  for (const [name, retryLimit] of [
    [PREANNOTATE_QUEUE, PREANNOTATE_TRIES - 1],
    [TRACK_QUEUE, 0],
  ] as const)
    if (!(await boss.getQueue(name)))
      await boss.createQueue(name, { name, retryLimit, retryDelay: 0 }).catch(async (e: unknown) => {
        // another process made it at the same moment
        if (!(await boss.getQueue(name))) throw e;
      });
  return boss;
}

function defaultExpire(mode: PreannotateMode): number {
  // a box image takes seconds, segment everything minutes (32 x 32 decoder runs on a CPU)
  return mode === 'everything' ? 1800 : mode === 'coarse' ? 600 : 300;
}

export interface QueueResult {
  runId: number;
  images: number;
  /** images left out, with why */
  skipped: { noFile: number; alreadyDone: number; inAnotherRun: number; noBoxes: number; noLabels: number };
}

/**
 * Queues a run: one queue job per image. Box modes take the images with boxes waiting to become
 * masks; segment everything and coarse leave out images that have machine-made masks (unless
 * `redo`). Images still in another unfinished run are left out (they would be done twice).
 */
export async function queueRun(service: Service, boss: PgBoss, projectId: number, userId: number, spec: RunSpec): Promise<QueueResult> {
  const db = service.db;
  let imageIds: number[];
  if (spec.jobId !== undefined) {
    const job = await db
      .selectFrom('jobs')
      .select('id')
      .where('id', '=', spec.jobId)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    if (!job) throw new HttpError(404, `There is no job ${spec.jobId} in this project.`);
    const rows = await db.selectFrom('job_images').select('image_id').where('job_id', '=', spec.jobId).orderBy('image_id').execute();
    imageIds = rows.map((r) => r.image_id);
  } else {
    const images = await liveRecords<ImageRecord>(db, projectId, 'images');
    imageIds = images.map((r) => r.data.id).sort((a, b) => a - b);
    if (spec.imageIds) {
      const known = new Set(imageIds);
      const unknown = spec.imageIds.filter((id) => !known.has(id));
      if (unknown.length) throw new HttpError(400, `No image ${unknown.slice(0, 5).join(', ')} in this project.`);
      imageIds = [...new Set(spec.imageIds)].sort((a, b) => a - b);
    }
  }
  const skipped = { noFile: 0, alreadyDone: 0, inAnotherRun: 0, noBoxes: 0, noLabels: 0 };
  const images = new Map((await liveRecords<ImageRecord>(db, projectId, 'images', imageIds)).map((r) => [r.data.id, r.data]));
  const files = new Set(
    (await db.selectFrom('project_files').select('sha256').where('project_id', '=', projectId).execute()).map((r) => r.sha256),
  );
  let todo = imageIds.filter((id) => {
    const im = images.get(id);
    const ok = !!im?.sha256 && files.has(im.sha256);
    if (!ok) skipped.noFile++;
    return ok;
  });
  if (BOX_MODES.includes(spec.mode)) {
    const withBoxes = new Set((await liveRecords<PendingBox>(db, projectId, 'pendingBoxes', todo)).map((r) => r.data.imageId));
    todo = todo.filter((id) => withBoxes.has(id) || (skipped.noBoxes++, false));
  } else {
    if (spec.mode === 'coarse') {
      const labels = spec.coarseFiles ?? {};
      for (const sha of Object.values(labels))
        if (!files.has(sha))
          throw new HttpError(400, `The label PNG ${sha.slice(0, 12)}… is not a file of this project.`, 'Upload the label PNGs first.');
      todo = todo.filter((id) => labels[String(id)] || (skipped.noLabels++, false));
    }
    if (!spec.redo) {
      const machine = new Set(
        (await liveRecords<Annotation>(db, projectId, 'annotations', todo))
          .filter((r) => (r.data.source ?? '').split('+')[0] === 'auto')
          .map((r) => r.data.imageId),
      );
      todo = todo.filter((id) => !machine.has(id) || (skipped.alreadyDone++, false));
    }
  }
  const busyImages = async (q: Db) =>
    new Set(
      (
        await q
          .selectFrom('preannotate_items')
          .innerJoin('preannotate_runs', 'preannotate_runs.id', 'preannotate_items.run_id')
          .select('preannotate_items.image_id')
          .where('preannotate_runs.project_id', '=', projectId)
          .where('preannotate_items.state', 'in', ['queued', 'running'])
          .execute()
      ).map((r) => r.image_id),
    );
  const busy = await busyImages(db);
  todo = todo.filter((id) => !busy.has(id) || (skipped.inAnotherRun++, false));
  if (!todo.length) {
    const why = [
      skipped.noFile && `${skipped.noFile} have no image file on the server (open the project in the app with the images to upload them)`,
      skipped.noBoxes && `${skipped.noBoxes} have no boxes waiting to become masks`,
      skipped.noLabels && `${skipped.noLabels} have no label PNG`,
      skipped.alreadyDone && `${skipped.alreadyDone} have machine-made masks already (ask again with "redo")`,
      skipped.inAnotherRun && `${skipped.inAnotherRun} are in a run still going`,
    ].filter(Boolean);
    throw new HttpError(400, `No image to pre-annotate${why.length ? `: of ${imageIds.length}, ${why.join('; ')}` : ''}.`);
  }
  const options: RunOptions = {
    boxPlan: spec.boxPlan,
    amg: spec.amg,
    everythingCategory: spec.everythingCategory,
    coarseFiles: spec.coarseFiles,
    coarse: spec.coarse,
    classMap: spec.classMap,
  };
  const expire = spec.expireSeconds ?? defaultExpire(spec.mode);
  const runId = await db.transaction().execute(async (trx) => {
    // two admins queueing at once: the project row makes them take turns, and the second sees the first's images
    await trx.selectFrom('projects').select('id').where('id', '=', projectId).forUpdate().execute();
    const nowBusy = await busyImages(trx);
    todo = todo.filter((id) => !nowBusy.has(id));
    if (!todo.length) throw new HttpError(409, 'Another run took these images a moment ago.', 'See its progress in the list of runs.');
    const run = await trx
      .insertInto('preannotate_runs')
      .values({
        project_id: projectId,
        job_id: spec.jobId ?? null,
        mode: spec.mode,
        options: JSON.stringify(options),
        created_by: userId,
        state: 'running',
        finished_at: null,
        expire_seconds: expire,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (let i = 0; i < todo.length; i += 1000)
      await trx
        .insertInto('preannotate_items')
        .values(
          todo.slice(i, i + 1000).map((image_id) => ({
            run_id: run.id,
            image_id,
            state: 'queued' as const,
            worker: null,
            started_at: null,
            done_at: null,
            error: null,
          })),
        )
        .execute();
    return run.id;
  });
  // (after the commit: on the embedded database the queue waits for the connection a transaction holds)
  try {
    for (let i = 0; i < todo.length; i += 1000)
      await boss.insert(
        todo.slice(i, i + 1000).map((imageId) => ({
          name: PREANNOTATE_QUEUE,
          data: { runId, imageId } satisfies PreannotateJobData,
          expireInSeconds: expire,
          retryLimit: PREANNOTATE_TRIES - 1,
          retryDelay: 0,
        })),
      );
  } catch (e) {
    await cancelRun(db, projectId, runId);
    throw new HttpError(503, `The work queue did not take the run: ${(e as Error).message}`, 'Try again in a moment.');
  }
  return { runId, images: todo.length, skipped };
}
