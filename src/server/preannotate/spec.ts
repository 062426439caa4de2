/** What a pre-annotation run is: the queue's name and tries, a run's spec and options, the records it reads. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { PreannotateMode } from '../../core/sam/preannotateImage.ts';
import type { Database } from '../schema.ts';

/** The database, or a transaction on it. */
export type Db = Kysely<Database> | Transaction<Database>;

export const PREANNOTATE_QUEUE = 'sam-preannotate';
/** Tries of one image before it is marked failed (a killed worker's try counts). */
export const PREANNOTATE_TRIES = 4;
export const BOX_MODES: readonly PreannotateMode[] = ['box', 'box-crop', 'auto-box'];

export interface PreannotateJobData {
  runId: number;
  imageId: number;
}

/** What a run does: the mode and its options, as the app's and the CLI's batches take them. */
export interface RunOptions {
  boxPlan?: { margin?: number | undefined; minCropSide?: number | undefined } | undefined;
  amg?: Record<string, number> | undefined;
  /** segment everything (and instance label maps): the category of the masks, by name */
  everythingCategory?: string | undefined;
  /** coarse: the label PNG (sha256 of a file of the project) of each image, and how to read it */
  coarseFiles?: Record<string, string> | undefined;
  coarse?: Record<string, unknown> | undefined;
  classMap?: string | undefined;
}

export interface RunSpec extends RunOptions {
  mode: PreannotateMode;
  /** the images of this job (else the whole project) */
  jobId?: number | undefined;
  imageIds?: number[] | undefined;
  /** segment everything and coarse: also images that have machine-made masks already */
  redo?: boolean | undefined;
  /** seconds a worker may hold one image before it is handed to another */
  expireSeconds?: number | undefined;
}

/** The live records of a collection (of some images only, when given). */
export async function liveRecords<T>(db: Db, projectId: number, coll: string, imageIds?: number[]): Promise<{ data: T; rev: number }[]> {
  if (imageIds && !imageIds.length) return [];
  const query = (ids?: number[]) => {
    let q = db
      .selectFrom('records')
      .select(['data', 'rev'])
      .where('project_id', '=', projectId)
      .where('coll', '=', coll)
      .where('data', 'is not', null);
    // an image record is its own image; the others name theirs
    if (ids) q = coll === 'images' ? q.where('id', 'in', ids) : q.where(sql<string>`data->>'imageId'`, 'in', ids.map(String));
    return q.execute();
  };
  if (!imageIds) return (await query()).map((r) => ({ data: r.data as T, rev: r.rev }));
  // in pieces: a query holds at most 65,535 parameters (a clip of more frames, a big job)
  const out: { data: T; rev: number }[] = [];
  for (let i = 0; i < imageIds.length; i += LIVE_RECORDS_PIECE)
    for (const r of await query(imageIds.slice(i, i + LIVE_RECORDS_PIECE))) out.push({ data: r.data as T, rev: r.rev });
  return out;
}

/** Image ids per query of `liveRecords`. */
export const LIVE_RECORDS_PIECE = 10_000;
