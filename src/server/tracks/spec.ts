/** What a propagation run is: the queue's name and tries, a job's data, the run as the worker reads it. */
import type { TrackPropagateSpec } from '../../core/sync/protocol.ts';

export const TRACK_QUEUE = 'sam-track';
/** Tries of one run before it is marked failed: a worker that stopped answering counts (each try goes on from the last frame landed). */
export const TRACK_TRIES = 3;
/** Seconds without a heartbeat after which a run is taken from its worker and queued again (a killed worker). */
export const TRACK_STALL_SECONDS = 120;
/** The queue's own time limit of a job: past any run (stalls are caught by heartbeats, not by it). */
export const TRACK_JOB_EXPIRE_SECONDS = 23 * 3600;

export interface TrackJobData {
  runId: number;
}

/** A run to queue: the spec the app sends, and (tests, slow machines) how long a silent worker keeps it. */
export interface TrackRunSpec extends Omit<TrackPropagateSpec, 'stopOnFlag'> {
  stopOnFlag?: boolean | undefined;
  stallSeconds?: number | undefined;
}

/** One frame of a run's plan: its image, and whether it was a person's keyframe when queued (the run follows on from it). */
export interface PlannedFrame {
  imageId: number;
  key: boolean;
}

/** A run as a worker holds it: its try's number fences off landings of an earlier try. */
export interface StartedTrackRun {
  runId: number;
  projectId: number;
  trackId: number;
  fromImageId: number;
  lastImageId: number | null;
  stopOnFlag: boolean;
  until: 'next-key' | 'end';
  direction: 1 | -1;
  frames: PlannedFrame[];
  createdBy: number;
  attempt: number;
  worker: string;
}
