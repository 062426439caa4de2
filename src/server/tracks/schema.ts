/** The table of propagation runs on the server's workers (issue 29): one row per run of one track, its migration. */
import { sql, type Generated, type Migration } from 'kysely';

export type TrackRunState = 'queued' | 'running' | 'done' | 'stopped' | 'cancelled' | 'failed';

export interface TrackRunsTable {
  id: Generated<number>;
  project_id: number;
  track_id: number;
  video_id: number;
  /** the frame (image id) whose mask of the track is followed first */
  from_image_id: number;
  direction: number;
  until: 'next-key' | 'end';
  stop_on_flag: boolean;
  /** the frames to go through, in order: image ids, and whether each was a person's keyframe when queued (followed on from) */
  frames: unknown;
  created_by: number;
  created_at: Generated<Date>;
  state: TrackRunState;
  /** frames landed, of `total` (the planned frames that are not keyframes), and how many of them flagged */
  done: Generated<number>;
  total: number;
  flagged: Generated<number>;
  /** the last frame landed (a retried run goes on from its mask) */
  last_image_id: number | null;
  /** tries started; a landing from an earlier try is refused */
  attempts: Generated<number>;
  worker: string | null;
  /** the queue job that runs it now */
  job_id: string | null;
  started_at: Date | null;
  /** written by the worker every few seconds and every frame: a run whose heartbeat is older than `stall_seconds` is queued again */
  heartbeat_at: Date | null;
  stall_seconds: number;
  finished_at: Date | null;
  /** why it stopped or failed */
  message: string | null;
}

export const TRACK_MIGRATIONS: Record<string, Migration> = {
  '0010_track_runs': {
    async up(db) {
      for (const s of [
        `create table track_runs (
          id serial primary key,
          project_id integer not null references projects(id) on delete cascade,
          track_id integer not null,
          video_id integer not null,
          from_image_id integer not null,
          direction integer not null check (direction in (1, -1)),
          until text not null check (until in ('next-key', 'end')),
          stop_on_flag boolean not null,
          frames jsonb not null,
          created_by integer not null references users(id),
          created_at timestamptz not null default now(),
          state text not null default 'queued' check (state in ('queued', 'running', 'done', 'stopped', 'cancelled', 'failed')),
          done integer not null default 0,
          total integer not null,
          flagged integer not null default 0,
          last_image_id integer,
          attempts integer not null default 0,
          worker text,
          job_id text,
          started_at timestamptz,
          heartbeat_at timestamptz,
          stall_seconds integer not null,
          finished_at timestamptz,
          message text)`,
        `create index track_runs_project on track_runs(project_id, id)`,
        // one run of a track at a time (the queue route checks it under the project's lock; this makes it sure)
        `create unique index track_runs_one_open on track_runs(project_id, track_id) where state in ('queued', 'running')`,
        // the sweep of stalled runs
        `create index track_runs_open on track_runs(state, heartbeat_at) where state = 'running'`,
      ])
        await sql.raw(s).execute(db);
    },
  },
  '0011_records_video': {
    async up(db) {
      // a clip's frames by its video id (queueing a run reads them): not a scan of every image of the project
      await sql.raw(`create index records_video on records(project_id, ((data->'video'->>'id'))) where coll = 'images'`).execute(db);
    },
  },
};
