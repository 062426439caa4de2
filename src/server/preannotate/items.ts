/**
 * A run's bookkeeping, one row per image: cancelled, taken by a worker, failed (and tried again), or landed: an
 * image's proposals written in the transaction that marks its row done, under that row's lock (so they land once).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { categoryColor } from '../../core/project/palette.ts';
import type { Category } from '../../core/project/types.ts';
import { proposalAnnotation, type PreannotateMode, type ProducedMask } from '../../core/sam/preannotateImage.ts';
import type { SyncOp } from '../../core/sync/protocol.ts';
import { HttpError } from '../errors.ts';
import type { Database } from '../schema.ts';
import type { Service } from '../service.ts';
import { liveRecords, PREANNOTATE_TRIES, type RunOptions } from './spec.ts';

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

/** Marks a run done once none of its images is queued or running. */
export async function finishIfDone(trx: Transaction<Database>, runId: number): Promise<void> {
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
