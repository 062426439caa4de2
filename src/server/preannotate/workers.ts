/** The workers: their names, their heartbeats, and the sweep of images whose worker vanished on the last try. */
import { hostname } from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { finishIfDone } from './items.ts';
import { PREANNOTATE_TRIES } from './spec.ts';

/** A name for this worker process, as the app shows it. */
export function workerName(suffix = ''): string {
  return `${hostname()}:${process.pid}${suffix}`;
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
