/**
 * A push: a client's operations applied in one transaction, numbered after the project's last change, all or
 * nothing (who may write what, jobs, records that fit their image), repeated operations answered once.
 */
import { sql, type Insertable, type Transaction } from 'kysely';
import type { Collection } from '../../core/project/changes.ts';
import { mayWrite } from '../../core/sync/roles.ts';
import type { AnyRecord, PushRequest, PushResponse, PushResult, Role, ServerUser } from '../../core/sync/protocol.ts';
import { recordWriteRefusal } from '../../core/team/jobs.ts';
import { HttpError } from '../errors.ts';
import { jobsOfImages } from '../jobs.ts';
import type { Database } from '../schema.ts';
import { recordImageProblem } from '../validate.ts';
import { checkNewIds } from './ids.ts';

/** The PostgreSQL notification channel of committed changes: payload "projectId:seq". */
export const CHANGES_CHANNEL = 'sam_changes';

/**
 * Rows in statements of at most 500 rows and about 1 MB of JSON: the embedded database runs each statement on the
 * server's own thread, and a statement of 500 detailed masks (7 MB) held every other request for seconds.
 */
function* batches<T extends { data?: unknown }>(rows: readonly T[]): Generator<T[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const d = rows[i]!.data;
    bytes += typeof d === 'string' ? d.length : 0;
    if (i + 1 - start >= 500 || bytes >= 1_000_000 || i === rows.length - 1) {
      yield rows.slice(start, i + 1);
      start = i + 1;
      bytes = 0;
    }
  }
}

/**
 * Every record of a push checked against its image (as the push leaves it, else as stored): masks of
 * the image's size, boxes and prompts within a sane range of it. A 400 that names what is wrong;
 * nothing of the push is applied.
 */
async function checkAgainstImages(
  trx: Transaction<Database>,
  projectId: number,
  ops: readonly PushRequest['ops'][number][],
  current: ReadonlyMap<string, { data: AnyRecord | null }>,
): Promise<void> {
  const images = new Map<number, { width: number; height: number } | undefined>();
  for (const o of ops) if (o.coll === 'images') images.set(o.id, (o.data as { width: number; height: number } | null) ?? undefined);
  const wanted = new Set<number>();
  for (const o of ops) {
    const im = (o.data as { imageId?: unknown } | null)?.imageId;
    if (o.coll !== 'images' && typeof im === 'number' && !images.has(im)) wanted.add(im);
  }
  for (const k of wanted) {
    const c = current.get(`images:${k}`);
    if (c) {
      images.set(k, (c.data as { width: number; height: number } | null) ?? undefined);
      wanted.delete(k);
    }
  }
  const ids = [...wanted];
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await trx
      .selectFrom('records')
      .select(['id', 'data'])
      .where('project_id', '=', projectId)
      .where('coll', '=', 'images')
      .where('id', 'in', ids.slice(i, i + 1000))
      .execute();
    for (const r of rows) images.set(r.id, (r.data as { width: number; height: number } | null) ?? undefined);
  }
  const problems: string[] = [];
  for (const o of ops) {
    const data = o.data as unknown as Record<string, unknown> | null;
    const p = recordImageProblem(o.coll, data, images.get(data?.['imageId'] as number));
    if (p) problems.push(p);
  }
  if (problems.length)
    throw new HttpError(
      400,
      `${problems.length === 1 ? 'A record does' : `${problems.length} records do`} not fit its image: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}.`,
      'Nothing of this push was applied. Masks must have their image’s size (height, width) and boxes and prompts must lie on or near it.',
      { problems: problems.slice(0, 100) },
    );
}

/**
 * Applies a push inside a transaction of the caller's (`Service.push` makes one, and tells of the commit). See
 * `Service.push` for what it does.
 */
export async function pushIn(
  trx: Transaction<Database>,
  projectId: number,
  user: ServerUser,
  role: Role,
  body: PushRequest,
  /** a client's push: its new records' ids are checked against the blocks handed to others (the server's own pushes use ids it reserved) */
  fromClient = false,
): Promise<PushResponse> {
  // the project row is the lock: pushes to one project commit one after another, in number order
  const project = await trx.selectFrom('projects').select('seq').where('id', '=', projectId).forUpdate().executeTakeFirst();
  if (!project) throw new HttpError(404, 'This project does not exist (any more).');
  const opIds = body.ops.map((o) => o.opId);
  const once = new Set<string>();
  const twice = opIds.find((id) => once.size === once.add(id).size);
  if (twice !== undefined)
    throw new HttpError(
      400,
      `Two operations of this push have one id (opId "${twice.slice(0, 80)}").`,
      'Give each operation its own opId; nothing was applied.',
    );
  // operations sent before (a repeated push): looked up in pieces (an import sends hundreds of thousands)
  const seenRows: { op_id: string; seq: number }[] = [];
  for (let i = 0; i < opIds.length; i += 1000)
    seenRows.push(
      ...(await trx
        .selectFrom('changes')
        .select(['op_id', 'seq'])
        .where('project_id', '=', projectId)
        .where('op_id', 'in', opIds.slice(i, i + 1000))
        .execute()),
    );
  const seen = new Map(seenRows.map((r) => [r.op_id, r.seq]));
  const fresh = body.ops.filter((o) => !seen.has(o.opId));
  const keys = [...new Map(fresh.map((o) => [`${o.coll}:${o.id}`, o])).values()];
  const current = new Map<string, { rev: number; data: AnyRecord | null; client_id: string; username: string }>();
  for (let i = 0; i < keys.length; i += 500) {
    const part = keys.slice(i, i + 500);
    const rows = await trx
      .selectFrom('records')
      .innerJoin('users', 'users.id', 'records.updated_by')
      .select(['records.coll', 'records.id', 'records.rev', 'records.data', 'records.client_id', 'users.username'])
      .where('records.project_id', '=', projectId)
      .where(({ eb, refTuple, tuple }) =>
        eb(
          refTuple('records.coll', 'records.id'),
          'in',
          part.map((k) => tuple(k.coll, k.id)),
        ),
      )
      .execute();
    for (const r of rows)
      current.set(`${r.coll}:${r.id}`, { rev: r.rev, data: r.data as AnyRecord | null, client_id: r.client_id, username: r.username });
  }
  // authorization first: all or nothing
  const refused: { opId: string; coll: Collection; id: number }[] = [];
  const state = new Map(current);
  for (const o of fresh) {
    const k = `${o.coll}:${o.id}`;
    const before = state.get(k)?.data ?? null;
    if (!mayWrite(role, o.coll, before, o.data)) refused.push({ opId: o.opId, coll: o.coll, id: o.id });
    else state.set(k, { rev: 0, data: o.data, client_id: body.clientId, username: user.username });
  }
  // jobs: an image given to someone is theirs (and its reviewer's in review) until an admin reassigns it
  if (refused.length === 0 && role !== 'admin') {
    // the image a record is on now and the one it is to be on: moving a mask off a job's image writes to it
    const imageOf = (d: AnyRecord | null | undefined): number | null => {
      const id = (d as { imageId?: unknown } | null | undefined)?.imageId;
      return typeof id === 'number' ? id : null;
    };
    const imagesOf = (o: (typeof fresh)[number]): [number | null, number | null] => {
      if (o.coll === 'images') return [o.id, o.id];
      if (o.coll === 'categories') return [null, null];
      return [imageOf(current.get(`${o.coll}:${o.id}`)?.data), imageOf(o.data)];
    };
    const imageIds = [...new Set(fresh.flatMap(imagesOf).filter((x): x is number => x !== null))];
    const jobs = await jobsOfImages(trx, projectId, imageIds);
    const jobOf = (im: number | null) => (im === null ? null : (jobs.get(im) ?? null));
    const reasons: string[] = [];
    for (const o of fresh) {
      const [now, next] = imagesOf(o);
      const why = recordWriteRefusal(jobOf(now), jobOf(next), { userId: user.id, role });
      if (why) {
        refused.push({ opId: o.opId, coll: o.coll, id: o.id });
        if (!reasons.includes(why)) reasons.push(why);
      }
    }
    if (refused.length)
      throw new HttpError(
        403,
        `${refused.length === 1 ? 'This change' : `${refused.length} of these changes`} (${describeRefused(refused)}) cannot be made: ${reasons.slice(0, 3).join('; ')}.`,
        'These changes were not applied; ask a project admin to reassign the job.',
        { refused },
      );
  }
  if (refused.length > 0)
    throw new HttpError(
      403,
      `Your role (${role}) may not make ${refused.length === 1 ? 'this change' : `${refused.length} of these changes`}: ${describeRefused(refused)}.`,
      'Ask a project admin for another role; these changes were not applied.',
      { refused },
    );
  if (fromClient) {
    const created = fresh.filter((o) => o.data !== null && !current.has(`${o.coll}:${o.id}`));
    const taken = await checkNewIds(trx, projectId, user, created);
    if (taken.length)
      throw new HttpError(
        403,
        `${taken.length === 1 ? 'This new record has an id' : `${taken.length} new records have ids`} reserved by another client (${describeRefused(taken)}).`,
        'Reserve ids first (POST /api/projects/:id/ids) and use those; nothing of this push was applied.',
        { refused: taken.map((o) => ({ opId: o.opId, coll: o.coll, id: o.id })) },
      );
  }
  await checkAgainstImages(trx, projectId, fresh, current);
  let seq = project.seq;
  const results: PushResult[] = [];
  const changeRows: Insertable<Database['changes']>[] = [];
  const recordRows = new Map<string, Insertable<Database['records']>>();
  for (const o of body.ops) {
    const earlier = seen.get(o.opId);
    if (earlier !== undefined) {
      results.push({ opId: o.opId, coll: o.coll, id: o.id, rev: earlier });
      continue;
    }
    seq++;
    const k = `${o.coll}:${o.id}`;
    const cur = current.get(k);
    const result: PushResult = { opId: o.opId, coll: o.coll, id: o.id, rev: seq };
    // a version written after what the client had pulled, by another client: the client never saw it
    if (cur && cur.rev > (o.baseRev ?? 0) && cur.client_id !== body.clientId) result.overwrote = { rev: cur.rev, username: cur.username };
    results.push(result);
    current.set(k, { rev: seq, data: o.data, client_id: body.clientId, username: user.username });
    changeRows.push({
      project_id: projectId,
      seq,
      coll: o.coll,
      id: o.id,
      data: o.data === null ? null : JSON.stringify(o.data),
      base_rev: o.baseRev,
      user_id: user.id,
      client_id: body.clientId,
      op_id: o.opId,
    });
    recordRows.set(k, {
      project_id: projectId,
      coll: o.coll,
      id: o.id,
      rev: seq,
      data: o.data === null ? null : JSON.stringify(o.data),
      updated_by: user.id,
      client_id: body.clientId,
    });
  }
  for (const part of batches(changeRows)) await trx.insertInto('changes').values(part).execute();
  const recs = [...recordRows.values()];
  for (const part of batches(recs))
    await trx
      .insertInto('records')
      .values(part)
      .onConflict((oc) =>
        oc.columns(['project_id', 'coll', 'id']).doUpdateSet((eb) => ({
          rev: eb.ref('excluded.rev'),
          data: eb.ref('excluded.data'),
          updated_by: eb.ref('excluded.updated_by'),
          client_id: eb.ref('excluded.client_id'),
          updated_at: sql<Date>`now()`,
        })),
      )
      .execute();
  if (seq !== project.seq) {
    await trx.updateTable('projects').set({ seq }).where('id', '=', projectId).execute();
    // other processes on the database (a second server, the pre-annotation workers) hear of it on commit
    await sql`select pg_notify(${CHANGES_CHANNEL}, ${`${projectId}:${seq}`})`.execute(trx);
  }
  return { results, seq };
}

function describeRefused(refused: { coll: Collection; id: number }[]): string {
  const shown = refused.slice(0, 5).map((r) => `${r.coll} #${r.id}`);
  return refused.length > 5 ? `${shown.join(', ')} and ${refused.length - 5} more` : shown.join(', ');
}
