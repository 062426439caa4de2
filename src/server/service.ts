/**
 * What the server does, on the database: accounts and sessions, projects and members, the change
 * log (push and pull), id blocks and image files. Routes (`routes/`) check who asks and call these.
 * The work is done by the modules of `service/`, one per concern; this class holds the database and
 * the commit notice, and is what the routes, the workers and the tests are given.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Collection } from '../core/project/changes.ts';
import {
  MAX_PULL_CHANGES,
  type AnyRecord,
  type ChangesResponse,
  type PushRequest,
  type PushResponse,
  type RecordsResponse,
  type Role,
  type ServerProject,
  type ServerUser,
} from '../core/sync/protocol.ts';
import type { Database } from './schema.ts';
import * as accounts from './service/accounts.ts';
import * as ids from './service/ids.ts';
import * as log from './service/log.ts';
import * as projects from './service/projects.ts';
import { pushIn } from './service/push.ts';

export { newToken, SESSION_DAYS, SESSION_IDLE_HOURS, type Session } from './service/accounts.ts';
export { MAX_ID, MEMBER_ID_QUOTA } from './service/ids.ts';
export { CHANGES_CHANNEL } from './service/push.ts';

export class Service {
  /** called after each committed push with the project and its new last change number */
  onCommit: (projectId: number, seq: number) => void = () => undefined;

  constructor(readonly db: Kysely<Database>) {}

  // ---- accounts (service/accounts.ts) ----------------------------------------------------------------

  createUser(username: string, password: string, isAdmin: boolean): Promise<ServerUser> {
    return accounts.createUser(this.db, username, password, isAdmin);
  }

  /**
   * Gives an account a new password and ends its sessions (all of them, or all but `keep`, the session
   * that changed it): whoever knew the old password is logged out everywhere.
   */
  setPassword(username: string, password: string, keep?: string): Promise<boolean> {
    return accounts.setPassword(this.db, username, password, keep);
  }

  /** The sessions of a user: a short id (the start of the token's hash), when made and last used. */
  sessionsOf(userId: number, current: string): Promise<accounts.SessionInfo[]> {
    return accounts.sessionsOf(this.db, userId, current);
  }

  /** Ends one of a user's sessions by its short id; false when there is no such session of theirs. */
  endSessionById(userId: number, id: string): Promise<boolean> {
    return accounts.endSessionById(this.db, userId, id);
  }

  listUsers(): Promise<ServerUser[]> {
    return accounts.listUsers(this.db);
  }

  /** The user when the password is right, else null (the same time either way, near enough). */
  checkPassword(username: string, password: string): Promise<ServerUser | null> {
    return accounts.checkPassword(this.db, username, password);
  }

  createSession(userId: number): Promise<{ token: string; csrf: string }> {
    return accounts.createSession(this.db, userId);
  }

  /** The session of a token, or null (expired, idle, ended). `touch`: this use counts as activity (not for background checks). */
  session(token: string, touch = true): Promise<accounts.Session | null> {
    return accounts.session(this.db, token, touch);
  }

  endSession(token: string): Promise<void> {
    return accounts.endSession(this.db, token);
  }

  // ---- projects and members (service/projects.ts) -----------------------------------------------------

  createProject(name: string, user: ServerUser): Promise<ServerProject> {
    return projects.createProject(this.db, name, user);
  }

  /** The user's role in the project (site admins are admins of every project), or null. */
  roleIn(projectId: number, user: ServerUser): Promise<Role | null> {
    return projects.roleIn(this.db, projectId, user);
  }

  listProjects(user: ServerUser): Promise<ServerProject[]> {
    return projects.listProjects(this.db, user);
  }

  project(projectId: number, role: Role): Promise<ServerProject> {
    return projects.project(this.db, projectId, role);
  }

  renameProject(projectId: number, name: string): Promise<void> {
    return projects.renameProject(this.db, projectId, name);
  }

  deleteProject(projectId: number): Promise<void> {
    return projects.deleteProject(this.db, projectId);
  }

  members(projectId: number): Promise<{ userId: number; username: string; role: Role }[]> {
    return projects.members(this.db, projectId);
  }

  /** A server admin adds at once (404 for no such account); anyone else invites, without being told whether the name exists. */
  setMember(projectId: number, username: string, role: Role, by: ServerUser): Promise<{ invited: boolean }> {
    return projects.setMember(this.db, projectId, username, role, by);
  }

  invitations(projectId: number): Promise<{ username: string; role: Role }[]> {
    return projects.invitations(this.db, projectId);
  }

  withdrawInvitation(projectId: number, username: string): Promise<boolean> {
    return projects.withdrawInvitation(this.db, projectId, username);
  }

  acceptInvitations(user: ServerUser): Promise<void> {
    return projects.acceptInvitations(this.db, user);
  }

  removeMember(projectId: number, userId: number): Promise<void> {
    return projects.removeMember(this.db, projectId, userId);
  }

  // ---- ids (service/ids.ts) -------------------------------------------------------------------------

  /** Reserves `count` new ids of a collection for one client: [first, last]. */
  reserveIds(projectId: number, coll: Collection, count: number, db: Kysely<Database> = this.db): Promise<[number, number]> {
    return ids.reserveIds(db, projectId, coll, count);
  }

  /**
   * Ids reserved by a member through the API: a non-admin's share is bounded ({@link ids.MEMBER_ID_QUOTA} per
   * collection and project), so no member can use up the project's id space for everyone.
   */
  reserveIdsFor(projectId: number, user: ServerUser, role: Role, coll: Collection, count: number): Promise<[number, number]> {
    return ids.reserveIdsFor(this.db, projectId, user, role, coll, count);
  }

  // ---- the change log (service/push.ts, service/log.ts) ---------------------------------------------

  /**
   * Applies a client's operations in one transaction, numbered after the project's last change.
   * Operations seen before (same opId) are answered with their first result and not applied again;
   * an operation the role may not make refuses the whole push (nothing changes). A write over a
   * version the client had not seen wins (later write wins) and says whose version it replaced;
   * that version stays in the log.
   */
  async push(projectId: number, user: ServerUser, role: Role, body: PushRequest, fromClient = false): Promise<PushResponse> {
    const { results, seq } = await this.db.transaction().execute((trx) => pushIn(trx, projectId, user, role, body, fromClient));
    this.onCommit(projectId, seq);
    return { results, seq };
  }

  /** {@link push} inside a transaction of the caller's (which calls {@link onCommit} once it commits). */
  pushIn(trx: Transaction<Database>, projectId: number, user: ServerUser, role: Role, body: PushRequest): Promise<PushResponse> {
    return pushIn(trx, projectId, user, role, body);
  }

  /** The changes after `since`, oldest first, at most `limit`. */
  changes(projectId: number, since: number, limit = MAX_PULL_CHANGES): Promise<ChangesResponse> {
    return log.changes(this.db, projectId, since, limit);
  }

  /** The project's current records in pages (collections in dependency order, then id). */
  records(projectId: number, after: { coll: Collection; id: number } | null, limit = 5000): Promise<RecordsResponse> {
    return log.records(this.db, projectId, after, limit);
  }

  /** Every version of one record, newest first (the history: overwritten versions are kept). */
  history(
    projectId: number,
    coll: Collection,
    id: number,
  ): Promise<{ seq: number; username: string; data: AnyRecord | null; at: string }[]> {
    return log.history(this.db, projectId, coll, id);
  }

  // ---- files (service/projects.ts) -------------------------------------------------------------------

  addFile(projectId: number, sha: string, size: number, mime: string): Promise<void> {
    return projects.addFile(this.db, projectId, sha, size, mime);
  }

  fileOf(projectId: number, sha: string): Promise<{ size: number; mime: string } | null> {
    return projects.fileOf(this.db, projectId, sha);
  }
}
