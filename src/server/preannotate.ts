/**
 * Pre-annotation runs on the server (issue 14): an admin queues a run for a project or a job; it is
 * split per image into jobs of a PostgreSQL-backed queue (pg-boss: retries, visibility timeouts, a
 * job given to one worker at a time) that `npm run worker` processes execute. The queue only says
 * which image to do next; what was done is kept here, in `preannotate_items`, one row per image of a
 * run. An image's proposals land in the same transaction that marks its row done, under that row's
 * lock, so an image tried twice (its first worker killed, or too slow and its job handed out again)
 * lands once.
 */
export {
  BOX_MODES,
  PREANNOTATE_QUEUE,
  PREANNOTATE_TRIES,
  type PreannotateJobData,
  type RunOptions,
  type RunSpec,
} from './preannotate/spec.ts';
export { openQueue, queueRun, type QueueResult } from './preannotate/queue.ts';
export { cancelRun, failItem, landItem, startItem, type ImageResult, type StartedItem } from './preannotate/items.ts';
export { sweepAbandoned, workerGone, workerHeartbeat, workerName } from './preannotate/workers.ts';
export { listRuns, listWorkers } from './preannotate/status.ts';
