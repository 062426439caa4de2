/**
 * Pre-annotation runs on the server (issue 14): an admin queues a run for a project or a job; it is
 * split per image into jobs of a PostgreSQL-backed queue (pg-boss: retries, visibility timeouts, a
 * job given to one worker at a time) that `npm run worker` processes execute. The queue only says
 * which image to do next; what was done is kept here, in `preannotate_items`, one row per image of a
 * run. An image's proposals land in the same transaction that marks its row done, under that row's
 * lock, so an image tried twice (its first worker killed, or too slow and its job handed out again)
 * lands once.
 */
import { hostname } from 'node:os';
import { sql, type Kysely, type Transaction } from 'kysely';
import PgBoss from 'pg-boss';
import { categoryColor } from '../core/project/palette.ts';
import type { Annotation, Category, ImageRecord, PendingBox } from '../core/project/types.ts';
import { proposalAnnotation, type PreannotateMode, type ProducedMask } from '../core/sam/preannotateImage.ts';
import type { ServerRun, ServerWorker, SyncOp } from '../core/sync/protocol.ts';
import { HttpError } from './errors.ts';
import type { OpenedDb } from './db.ts';
import type { Database } from './schema.ts';
import type { Service } from './service.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const PREANNOTATE_QUEUE = 'sam-preannotate';
/** Tries of one image before it is marked failed (a killed worker's try counts). */
export const PREANNOTATE_TRIES = 4;
export const BOX_MODES: readonly PreannotateMode[] = ['box', 'box-crop', 'auto-box'];

export interface PreannotateJobData {
  runId: number;
  imageId: number;
}

/** What a run does: the mode and its options, as the app's and the CLI's batches take them. */
export interface RunOptions {
  boxPlan?: { margin?: number | undefined; minCropSide?: number | undefined } | undefined;
  amg?: Record<string, number> | undefined;
  /** segment everything (and instance label maps): the category of the masks, by name */
  everythingCategory?: string | undefined;
  /** coarse: the label PNG (sha256 of a file of the project) of each image, and how to read it */
  coarseFiles?: Record<string, string> | undefined;
  coarse?: Record<string, unknown> | undefined;
  classMap?: string | undefined;
}

export interface RunSpec extends RunOptions {
  mode: PreannotateMode;
  /** the images of this job (else the whole project) */
  jobId?: number | undefined;
  imageIds?: number[] | undefined;
  /** segment everything and coarse: also images that have machine-made masks already */
  redo?: boolean | undefined;
  /** seconds a worker may hold one image before it is handed to another */
  expireSeconds?: number | undefined;
}

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
  if (!(await boss.getQueue(PREANNOTATE_QUEUE)))
    await boss
      .createQueue(PREANNOTATE_QUEUE, { name: PREANNOTATE_QUEUE, retryLimit: PREANNOTATE_TRIES - 1, retryDelay: 0 })
      .catch(async (e: unknown) => {
        // another process made it at the same moment
        if (!(await boss.getQueue(PREANNOTATE_QUEUE))) throw e;
      });
  return boss;
}

/** A name for this worker process, as the app shows it. */
export function workerName(suffix = ''): string {
  return `${hostname()}:${process.pid}${suffix}`;
}

function defaultExpire(mode: PreannotateMode): number {
  // a box image takes seconds, segment everything minutes (32 x 32 decoder runs on a CPU)
  return mode === 'everything' ? 1800 : mode === 'coarse' ? 600 : 300;
}

async function liveRecords<T>(db: Db, projectId: number, coll: string, imageIds?: number[]): Promise<{ data: T; rev: number }[]> {
  if (imageIds && !imageIds.length) return [];
  let q = db
    .selectFrom('records')
    .select(['data', 'rev'])
    .where('project_id', '=', projectId)
    .where('coll', '=', coll)
    .where('data', 'is not', null);
  // an image record is its own image; the others name theirs
  if (imageIds) q = coll === 'images' ? q.where('id', 'in', imageIds) : q.where(sql<string>`data->>'imageId'`, 'in', imageIds.map(String));
  const rows = await q.execute();
  return rows.map((r) => ({ data: r.data as T, rev: r.rev }));
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

/** Cancels a run: images not done yet are not done (a worker on one drops its result). */
export async function cancelRun(db: Kysely<Database>, projectId: number, runId: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('preannotate_runs')
      .set({ state: 'cancelled', finished_at: new Date() })
      .where('id', '=', runId)
      .where('project_id', '=', projectId)
      .where('state', '=', 'running')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) {
      const exists = await trx
        .selectFrom('preannotate_runs')
        .select('id')
        .where('id', '=', runId)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      if (!exists) throw new HttpError(404, `There is no pre-annotation run ${runId} in this project.`);
      return false;
    }
    await trx
      .updateTable('preannotate_items')
      .set({ state: 'cancelled' })
      .where('run_id', '=', runId)
      .where('state', 'in', ['queued', 'running'])
      .execute();
    return true;
  });
}

export interface StartedItem {
  runId: number;
  projectId: number;
  imageId: number;
  mode: PreannotateMode;
  options: RunOptions;
  attempt: number;
}

/**
 * A worker takes an image: its row is marked running (with the worker's name and the try's number);
 * null when there is nothing to do (done already, or its run cancelled or gone).
 */
export async function startItem(db: Kysely<Database>, runId: number, imageId: number, worker: string): Promise<StartedItem | null> {
  const run = await db.selectFrom('preannotate_runs').selectAll().where('id', '=', runId).executeTakeFirst();
  if (!run || run.state !== 'running') return null;
  const item = await db
    .updateTable('preannotate_items')
    .set({ state: 'running', worker, started_at: new Date(), attempts: sql<number>`attempts + 1` })
    .where('run_id', '=', runId)
    .where('image_id', '=', imageId)
    .where('state', 'in', ['queued', 'running'])
    .returning('attempts')
    .executeTakeFirst();
  if (!item) return null;
  return {
    runId,
    projectId: run.project_id,
    imageId,
    mode: run.mode as PreannotateMode,
    options: run.options as RunOptions,
    attempt: item.attempts,
  };
}

/**
 * A try failed: the image goes back to the queue (pg-boss tries it again) or, after the last try,
 * is marked failed with the reason.
 */
export async function failItem(db: Kysely<Database>, item: StartedItem, error: string): Promise<'retry' | 'failed'> {
  const final = item.attempt >= PREANNOTATE_TRIES;
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('preannotate_items')
      .set({ state: final ? 'failed' : 'queued', error: error.slice(0, 2000), done_at: final ? new Date() : null })
      .where('run_id', '=', item.runId)
      .where('image_id', '=', item.imageId)
      .where('state', '=', 'running')
      .execute();
    if (final) await finishIfDone(trx, item.runId);
  });
  return final ? 'failed' : 'retry';
}

async function finishIfDone(trx: Transaction<Database>, runId: number): Promise<void> {
  const open = await trx
    .selectFrom('preannotate_items')
    .select('image_id')
    .where('run_id', '=', runId)
    .where('state', 'in', ['queued', 'running'])
    .limit(1)
    .executeTakeFirst();
  if (!open)
    await trx
      .updateTable('preannotate_runs')
      .set({ state: 'done', finished_at: new Date() })
      .where('id', '=', runId)
      .where('state', '=', 'running')
      .execute();
}

/**
 * An image's result: its masks (a category id, or a negative id standing for a category by name in
 * `categoryNames`, made when missing) and the waiting boxes they replace.
 */
export interface ImageResult {
  masks: ProducedMask[];
  consumedBoxIds: number[];
  categoryNames?: Map<number, string>;
}

/**
 * Lands an image's proposals, once: under the lock of the image's row, in the transaction that marks
 * it done. Returns false (and changes nothing) when the image was done already or its run cancelled.
 * The proposals are written as the run's creator, from the worker's client id.
 */
export async function landItem(
  service: Service,
  item: StartedItem,
  worker: string,
  result: ImageResult,
): Promise<{ landed: boolean; masks: number }> {
  const out = await service.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('preannotate_items')
      .select('state')
      .where('run_id', '=', item.runId)
      .where('image_id', '=', item.imageId)
      .forUpdate()
      .executeTakeFirst();
    const run = await trx.selectFrom('preannotate_runs').select(['state', 'created_by']).where('id', '=', item.runId).executeTakeFirst();
    if (!row || row.state === 'done' || row.state === 'cancelled' || row.state === 'failed' || !run || run.state !== 'running') return null;
    // the project row first, as every push takes it: categories made here are made once
    await trx.selectFrom('projects').select('seq').where('id', '=', item.projectId).forUpdate().executeTakeFirst();
    const ops: SyncOp[] = [];
    const opId = (k: string) => `pre:${item.runId}:${item.imageId}:${k}`;
    const categoryOf = new Map<number, number>();
    if (result.categoryNames?.size) {
      const cats = await liveRecords<Category>(trx, item.projectId, 'categories');
      const byName = new Map(cats.map((c) => [c.data.name, c.data.id]));
      const missing = [...new Set(result.categoryNames.values())].filter((n) => !byName.has(n));
      if (missing.length) {
        const [first] = await service.reserveIds(item.projectId, 'categories', missing.length, trx);
        missing.forEach((name, i) => {
          const id = first + i;
          byName.set(name, id);
          ops.push({
            opId: opId(`c${id}`),
            coll: 'categories',
            id,
            baseRev: null,
            data: { id, name, color: categoryColor(id) } satisfies Category,
          });
        });
      }
      for (const [tmp, name] of result.categoryNames) categoryOf.set(tmp, byName.get(name)!);
    }
    const kept = result.masks.filter((m) => m.area > 0);
    if (kept.length) {
      const [first] = await service.reserveIds(item.projectId, 'annotations', kept.length, trx);
      const now = Date.now();
      kept.forEach((m, i) => {
        const categoryId = m.categoryId < 0 ? categoryOf.get(m.categoryId)! : m.categoryId;
        const a = proposalAnnotation(first + i, item.imageId, { ...m, categoryId }, now);
        ops.push({ opId: opId(`a${i}`), coll: 'annotations', id: a.id, baseRev: null, data: a });
      });
    }
    if (result.consumedBoxIds.length) {
      const boxes = await trx
        .selectFrom('records')
        .select(['id', 'rev'])
        .where('project_id', '=', item.projectId)
        .where('coll', '=', 'pendingBoxes')
        .where('id', 'in', result.consumedBoxIds)
        .where('data', 'is not', null)
        .execute();
      for (const b of boxes) ops.push({ opId: opId(`b${b.id}`), coll: 'pendingBoxes', id: b.id, baseRev: b.rev, data: null });
    }
    let seq = 0;
    if (ops.length) {
      const creator = await trx
        .selectFrom('users')
        .select(['id', 'username', 'is_admin'])
        .where('id', '=', run.created_by)
        .executeTakeFirstOrThrow();
      const r = await service.pushIn(
        trx,
        item.projectId,
        { id: creator.id, username: creator.username, isAdmin: creator.is_admin },
        'admin',
        { clientId: `worker:${worker}`, ops },
      );
      seq = r.seq;
    }
    await trx
      .updateTable('preannotate_items')
      .set({ state: 'done', masks: kept.length, done_at: new Date(), worker, error: null })
      .where('run_id', '=', item.runId)
      .where('image_id', '=', item.imageId)
      .execute();
    await finishIfDone(trx, item.runId);
    return { seq, masks: kept.length };
  });
  if (!out) return { landed: false, masks: 0 };
  if (out.seq) service.onCommit(item.projectId, out.seq);
  return { landed: true, masks: out.masks };
}

/**
 * Images whose last try's worker vanished after the queue gave up on them (pg-boss fails a job after
 * its last try expires and tells nobody): marked failed, so their run can end. Run by every worker
 * now and then; cheap when there is nothing to do.
 */
export async function sweepAbandoned(db: Kysely<Database>): Promise<number> {
  const rows = await db.transaction().execute(async (trx) => {
    const gone = await trx
      .updateTable('preannotate_items')
      .set({
        state: 'failed',
        done_at: new Date(),
        error: `its worker stopped answering on each of ${PREANNOTATE_TRIES} tries (killed, or out of memory?)`,
      })
      .where('state', '=', 'running')
      .where('attempts', '>=', PREANNOTATE_TRIES)
      .where(({ eb, selectFrom }) =>
        eb(
          'started_at',
          '<',
          selectFrom('preannotate_runs')
            .select(sql<Date>`now() - make_interval(secs => preannotate_runs.expire_seconds + 60)`.as('limit'))
            .whereRef('preannotate_runs.id', '=', 'preannotate_items.run_id'),
        ),
      )
      .returning('run_id')
      .execute();
    for (const runId of new Set(gone.map((g) => g.run_id))) await finishIfDone(trx, runId);
    return gone;
  });
  return rows.length;
}

/** A worker says it is alive (every few seconds) and what it has done. */
export async function workerHeartbeat(db: Kysely<Database>, name: string, done: { images: number; masks: number }): Promise<void> {
  await db
    .insertInto('preannotate_workers')
    .values({ name, last_seen: new Date(), images: done.images, masks: done.masks })
    .onConflict((oc) => oc.column('name').doUpdateSet({ last_seen: new Date(), images: done.images, masks: done.masks }))
    .execute();
}

export async function workerGone(db: Kysely<Database>, name: string): Promise<void> {
  await db.deleteFrom('preannotate_workers').where('name', '=', name).execute();
}

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
