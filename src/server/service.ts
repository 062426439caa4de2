/**
 * What the server does, on the database: accounts and sessions, projects and members, the change
 * log (push and pull), id blocks and image files. Routes (`app.ts`) check who asks and call these.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Collection } from '../core/project/changes.ts';
import { mayWrite } from '../core/sync/roles.ts';
import {
  MAX_PULL_CHANGES,
  type AnyRecord,
  type ChangesResponse,
  type PushRequest,
  type PushResponse,
  type PushResult,
  type RecordsResponse,
  type Role,
  type ServerProject,
  type ServerUser,
} from '../core/sync/protocol.ts';
import { recordWriteRefusal } from '../core/team/jobs.ts';
import { HttpError } from './errors.ts';
import { jobsOfImages } from './jobs.ts';
import type { Database } from './schema.ts';
import { recordImageProblem } from './validate.ts';

export const SESSION_DAYS = 30;
/** A session unused this long ends (a computer left logged in). */
export const SESSION_IDLE_HOURS = 12;
/** The PostgreSQL notification channel of committed changes: payload "projectId:seq". */
export const CHANGES_CHANNEL = 'sam_changes';

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface Session {
  user: ServerUser;
  csrf: string;
}

/** The last id a record can have (PostgreSQL integer). */
export const MAX_ID = 2_147_483_647;
/** Ids a non-admin member may reserve per collection and project (the id space is 2^31). */
export const MEMBER_ID_QUOTA = 5_000_000;

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

export class Service {
  /** called after each committed push with the project and its new last change number */
  onCommit: (projectId: number, seq: number) => void = () => undefined;

  constructor(readonly db: Kysely<Database>) {}

  // ---- accounts ------------------------------------------------------------------------------

  async createUser(username: string, password: string, isAdmin: boolean): Promise<ServerUser> {
    const password_hash = await argonHash(password);
    const row = await this.db
      .insertInto('users')
      .values({ username, password_hash, is_admin: isAdmin })
      .onConflict((oc) => oc.column('username').doNothing())
      .returning(['id', 'username', 'is_admin'])
      .executeTakeFirst();
    if (!row) throw new HttpError(409, `A user named "${username}" exists already.`, 'Pick another name.');
    return { id: row.id, username: row.username, isAdmin: row.is_admin };
  }

  /**
   * Gives an account a new password and ends its sessions (all of them, or all but `keep`, the session
   * that changed it): whoever knew the old password is logged out everywhere.
   */
  async setPassword(username: string, password: string, keep?: string): Promise<boolean> {
    const password_hash = await argonHash(password);
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('users').set({ password_hash }).where('username', '=', username).returning('id').executeTakeFirst();
      if (!row) return false;
      let q = trx.deleteFrom('sessions').where('user_id', '=', row.id);
      if (keep) q = q.where('token_hash', '!=', sha256(keep));
      await q.execute();
      return true;
    });
  }

  /** The sessions of a user: a short id (the start of the token's hash), when made and last used. */
  async sessionsOf(userId: number, current: string): Promise<{ id: string; createdAt: Date; lastSeen: Date; current: boolean }[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['token_hash', 'created_at', 'last_seen'])
      .where('user_id', '=', userId)
      .where('expires_at', '>', new Date())
      .orderBy('last_seen', 'desc')
      .execute();
    const mine = sha256(current);
    return rows.map((r) => ({
      id: r.token_hash.slice(0, 16),
      createdAt: r.created_at,
      lastSeen: r.last_seen,
      current: r.token_hash === mine,
    }));
  }

  /** Ends one of a user's sessions by its short id; false when there is no such session of theirs. */
  async endSessionById(userId: number, id: string): Promise<boolean> {
    if (!/^[0-9a-f]{16}$/.test(id)) return false;
    const r = await this.db
      .deleteFrom('sessions')
      .where('user_id', '=', userId)
      .where(sql<boolean>`left(token_hash, 16) = ${id}`)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listUsers(): Promise<ServerUser[]> {
    const rows = await this.db.selectFrom('users').select(['id', 'username', 'is_admin']).orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, username: r.username, isAdmin: r.is_admin }));
  }

  /** The user when the password is right, else null (the same time either way, near enough). */
  async checkPassword(username: string, password: string): Promise<ServerUser | null> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    // a hash is verified even for an unknown name, so the answer's timing does not tell names apart
    const hash = row?.password_hash ?? (await dummyHash());
    const ok = await argonVerify(hash, password).catch(() => false);
    return row && ok ? { id: row.id, username: row.username, isAdmin: row.is_admin } : null;
  }

  async createSession(userId: number): Promise<{ token: string; csrf: string }> {
    const token = newToken();
    const csrf = newToken();
    await this.db
      .insertInto('sessions')
      .values({ token_hash: sha256(token), user_id: userId, csrf, expires_at: new Date(Date.now() + SESSION_DAYS * 86400_000) })
      .execute();
    return { token, csrf };
  }

  /** The session of a token, or null (expired, idle, ended). `touch`: this use counts as activity (not for background checks). */
  async session(token: string, touch = true): Promise<Session | null> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['users.id', 'users.username', 'users.is_admin', 'sessions.csrf', 'sessions.expires_at', 'sessions.last_seen'])
      .where('sessions.token_hash', '=', sha256(token))
      .executeTakeFirst();
    if (!row || row.expires_at.getTime() < Date.now()) return null;
    const now = Date.now();
    if (row.last_seen.getTime() < now - SESSION_IDLE_HOURS * 3600_000) {
      await this.endSession(token);
      return null;
    }
    // noted at most once a minute, not on every request
    if (touch && row.last_seen.getTime() < now - 60_000)
      await this.db
        .updateTable('sessions')
        .set({ last_seen: new Date(now) })
        .where('token_hash', '=', sha256(token))
        .execute();
    return { user: { id: row.id, username: row.username, isAdmin: row.is_admin }, csrf: row.csrf };
  }

  async endSession(token: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
  }

  // ---- projects and members --------------------------------------------------------------------

  async createProject(name: string, user: ServerUser): Promise<ServerProject> {
    return this.db.transaction().execute(async (trx) => {
      const p = await trx
        .insertInto('projects')
        .values({ name, created_by: user.id })
        .returning(['id', 'name', 'seq'])
        .executeTakeFirstOrThrow();
      await trx.insertInto('members').values({ project_id: p.id, user_id: user.id, role: 'admin' }).execute();
      return { id: p.id, name: p.name, seq: p.seq, role: 'admin' as const };
    });
  }

  /** The user's role in the project (site admins are admins of every project), or null. */
  async roleIn(projectId: number, user: ServerUser): Promise<Role | null> {
    const p = await this.db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
    if (!p) return null;
    if (user.isAdmin) return 'admin';
    const m = await this.db
      .selectFrom('members')
      .select('role')
      .where('project_id', '=', projectId)
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    return m?.role ?? null;
  }

  async listProjects(user: ServerUser): Promise<ServerProject[]> {
    if (user.isAdmin) {
      const rows = await this.db.selectFrom('projects').select(['id', 'name', 'seq']).orderBy('id').execute();
      return rows.map((r) => ({ ...r, role: 'admin' as const }));
    }
    const rows = await this.db
      .selectFrom('projects')
      .innerJoin('members', 'members.project_id', 'projects.id')
      .select(['projects.id', 'projects.name', 'projects.seq', 'members.role'])
      .where('members.user_id', '=', user.id)
      .orderBy('projects.id')
      .execute();
    return rows;
  }

  async project(projectId: number, role: Role): Promise<ServerProject> {
    const p = await this.db.selectFrom('projects').select(['id', 'name', 'seq']).where('id', '=', projectId).executeTakeFirstOrThrow();
    return { ...p, role };
  }

  async renameProject(projectId: number, name: string): Promise<void> {
    await this.db.updateTable('projects').set({ name }).where('id', '=', projectId).execute();
  }

  async deleteProject(projectId: number): Promise<void> {
    await this.db.deleteFrom('projects').where('id', '=', projectId).execute();
  }

  async members(projectId: number): Promise<{ userId: number; username: string; role: Role }[]> {
    return this.db
      .selectFrom('members')
      .innerJoin('users', 'users.id', 'members.user_id')
      .select(['users.id as userId', 'users.username', 'members.role'])
      .where('members.project_id', '=', projectId)
      .orderBy('users.username')
      .execute();
  }

  async setMember(projectId: number, username: string, role: Role): Promise<void> {
    const u = await this.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
    if (!u)
      throw new HttpError(
        404,
        `There is no user named "${username}".`,
        'A server admin creates accounts (Users, or npm run server -- create-user).',
      );
    await this.db
      .insertInto('members')
      .values({ project_id: projectId, user_id: u.id, role })
      .onConflict((oc) => oc.columns(['project_id', 'user_id']).doUpdateSet({ role }))
      .execute();
  }

  async removeMember(projectId: number, userId: number): Promise<void> {
    const r = await this.db.deleteFrom('members').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new HttpError(404, 'That user is not a member of this project.');
  }

  // ---- ids ---------------------------------------------------------------------------------------

  /** Reserves `count` new ids of a collection for one client: [first, last]. */
  async reserveIds(projectId: number, coll: Collection, count: number, db: Kysely<Database> = this.db): Promise<[number, number]> {
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
  async reserveIdsFor(projectId: number, user: ServerUser, role: Role, coll: Collection, count: number): Promise<[number, number]> {
    if (role === 'admin') return this.reserveIds(projectId, coll, count);
    return this.db.transaction().execute(async (trx) => {
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
      return this.reserveIds(projectId, coll, count, trx);
    });
  }

  // ---- the change log ----------------------------------------------------------------------------

  /**
   * Every record of a push checked against its image (as the push leaves it, else as stored): masks of
   * the image's size, boxes and prompts within a sane range of it. A 400 that names what is wrong;
   * nothing of the push is applied.
   */
  private async checkAgainstImages(
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
   * Applies a client's operations in one transaction, numbered after the project's last change.
   * Operations seen before (same opId) are answered with their first result and not applied again;
   * an operation the role may not make refuses the whole push (nothing changes). A write over a
   * version the client had not seen wins (later write wins) and says whose version it replaced;
   * that version stays in the log.
   */
  async push(projectId: number, user: ServerUser, role: Role, body: PushRequest): Promise<PushResponse> {
    const { results, seq } = await this.db.transaction().execute((trx) => this.pushIn(trx, projectId, user, role, body));
    this.onCommit(projectId, seq);
    return { results, seq };
  }

  /** {@link push} inside a transaction of the caller's (which calls {@link onCommit} once it commits). */
  async pushIn(trx: Transaction<Database>, projectId: number, user: ServerUser, role: Role, body: PushRequest): Promise<PushResponse> {
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
    await this.checkAgainstImages(trx, projectId, fresh, current);
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

  /** The changes after `since`, oldest first, at most `limit`. */
  async changes(projectId: number, since: number, limit = MAX_PULL_CHANGES): Promise<ChangesResponse> {
    const rows = await this.db
      .selectFrom('changes')
      .innerJoin('users', 'users.id', 'changes.user_id')
      .select(['changes.seq', 'changes.coll', 'changes.id', 'changes.data', 'changes.client_id', 'changes.op_id', 'users.username'])
      .where('changes.project_id', '=', projectId)
      .where('changes.seq', '>', since)
      .orderBy('changes.seq')
      .limit(limit + 1)
      .execute();
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page.length ? page[page.length - 1]!.seq : since;
    const seq =
      more || page.length
        ? last
        : (await this.db.selectFrom('projects').select('seq').where('id', '=', projectId).executeTakeFirstOrThrow()).seq;
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
  async records(projectId: number, after: { coll: Collection; id: number } | null, limit = 5000): Promise<RecordsResponse> {
    const ORDER: Collection[] = ['images', 'categories', 'annotations', 'pendingBoxes', 'skipped'];
    const seq = (await this.db.selectFrom('projects').select('seq').where('id', '=', projectId).executeTakeFirstOrThrow()).seq;
    const out: RecordsResponse['records'] = [];
    let startIndex = after ? ORDER.indexOf(after.coll) : 0;
    let afterId = after ? after.id : 0;
    let next: string | null = null;
    for (; startIndex < ORDER.length; startIndex++) {
      const coll = ORDER[startIndex]!;
      const rows = await this.db
        .selectFrom('records')
        .select(['id', 'rev', 'data'])
        .where('project_id', '=', projectId)
        .where('coll', '=', coll)
        .where('id', '>', afterId)
        .where('data', 'is not', null)
        .orderBy('id')
        .limit(limit - out.length + 1)
        .execute();
      afterId = 0;
      for (const r of rows) {
        if (out.length === limit) {
          const last = out[out.length - 1]!;
          next = `${last.coll}:${last.id}`;
          break;
        }
        out.push({ coll, id: r.id, rev: r.rev, data: r.data as AnyRecord });
      }
      if (next) break;
    }
    return { records: out, seq, next };
  }

  /** Every version of one record, newest first (the history: overwritten versions are kept). */
  async history(
    projectId: number,
    coll: Collection,
    id: number,
  ): Promise<{ seq: number; username: string; data: AnyRecord | null; at: string }[]> {
    const rows = await this.db
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

  // ---- files ---------------------------------------------------------------------------------------

  async addFile(projectId: number, sha: string, size: number, mime: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('files')
        .values({ sha256: sha, size, mime })
        .onConflict((oc) => oc.column('sha256').doNothing())
        .execute();
      await trx
        .insertInto('project_files')
        .values({ project_id: projectId, sha256: sha })
        .onConflict((oc) => oc.columns(['project_id', 'sha256']).doNothing())
        .execute();
    });
  }

  async fileOf(projectId: number, sha: string): Promise<{ size: number; mime: string } | null> {
    const row = await this.db
      .selectFrom('project_files')
      .innerJoin('files', 'files.sha256', 'project_files.sha256')
      .select(['files.size', 'files.mime'])
      .where('project_files.project_id', '=', projectId)
      .where('project_files.sha256', '=', sha)
      .executeTakeFirst();
    return row ?? null;
  }
}

function describeRefused(refused: { coll: Collection; id: number }[]): string {
  const shown = refused.slice(0, 5).map((r) => `${r.coll} #${r.id}`);
  return refused.length > 5 ? `${shown.join(', ')} and ${refused.length - 5} more` : shown.join(', ');
}

let dummy: Promise<string> | null = null;
/** A hash of a random password nobody knows: verified against for unknown user names. */
function dummyHash(): Promise<string> {
  dummy ??= argonHash(randomBytes(16).toString('hex'));
  return dummy;
}
