/** Id blocks: each collection of a project numbers its records from one counter; members' shares are bounded. */
import { sql, type Kysely } from 'kysely';
import type { Collection } from '../../core/project/changes.ts';
import type { Role, ServerUser } from '../../core/sync/protocol.ts';
import { HttpError } from '../errors.ts';
import type { Database } from '../schema.ts';

/** The last id a record can have (PostgreSQL integer). */
export const MAX_ID = 2_147_483_647;
/** Ids a non-admin member may reserve per collection and project (the id space is 2^31). */
export const MEMBER_ID_QUOTA = 5_000_000;

/** Reserves `count` new ids of a collection for one client: [first, last]. */
export async function reserveIds(db: Kysely<Database>, projectId: number, coll: Collection, count: number): Promise<[number, number]> {
  // ids are PostgreSQL integers: a reservation that would pass the last one is refused, the counter as it was
  const row = await db
    .insertInto('id_counters')
    .values({ project_id: projectId, coll, last: count })
    .onConflict((oc) =>
      oc
        .columns(['project_id', 'coll'])
        .doUpdateSet({ last: sql<number>`id_counters.last + ${count}` })
        .where(sql<boolean>`id_counters.last <= ${MAX_ID - count}`),
    )
    .returning('last')
    .executeTakeFirst();
  if (!row)
    throw new HttpError(
      507,
      `This project has used up its ${coll} ids (the last is ${MAX_ID}); ${count} more cannot be given.`,
      'Export the project and import it into a new one (ids are numbered afresh), or ask for fewer.',
    );
  return [row.last - count + 1, row.last];
}

/**
 * Ids reserved by a member through the API: a non-admin's share is bounded ({@link MEMBER_ID_QUOTA} per
 * collection and project), so no member can use up the project's id space for everyone.
 */
export async function reserveIdsFor(
  db: Kysely<Database>,
  projectId: number,
  user: ServerUser,
  role: Role,
  coll: Collection,
  count: number,
): Promise<[number, number]> {
  const handed = async (trx: Kysely<Database>, block: Promise<[number, number]>): Promise<[number, number]> => {
    const [first, last] = await block;
    await trx.insertInto('id_blocks').values({ project_id: projectId, coll, first, last, user_id: user.id }).execute();
    return [first, last];
  };
  if (role === 'admin') return db.transaction().execute((trx) => handed(trx, reserveIds(trx, projectId, coll, count)));
  return db.transaction().execute(async (trx) => {
    const grant = await trx
      .insertInto('id_grants')
      .values({ project_id: projectId, user_id: user.id, coll, total: count })
      .onConflict((oc) =>
        oc
          .columns(['project_id', 'user_id', 'coll'])
          .doUpdateSet({ total: sql<number>`id_grants.total + ${count}` })
          .where(sql<boolean>`id_grants.total <= ${MEMBER_ID_QUOTA - count}`),
      )
      .returning('total')
      .executeTakeFirst();
    if (!grant || grant.total > MEMBER_ID_QUOTA)
      throw new HttpError(
        429,
        `You have reserved ${MEMBER_ID_QUOTA.toLocaleString('en')} ${coll} ids in this project, the most a member may.`,
        'A project admin can reserve more, or raise your role; ids already reserved stay yours.',
      );
    return handed(trx, reserveIds(trx, projectId, coll, count));
  });
}

/**
 * New records of a client's push: their ids must not lie in a block handed to another member (a later
 * push of theirs would silently replace the record); an id past every block moves the counter past it,
 * so no block handed out later holds it. Returns the ops refused.
 */
export async function checkNewIds<T extends { opId: string; coll: Collection; id: number }>(
  db: Kysely<Database>,
  projectId: number,
  user: ServerUser,
  created: readonly T[],
): Promise<T[]> {
  if (!created.length) return [];
  const refused: T[] = [];
  const byColl = new Map<Collection, T[]>();
  for (const o of created) byColl.set(o.coll, [...(byColl.get(o.coll) ?? []), o]);
  for (const [coll, ops] of byColl) {
    const ids = ops.map((o) => o.id);
    const lo = Math.min(...ids);
    const hi = Math.max(...ids);
    const blocks = await db
      .selectFrom('id_blocks')
      .select(['first', 'last', 'user_id'])
      .where('project_id', '=', projectId)
      .where('coll', '=', coll)
      .where('user_id', '!=', user.id)
      .where('first', '<=', hi)
      .where('last', '>=', lo)
      .execute();
    for (const o of ops) if (blocks.some((b) => b.first <= o.id && o.id <= b.last)) refused.push(o);
    await db
      .insertInto('id_counters')
      .values({ project_id: projectId, coll, last: hi })
      .onConflict((oc) => oc.columns(['project_id', 'coll']).doUpdateSet({ last: sql<number>`greatest(id_counters.last, ${hi})` }))
      .execute();
  }
  return refused;
}
