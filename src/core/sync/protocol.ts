/**
 * What the app and the project server say to each other to keep a project in step (offline-first
 * sync). The server keeps every record's current version with its revision (the number of the change
 * that wrote it) and the log of all changes; a client pushes the records it changed, each with the
 * revision it had seen, and pulls the changes made after its cursor. Pure types and helpers.
 */
import type { Collection, Collections } from '../project/changes.ts';

export type AnyRecord = Collections[Collection];

/** One record written (data) or removed (data null) by a client. */
export interface SyncOp {
  /** unique per operation (the client's id and a counter): a push sent twice is applied once */
  opId: string;
  coll: Collection;
  id: number;
  /** the revision the client's edit started from; null: it had never seen the record */
  baseRev: number | null;
  data: AnyRecord | null;
}

export interface PushRequest {
  clientId: string;
  ops: SyncOp[];
}

export interface PushResult {
  opId: string;
  coll: Collection;
  id: number;
  /** the revision the server gave this write */
  rev: number;
  /** the write replaced someone else's newer version (the later write wins; theirs stays in the history) */
  overwrote?: { rev: number; username: string };
}

export interface PushResponse {
  results: PushResult[];
  /** the project's last change number after this push */
  seq: number;
}

export interface ServerChange {
  seq: number;
  coll: Collection;
  id: number;
  data: AnyRecord | null;
  username: string;
  clientId: string;
  opId: string;
}

export interface ChangesResponse {
  changes: ServerChange[];
  /** pass as `since` next time */
  seq: number;
  /** more changes wait after `seq` */
  more: boolean;
}

/** A record of a snapshot page (`GET /api/projects/:id/records`). */
export interface ServerRecord {
  coll: Collection;
  id: number;
  rev: number;
  data: AnyRecord;
}

export interface RecordsResponse {
  records: ServerRecord[];
  /** the change number the snapshot is at: pull changes after it */
  seq: number;
  /** pass as `after` for the next page (null: this was the last) */
  next: string | null;
}

export type Role = 'admin' | 'annotator' | 'reviewer';

export interface ServerProject {
  id: number;
  name: string;
  role: Role;
  seq: number;
}

export interface ServerUser {
  id: number;
  username: string;
  isAdmin: boolean;
}

/** The most operations one push may carry (the client sends larger changes in several). */
export const MAX_PUSH_OPS = 2000;
/** The most changes one pull answers with. */
export const MAX_PULL_CHANGES = 5000;

export function recordKey(coll: Collection, id: number): string {
  return `${coll}:${id}`;
}

/** A pre-annotation run on the server's workers, with its progress (`GET /api/projects/:id/preannotate`). */
export interface ServerRun {
  id: number;
  mode: string;
  jobId: number | null;
  jobName: string | null;
  createdBy: string;
  createdAt: string;
  state: 'running' | 'done' | 'cancelled';
  finishedAt: string | null;
  images: number;
  done: number;
  failed: number;
  running: number;
  queued: number;
  cancelled: number;
  masks: number;
  /** images tried more than once (a worker killed or too slow) */
  retried: number;
  /** seconds from the first image taken to now (or the run's end) */
  elapsedS: number | null;
  /** images per second so far, and the seconds left at that rate */
  rate: number | null;
  etaS: number | null;
  /** the images being done now, by whom, since when */
  now: { imageId: number; worker: string; since: string }[];
  errors: { imageId: number; error: string }[];
}

/** A pre-annotation worker heard from in the last minute. */
export interface ServerWorker {
  name: string;
  lastSeen: string;
  images: number;
  masks: number;
}

/** What a propagation run on the server's workers follows (`POST /api/projects/:id/tracks/propagate`). */
export interface TrackPropagateSpec {
  trackId: number;
  /** the frame (an image id) where the track has the mask to follow */
  fromImageId: number;
  direction: 1 | -1;
  /** up to the track's next person's keyframe, or to the clip's end following each keyframe on the way */
  until: 'next-key' | 'end';
  /** stop on any flagged frame (a lost object always stops it) */
  stopOnFlag?: boolean;
}

/** A propagation run on the server's workers, with its progress (`GET /api/projects/:id/tracks/runs`). */
export interface ServerTrackRun extends Required<TrackPropagateSpec> {
  id: number;
  videoId: number;
  createdBy: string;
  createdAt: string;
  state: 'queued' | 'running' | 'done' | 'stopped' | 'cancelled' | 'failed';
  /** frames landed, of the frames to make; flagged among them */
  done: number;
  total: number;
  flagged: number;
  /** the last frame landed (an image id) */
  lastImageId: number | null;
  worker: string | null;
  /** tries started (a worker that stopped answering: the run goes on elsewhere from its last frame) */
  attempts: number;
  finishedAt: string | null;
  /** why it stopped or failed */
  message: string | null;
}
