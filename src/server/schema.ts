/**
 * The server's database: tables as Kysely types, and the versioned migrations that make them
 * (`kysely_migration` records which ran). The same migrations run on PGlite and on PostgreSQL.
 */
import { sql, type Generated, type GeneratedAlways, type Kysely, type Migration } from 'kysely';
import { usernameKey } from './accountRules.ts';
import { TRACK_MIGRATIONS, type TrackRunsTable } from './tracks/schema.ts';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  /** the name as people read it (accountRules.ts `usernameKey`): unique, so no two names look alike */
  username_key: string;
  password_hash: string;
  is_admin: Generated<boolean>;
  created_at: Generated<Date>;
}
export interface InvitationsTable {
  project_id: number;
  username_key: string;
  /** the name as the inviter typed it */
  username: string;
  role: 'admin' | 'annotator' | 'reviewer';
  invited_by: number | null;
  created_at: Generated<Date>;
}
export interface SessionsTable {
  token_hash: string;
  user_id: number;
  csrf: string;
  created_at: Generated<Date>;
  expires_at: Date;
  last_seen: Generated<Date>;
}
export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  created_by: number | null;
  created_at: Generated<Date>;
  /** the last change's number: changes are numbered 1, 2, ... per project, in commit order */
  seq: Generated<number>;
}
export interface MembersTable {
  project_id: number;
  user_id: number;
  role: 'admin' | 'annotator' | 'reviewer';
}
export interface IdCountersTable {
  project_id: number;
  coll: string;
  last: number;
}
/** Ids each member has reserved in a project, per collection (a member's share of the 32-bit id space is bounded). */
/** A block of ids handed to one member (their new records use it; no one else may). */
export interface IdBlocksTable {
  project_id: number;
  coll: string;
  first: number;
  last: number;
  user_id: number;
}
export interface IdGrantsTable {
  project_id: number;
  user_id: number;
  coll: string;
  total: number;
}
export interface RecordsTable {
  project_id: number;
  coll: string;
  id: number;
  /** the change that wrote this version */
  rev: number;
  /** the record (JSON); null once removed */
  data: unknown;
  /** the size of `data` as JSON text (the database keeps it): pages of records are cut by size */
  data_bytes: GeneratedAlways<number>;
  updated_by: number;
  client_id: string;
  updated_at: Generated<Date>;
}
export interface ChangesTable {
  project_id: number;
  seq: number;
  coll: string;
  id: number;
  data: unknown;
  /** the size of `data` as JSON text (the database keeps it): a pull's pages are cut by size */
  data_bytes: GeneratedAlways<number>;
  /** the version the writer had seen (null: it had none) */
  base_rev: number | null;
  user_id: number;
  client_id: string;
  op_id: string;
  created_at: Generated<Date>;
}
export interface FilesTable {
  sha256: string;
  size: number;
  mime: string;
  created_at: Generated<Date>;
}
export interface ProjectFilesTable {
  project_id: number;
  sha256: string;
}

export interface JobsTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  state: 'new' | 'annotating' | 'in_review' | 'done' | 'rejected';
  annotator_id: number | null;
  reviewer_id: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface JobImagesTable {
  project_id: number;
  image_id: number;
  job_id: number;
}
export interface JobEventsTable {
  id: Generated<number>;
  job_id: number;
  user_id: number;
  from_state: string | null;
  to_state: string;
  comment: string | null;
  at: Generated<Date>;
}
export interface ReviewsTable {
  id: Generated<number>;
  project_id: number;
  job_id: number | null;
  annotation_id: number;
  image_id: number;
  reviewer_id: number;
  decision: 'accept' | 'reject';
  comment: string | null;
  at: Generated<Date>;
}

export interface PreannotateRunsTable {
  id: Generated<number>;
  project_id: number;
  /** the job whose images it covers (null: the whole project) */
  job_id: number | null;
  mode: string;
  /** the pre-annotation options (box plan, segment-everything parameters, coarse label files) */
  options: unknown;
  created_by: number;
  created_at: Generated<Date>;
  state: 'running' | 'done' | 'cancelled';
  finished_at: Date | null;
  /** seconds a worker may hold one image before it goes back to the queue */
  expire_seconds: number;
}
export interface PreannotateItemsTable {
  run_id: number;
  image_id: number;
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  masks: Generated<number>;
  /** tries started (a killed worker's image is tried again) */
  attempts: Generated<number>;
  worker: string | null;
  started_at: Date | null;
  done_at: Date | null;
  error: string | null;
}

export interface PreannotateWorkersTable {
  /** host:pid */
  name: string;
  last_seen: Date;
  images: number;
  masks: number;
}

export interface Database {
  users: UsersTable;
  invitations: InvitationsTable;
  sessions: SessionsTable;
  projects: ProjectsTable;
  members: MembersTable;
  id_counters: IdCountersTable;
  id_grants: IdGrantsTable;
  id_blocks: IdBlocksTable;
  records: RecordsTable;
  changes: ChangesTable;
  files: FilesTable;
  project_files: ProjectFilesTable;
  jobs: JobsTable;
  job_images: JobImagesTable;
  job_events: JobEventsTable;
  reviews: ReviewsTable;
  preannotate_runs: PreannotateRunsTable;
  preannotate_items: PreannotateItemsTable;
  preannotate_workers: PreannotateWorkersTable;
  track_runs: TrackRunsTable;
}

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

/** Versioned migrations, applied in name order; never edit one that has shipped: add the next. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_init': {
    up: (db) =>
      run(db, [
        `create table users (
          id serial primary key,
          username text not null unique,
          password_hash text not null,
          is_admin boolean not null default false,
          created_at timestamptz not null default now())`,
        `create table sessions (
          token_hash text primary key,
          user_id integer not null references users(id) on delete cascade,
          csrf text not null,
          created_at timestamptz not null default now(),
          expires_at timestamptz not null)`,
        `create index sessions_user on sessions(user_id)`,
        `create table projects (
          id serial primary key,
          name text not null,
          created_by integer references users(id) on delete set null,
          created_at timestamptz not null default now(),
          seq integer not null default 0)`,
        `create table members (
          project_id integer not null references projects(id) on delete cascade,
          user_id integer not null references users(id) on delete cascade,
          role text not null check (role in ('admin', 'annotator', 'reviewer')),
          primary key (project_id, user_id))`,
        `create table id_counters (
          project_id integer not null references projects(id) on delete cascade,
          coll text not null,
          last integer not null default 0,
          primary key (project_id, coll))`,
        `create table records (
          project_id integer not null references projects(id) on delete cascade,
          coll text not null,
          id integer not null,
          rev integer not null,
          data jsonb,
          updated_by integer not null,
          client_id text not null,
          updated_at timestamptz not null default now(),
          primary key (project_id, coll, id))`,
        `create table changes (
          project_id integer not null references projects(id) on delete cascade,
          seq integer not null,
          coll text not null,
          id integer not null,
          data jsonb,
          base_rev integer,
          user_id integer not null,
          client_id text not null,
          op_id text not null,
          created_at timestamptz not null default now(),
          primary key (project_id, seq),
          unique (project_id, op_id))`,
        `create index changes_record on changes(project_id, coll, id, seq)`,
        `create table files (
          sha256 text primary key,
          size integer not null,
          mime text not null,
          created_at timestamptz not null default now())`,
        `create table project_files (
          project_id integer not null references projects(id) on delete cascade,
          sha256 text not null references files(sha256),
          primary key (project_id, sha256))`,
      ]),
  },
  '0002_jobs': {
    up: (db) =>
      run(db, [
        `create table jobs (
          id serial primary key,
          project_id integer not null references projects(id) on delete cascade,
          name text not null,
          state text not null default 'new' check (state in ('new', 'annotating', 'in_review', 'done', 'rejected')),
          annotator_id integer references users(id) on delete set null,
          reviewer_id integer references users(id) on delete set null,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now())`,
        `create index jobs_project on jobs(project_id)`,
        // an image is in one job at most
        `create table job_images (
          project_id integer not null references projects(id) on delete cascade,
          image_id integer not null,
          job_id integer not null references jobs(id) on delete cascade,
          primary key (project_id, image_id))`,
        `create index job_images_job on job_images(job_id)`,
        `create table job_events (
          id serial primary key,
          job_id integer not null references jobs(id) on delete cascade,
          user_id integer not null references users(id),
          from_state text,
          to_state text not null,
          comment text,
          at timestamptz not null default now())`,
        `create table reviews (
          id serial primary key,
          project_id integer not null references projects(id) on delete cascade,
          job_id integer references jobs(id) on delete set null,
          annotation_id integer not null,
          image_id integer not null,
          reviewer_id integer not null references users(id),
          decision text not null check (decision in ('accept', 'reject')),
          comment text,
          at timestamptz not null default now())`,
        `create index reviews_annotation on reviews(project_id, annotation_id)`,
      ]),
  },
  '0003_preannotate': {
    up: (db) =>
      run(db, [
        `create table preannotate_runs (
          id serial primary key,
          project_id integer not null references projects(id) on delete cascade,
          job_id integer references jobs(id) on delete set null,
          mode text not null,
          options jsonb not null,
          created_by integer not null references users(id),
          created_at timestamptz not null default now(),
          state text not null default 'running' check (state in ('running', 'done', 'cancelled')),
          finished_at timestamptz,
          expire_seconds integer not null)`,
        `create index preannotate_runs_project on preannotate_runs(project_id, id)`,
        // one row per image of a run: its result lands once (the row is the lock), whoever runs it
        `create table preannotate_items (
          run_id integer not null references preannotate_runs(id) on delete cascade,
          image_id integer not null,
          state text not null default 'queued' check (state in ('queued', 'running', 'done', 'failed', 'cancelled')),
          masks integer not null default 0,
          attempts integer not null default 0,
          worker text,
          started_at timestamptz,
          done_at timestamptz,
          error text,
          primary key (run_id, image_id))`,
        `create table preannotate_workers (
          name text primary key,
          last_seen timestamptz not null,
          images integer not null default 0,
          masks integer not null default 0)`,
        // a worker reads one image's records (its boxes) without reading the whole project
        // (as text: a cast here could make a write fail)
        `create index records_image on records(project_id, coll, (data->>'imageId'))`,
      ]),
  },
  '0004_id_grants': {
    up: (db) =>
      run(db, [
        `create table id_grants (
          project_id integer not null references projects(id) on delete cascade,
          user_id integer not null references users(id) on delete cascade,
          coll text not null,
          total integer not null default 0,
          primary key (project_id, user_id, coll))`,
      ]),
  },
  '0005_session_last_seen': {
    up: (db) => run(db, [`alter table sessions add column last_seen timestamptz not null default now()`]),
  },
  '0006_username_key': {
    async up(db) {
      await run(db, [`alter table users add column username_key text`]);
      // accounts made before: the first of names that read alike keeps the key, the others are found by their exact name
      const users = await sql<{ id: number; username: string }>`select id, username from users order by id`.execute(db);
      const taken = new Set<string>();
      for (const u of users.rows) {
        const key = usernameKey(u.username);
        const stored = taken.has(key) ? `${key}#${u.id}` : key;
        taken.add(key);
        await sql`update users set username_key = ${stored} where id = ${u.id}`.execute(db);
      }
      await run(db, [
        `alter table users alter column username_key set not null`,
        `create unique index users_by_name_key on users(username_key)`,
      ]);
    },
  },
  '0007_invitations': {
    up: (db) =>
      run(db, [
        // a project admin who is not a server admin invites by name: whether the name exists is not told;
        // the account with that name joins at its next sign-in or request
        `create table invitations (
          project_id integer not null references projects(id) on delete cascade,
          username_key text not null,
          username text not null,
          role text not null check (role in ('admin', 'annotator', 'reviewer')),
          invited_by integer references users(id) on delete set null,
          created_at timestamptz not null default now(),
          primary key (project_id, username_key))`,
      ]),
  },
  '0008_id_blocks': {
    up: (db) =>
      run(db, [
        // who was handed which ids: a push may not make a record with an id handed to someone else
        `create table id_blocks (
          project_id integer not null references projects(id) on delete cascade,
          coll text not null,
          first integer not null,
          last integer not null,
          user_id integer not null references users(id) on delete cascade)`,
        `create index id_blocks_range on id_blocks(project_id, coll, first)`,
      ]),
  },
  '0009_data_bytes': {
    up: (db) =>
      run(db, [
        // how large each stored record is as JSON, so that a pull's page is cut at a few megabytes
        // without reading the records past it
        `alter table changes add column data_bytes integer not null generated always as (coalesce(octet_length(data::text), 0)) stored`,
        `alter table records add column data_bytes integer not null generated always as (coalesce(octet_length(data::text), 0)) stored`,
      ]),
  },
  // video propagation runs (tracks/schema.ts)
  ...TRACK_MIGRATIONS,
};
