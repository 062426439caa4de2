/** Projects on the database: the project rows, their members and roles, and which image files each has. */
import type { Kysely } from 'kysely';
import type { Role, ServerProject, ServerUser } from '../../core/sync/protocol.ts';
import { HttpError } from '../errors.ts';
import type { Database } from '../schema.ts';
import { usernameKey } from '../accountRules.ts';
import { userByName } from './accounts.ts';

export async function createProject(db: Kysely<Database>, name: string, user: ServerUser): Promise<ServerProject> {
  return db.transaction().execute(async (trx) => {
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
export async function roleIn(db: Kysely<Database>, projectId: number, user: ServerUser): Promise<Role | null> {
  const p = await db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
  if (!p) return null;
  if (user.isAdmin) return 'admin';
  const member = () =>
    db.selectFrom('members').select('role').where('project_id', '=', projectId).where('user_id', '=', user.id).executeTakeFirst();
  let m = await member();
  // invited since they signed in: the invitation is taken now
  if (!m && (await db.selectFrom('invitations').select('project_id').where('project_id', '=', projectId).executeTakeFirst())) {
    await acceptInvitations(db, user);
    m = await member();
  }
  return m?.role ?? null;
}

export async function listProjects(db: Kysely<Database>, user: ServerUser): Promise<ServerProject[]> {
  if (user.isAdmin) {
    const rows = await db.selectFrom('projects').select(['id', 'name', 'seq']).orderBy('id').execute();
    return rows.map((r) => ({ ...r, role: 'admin' as const }));
  }
  await acceptInvitations(db, user);
  const rows = await db
    .selectFrom('projects')
    .innerJoin('members', 'members.project_id', 'projects.id')
    .select(['projects.id', 'projects.name', 'projects.seq', 'members.role'])
    .where('members.user_id', '=', user.id)
    .orderBy('projects.id')
    .execute();
  return rows;
}

export async function project(db: Kysely<Database>, projectId: number, role: Role): Promise<ServerProject> {
  const p = await db.selectFrom('projects').select(['id', 'name', 'seq']).where('id', '=', projectId).executeTakeFirstOrThrow();
  return { ...p, role };
}

export async function renameProject(db: Kysely<Database>, projectId: number, name: string): Promise<void> {
  await db.updateTable('projects').set({ name }).where('id', '=', projectId).execute();
}

export async function deleteProject(db: Kysely<Database>, projectId: number): Promise<void> {
  await db.deleteFrom('projects').where('id', '=', projectId).execute();
}

export async function members(db: Kysely<Database>, projectId: number): Promise<{ userId: number; username: string; role: Role }[]> {
  return db
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .select(['users.id as userId', 'users.username', 'members.role'])
    .where('members.project_id', '=', projectId)
    .orderBy('users.username')
    .execute();
}

/**
 * Gives `username` a role in the project. A server admin (who sees every account) adds them at once,
 * and is told when there is no such account (404). Anyone else invites: the answer is the same
 * whether or not the name exists (`invited`), and the account with that name joins at its next
 * sign-in or request (`acceptInvitations`); a name already a member gets the role at once.
 */
export async function setMember(
  db: Kysely<Database>,
  projectId: number,
  username: string,
  role: Role,
  by: ServerUser,
): Promise<{ invited: boolean }> {
  const u = await userByName(db, username);
  const member = u
    ? await db.selectFrom('members').select('role').where('project_id', '=', projectId).where('user_id', '=', u.id).executeTakeFirst()
    : undefined;
  if (!by.isAdmin && !member) {
    await db
      .insertInto('invitations')
      .values({ project_id: projectId, username_key: usernameKey(username), username, role, invited_by: by.id })
      .onConflict((oc) => oc.columns(['project_id', 'username_key']).doUpdateSet({ role, username, invited_by: by.id }))
      .execute();
    return { invited: true };
  }
  if (!u)
    throw new HttpError(
      404,
      `There is no user named "${username}".`,
      'A server admin creates accounts (Users, or npm run server -- create-user).',
    );
  await db
    .insertInto('members')
    .values({ project_id: projectId, user_id: u.id, role })
    .onConflict((oc) => oc.columns(['project_id', 'user_id']).doUpdateSet({ role }))
    .execute();
  return { invited: false };
}

/** The project's open invitations (name as typed, role). */
export async function invitations(db: Kysely<Database>, projectId: number): Promise<{ username: string; role: Role }[]> {
  return db.selectFrom('invitations').select(['username', 'role']).where('project_id', '=', projectId).orderBy('username').execute();
}

/** The user's invitations become memberships (at sign-in, and on a request to a project or the list). */
export async function acceptInvitations(db: Kysely<Database>, user: ServerUser): Promise<void> {
  const row = await db.selectFrom('users').select('username_key').where('id', '=', user.id).executeTakeFirst();
  if (!row) return;
  await db.transaction().execute(async (trx) => {
    const open = await trx
      .deleteFrom('invitations')
      .where('username_key', '=', row.username_key)
      .returning(['project_id', 'role'])
      .execute();
    for (const i of open)
      await trx
        .insertInto('members')
        .values({ project_id: i.project_id, user_id: user.id, role: i.role })
        .onConflict((oc) => oc.columns(['project_id', 'user_id']).doNothing())
        .execute();
  });
}

export async function removeMember(db: Kysely<Database>, projectId: number, userId: number): Promise<void> {
  const r = await db.deleteFrom('members').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw new HttpError(404, 'That user is not a member of this project.');
}

/** An image file of the project (the file itself is in the file store). */
export async function addFile(db: Kysely<Database>, projectId: number, sha: string, size: number, mime: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
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

export async function fileOf(db: Kysely<Database>, projectId: number, sha: string): Promise<{ size: number; mime: string } | null> {
  const row = await db
    .selectFrom('project_files')
    .innerJoin('files', 'files.sha256', 'project_files.sha256')
    .select(['files.size', 'files.mime'])
    .where('project_files.project_id', '=', projectId)
    .where('project_files.sha256', '=', sha)
    .executeTakeFirst();
  return row ?? null;
}

/** Withdraws an invitation (false: there was none under that name). */
export async function withdrawInvitation(db: Kysely<Database>, projectId: number, username: string): Promise<boolean> {
  const r = await db
    .deleteFrom('invitations')
    .where('project_id', '=', projectId)
    .where('username_key', '=', usernameKey(username))
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
