/** Accounts and sessions on the database: users, their argon2 password hashes, session tokens (kept hashed). */
import { createHash, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { sql, type Kysely } from 'kysely';
import type { ServerUser } from '../../core/sync/protocol.ts';
import { HttpError } from '../errors.ts';
import type { Database } from '../schema.ts';
import { passwordProblem, usernameKey } from '../accountRules.ts';

export const SESSION_DAYS = 30;
/** A session unused this long ends (a computer left logged in). */
export const SESSION_IDLE_HOURS = 12;

export interface Session {
  user: ServerUser;
  csrf: string;
}

export interface SessionInfo {
  id: string;
  createdAt: Date;
  lastSeen: Date;
  current: boolean;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A hash of a random password nobody knows, made once: verified against for unknown user names. */
const dummyHash = (() => {
  let dummy: Promise<string> | null = null;
  return (): Promise<string> => (dummy ??= argonHash(randomBytes(16).toString('hex')));
})();

/** A new password's problem for `username`, as a 400 (the strength estimate of accountRules.ts). */
export function checkNewPassword(password: string, username: string): void {
  const p = passwordProblem(password, username);
  if (p) throw new HttpError(400, p.message, p.hint);
}

export async function createUser(db: Kysely<Database>, username: string, password: string, isAdmin: boolean): Promise<ServerUser> {
  checkNewPassword(password, username);
  const key = usernameKey(username);
  const password_hash = await argonHash(password);
  const row = await db
    .insertInto('users')
    .values({ username, username_key: key, password_hash, is_admin: isAdmin })
    .onConflict((oc) => oc.doNothing())
    .returning(['id', 'username', 'is_admin'])
    .executeTakeFirst();
  if (!row) {
    const other = await db.selectFrom('users').select('username').where('username_key', '=', key).executeTakeFirst();
    const same = !other || other.username === username;
    throw new HttpError(
      409,
      same ? `A user named "${username}" exists already.` : `The name "${username}" reads the same as the user "${other.username}".`,
      'Pick another name.',
    );
  }
  return { id: row.id, username: row.username, isAdmin: row.is_admin };
}

/**
 * The account a typed name means: its exact name, else the one that reads the same (case, width,
 * look-alike letters). Null: none.
 */
export async function userByName(db: Kysely<Database>, username: string) {
  const exact = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  return exact ?? (await db.selectFrom('users').selectAll().where('username_key', '=', usernameKey(username)).executeTakeFirst()) ?? null;
}

/** A new password for an account; its sessions end (all of them, or all but `keep`). False: no such account. */
export async function setPassword(db: Kysely<Database>, username: string, password: string, keep?: string): Promise<boolean> {
  const user = await userByName(db, username);
  if (!user) return false;
  checkNewPassword(password, user.username);
  const password_hash = await argonHash(password);
  return db.transaction().execute(async (trx) => {
    const row = await trx.updateTable('users').set({ password_hash }).where('id', '=', user.id).returning('id').executeTakeFirst();
    if (!row) return false;
    let q = trx.deleteFrom('sessions').where('user_id', '=', row.id);
    if (keep) q = q.where('token_hash', '!=', sha256(keep));
    await q.execute();
    return true;
  });
}

/** The sessions of a user: a short id (the start of the token's hash), when made and last used. */
export async function sessionsOf(db: Kysely<Database>, userId: number, current: string): Promise<SessionInfo[]> {
  const rows = await db
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
export async function endSessionById(db: Kysely<Database>, userId: number, id: string): Promise<boolean> {
  if (!/^[0-9a-f]{16}$/.test(id)) return false;
  const r = await db
    .deleteFrom('sessions')
    .where('user_id', '=', userId)
    .where(sql<boolean>`left(token_hash, 16) = ${id}`)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listUsers(db: Kysely<Database>): Promise<ServerUser[]> {
  const rows = await db.selectFrom('users').select(['id', 'username', 'is_admin']).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, username: r.username, isAdmin: r.is_admin }));
}

/** The user when the password is right, else null (the same time either way, near enough). */
export async function checkPassword(db: Kysely<Database>, username: string, password: string): Promise<ServerUser | null> {
  const row = await userByName(db, username);
  // a hash is verified even for an unknown name, so the answer's timing does not tell names apart
  const hash = row?.password_hash ?? (await dummyHash());
  const ok = await argonVerify(hash, password).catch(() => false);
  return row && ok ? { id: row.id, username: row.username, isAdmin: row.is_admin } : null;
}

export async function createSession(db: Kysely<Database>, userId: number): Promise<{ token: string; csrf: string }> {
  const token = newToken();
  const csrf = newToken();
  await db
    .insertInto('sessions')
    .values({ token_hash: sha256(token), user_id: userId, csrf, expires_at: new Date(Date.now() + SESSION_DAYS * 86400_000) })
    .execute();
  return { token, csrf };
}

/** The session of a token, or null (expired, idle, ended). `touch`: this use counts as activity (not for background checks). */
export async function session(db: Kysely<Database>, token: string, touch: boolean): Promise<Session | null> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.username', 'users.is_admin', 'sessions.csrf', 'sessions.expires_at', 'sessions.last_seen'])
    .where('sessions.token_hash', '=', sha256(token))
    .executeTakeFirst();
  if (!row || row.expires_at.getTime() < Date.now()) return null;
  const now = Date.now();
  if (row.last_seen.getTime() < now - SESSION_IDLE_HOURS * 3600_000) {
    await endSession(db, token);
    return null;
  }
  // noted at most once a minute, not on every request
  if (touch && row.last_seen.getTime() < now - 60_000)
    await db
      .updateTable('sessions')
      .set({ last_seen: new Date(now) })
      .where('token_hash', '=', sha256(token))
      .execute();
  return { user: { id: row.id, username: row.username, isAdmin: row.is_admin }, csrf: row.csrf };
}

export async function endSession(db: Kysely<Database>, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
}
