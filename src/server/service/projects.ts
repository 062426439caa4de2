/** Projects on the database: the project rows, their members and roles, and which image files each has. */
import type { Kysely } from 'kysely';
import type { Role, ServerProject, ServerUser } from '../../core/sync/protocol.ts';
import { HttpError } from '../errors.ts';
import type { Database } from '../schema.ts';

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
  const m = await db
    .selectFrom('members')
    .select('role')
    .where('project_id', '=', projectId)
    .where('user_id', '=', user.id)
    .executeTakeFirst();
  return m?.role ?? null;
}

export async function listProjects(db: Kysely<Database>, user: ServerUser): Promise<ServerProject[]> {
  if (user.isAdmin) {
    const rows = await db.selectFrom('projects').select(['id', 'name', 'seq']).orderBy('id').execute();
    return rows.map((r) => ({ ...r, role: 'admin' as const }));
  }
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

export async function setMember(db: Kysely<Database>, projectId: number, username: string, role: Role): Promise<void> {
  const u = await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
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
