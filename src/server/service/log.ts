/** Reading the change log: the changes after a number (a pull), the current records in pages, a record's history. */
import type { Kysely } from 'kysely';
import type { Collection } from '../../core/project/changes.ts';
import { MAX_PULL_CHANGES, type AnyRecord, type ChangesResponse, type RecordsResponse } from '../../core/sync/protocol.ts';
import type { Database } from '../schema.ts';

/**
 * The most JSON a page of changes or records holds (at least one record, however large): a pull of a
 * project's detailed masks comes in pages of a few megabytes, each quick to read and send, so that no
 * one pull holds the server (or the client) for long.
 */
export const PAGE_BYTES = 4 * 1048576;

/** How many of the rows (their sizes in order) fit a page: at least one. */
export function rowsInPage(sizes: readonly number[], budget = PAGE_BYTES): number {
  let total = 0;
  for (let i = 0; i < sizes.length; i++) {
    total += sizes[i]!;
    if (total > budget && i > 0) return i;
  }
  return sizes.length;
}

/** The changes after `since`, oldest first, at most `limit` and at most {@link PAGE_BYTES} of records. */
export async function changes(db: Kysely<Database>, projectId: number, since: number, limit = MAX_PULL_CHANGES): Promise<ChangesResponse> {
  // the sizes first (no record read), then the records of the page
  const sizes = await db
    .selectFrom('changes')
    .select(['seq', 'data_bytes'])
    .where('project_id', '=', projectId)
    .where('seq', '>', since)
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  const n = rowsInPage(
    sizes.slice(0, limit).map((r) => r.data_bytes),
    PAGE_BYTES,
  );
  const more = sizes.length > n;
  const page = n
    ? await db
        .selectFrom('changes')
        .innerJoin('users', 'users.id', 'changes.user_id')
        .select(['changes.seq', 'changes.coll', 'changes.id', 'changes.data', 'changes.client_id', 'changes.op_id', 'users.username'])
        .where('changes.project_id', '=', projectId)
        .where('changes.seq', '>', since)
        .where('changes.seq', '<=', sizes[n - 1]!.seq)
        .orderBy('changes.seq')
        .execute()
    : [];
  const last = page.length ? page[page.length - 1]!.seq : since;
  const seq =
    more || page.length ? last : (await db.selectFrom('projects').select('seq').where('id', '=', projectId).executeTakeFirstOrThrow()).seq;
  return {
    changes: page.map((r) => ({
      seq: r.seq,
      coll: r.coll as Collection,
      id: r.id,
      data: (r.data ?? null) as AnyRecord | null,
      username: r.username,
      clientId: r.client_id,
      opId: r.op_id,
    })),
    seq: Math.max(seq, since),
    more,
  };
}

/** The project's current records in pages (collections in dependency order, then id). */
export async function records(
  db: Kysely<Database>,
  projectId: number,
  after: { coll: Collection; id: number } | null,
  limit = 5000,
): Promise<RecordsResponse> {
  const ORDER: Collection[] = ['images', 'categories', 'annotations', 'pendingBoxes', 'skipped'];
  const seq = (await db.selectFrom('projects').select('seq').where('id', '=', projectId).executeTakeFirstOrThrow()).seq;
  const out: RecordsResponse['records'] = [];
  let bytes = 0;
  let startIndex = after ? ORDER.indexOf(after.coll) : 0;
  let afterId = after ? after.id : 0;
  let next: string | null = null;
  for (; startIndex < ORDER.length; startIndex++) {
    const coll = ORDER[startIndex]!;
    const sizes = await db
      .selectFrom('records')
      .select(['id', 'data_bytes'])
      .where('project_id', '=', projectId)
      .where('coll', '=', coll)
      .where('id', '>', afterId)
      .where('data', 'is not', null)
      .orderBy('id')
      .limit(limit - out.length + 1)
      .execute();
    // as many as fit the rest of the page (by count and by size; at least one on a page)
    let n = Math.min(sizes.length, limit - out.length);
    let k = 0;
    while (k < n && (bytes + sizes[k]!.data_bytes <= PAGE_BYTES || (out.length === 0 && k === 0))) bytes += sizes[k++]!.data_bytes;
    n = k;
    const rows = n
      ? await db
          .selectFrom('records')
          .select(['id', 'rev', 'data'])
          .where('project_id', '=', projectId)
          .where('coll', '=', coll)
          .where('id', '>', afterId)
          .where('id', '<=', sizes[n - 1]!.id)
          .where('data', 'is not', null)
          .orderBy('id')
          .execute()
      : [];
    afterId = 0;
    for (const r of rows) out.push({ coll, id: r.id, rev: r.rev, data: r.data as AnyRecord });
    if (sizes.length > n) {
      const last = out[out.length - 1]!;
      next = `${last.coll}:${last.id}`;
      break;
    }
  }
  return { records: out, seq, next };
}

/** Every version of one record, newest first (the history: overwritten versions are kept). */
export async function history(
  db: Kysely<Database>,
  projectId: number,
  coll: Collection,
  id: number,
): Promise<{ seq: number; username: string; data: AnyRecord | null; at: string }[]> {
  const rows = await db
    .selectFrom('changes')
    .innerJoin('users', 'users.id', 'changes.user_id')
    .select(['changes.seq', 'users.username', 'changes.data', 'changes.created_at'])
    .where('changes.project_id', '=', projectId)
    .where('changes.coll', '=', coll)
    .where('changes.id', '=', id)
    .orderBy('changes.seq', 'desc')
    .execute();
  return rows.map((r) => ({
    seq: r.seq,
    username: r.username,
    data: (r.data ?? null) as AnyRecord | null,
    at: new Date(r.created_at).toISOString(),
  }));
}
