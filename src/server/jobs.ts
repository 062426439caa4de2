/**
 * Jobs, their moves and review decisions on the database (issue 14). Rules are in
 * `src/core/team/jobs.ts`; this is where they meet the tables.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import {
  matchesImageFilter,
  splitByCount,
  splitByFolder,
  transitionRefusal,
  TRANSITIONS,
  type Actor,
  type ImageFilter,
  type JobInfo,
  type JobState,
} from '../core/team/jobs.ts';
import { HttpError } from './errors.ts';
import { usernameKey } from './accountRules.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface JobView extends JobInfo {
  annotator: string | null;
  reviewer: string | null;
  imageIds: number[];
}

function info(r: { id: number; name: string; state: JobState; annotator_id: number | null; reviewer_id: number | null }): JobInfo {
  return { id: r.id, name: r.name, state: r.state, annotatorId: r.annotator_id, reviewerId: r.reviewer_id };
}

/** The job of each of these images that is in one. */
export async function jobsOfImages(db: Db, projectId: number, imageIds: number[]): Promise<Map<number, JobInfo>> {
  const out = new Map<number, JobInfo>();
  for (let i = 0; i < imageIds.length; i += 1000) {
    const part = imageIds.slice(i, i + 1000);
    if (!part.length) continue;
    const rows = await db
      .selectFrom('job_images')
      .innerJoin('jobs', 'jobs.id', 'job_images.job_id')
      .select(['job_images.image_id', 'jobs.id', 'jobs.name', 'jobs.state', 'jobs.annotator_id', 'jobs.reviewer_id'])
      .where('job_images.project_id', '=', projectId)
      .where('job_images.image_id', 'in', part)
      .execute();
    for (const r of rows) out.set(r.image_id, info(r));
  }
  return out;
}

async function userId(db: Db, projectId: number, username: string | null | undefined, what: string): Promise<number | null> {
  if (!username) return null;
  const u = await db
    .selectFrom('users')
    .leftJoin('members', (j) => j.onRef('members.user_id', '=', 'users.id').on('members.project_id', '=', projectId))
    .select(['users.id', 'users.is_admin', 'members.role'])
    .where((eb) => eb.or([eb('users.username', '=', username), eb('users.username_key', '=', usernameKey(username))]))
    .orderBy(sql`users.username = ${username}`, 'desc')
    .executeTakeFirst();
  // no such account and an account that is not a member read the same: a name's existence is not told
  if (!u || (!u.role && !u.is_admin))
    throw new HttpError(400, `${username} is not a member of this project: add them first, then make them the ${what}.`);
  if (what === 'annotator' && u.role === 'reviewer')
    throw new HttpError(400, `${username} is a reviewer in this project and cannot annotate.`);
  return u.id;
}

export interface JobSpec {
  /** explicit images, or a split of every image not in a job yet */
  imageIds?: number[] | undefined;
  split?: { by: 'count'; size: number } | { by: 'folder' } | undefined;
  /** a split takes the free images this picks */
  filter?: ImageFilter | undefined;
  name?: string | undefined;
  /** annotators, given jobs in turn */
  annotators: string[];
  reviewer?: string | null | undefined;
}

export async function createJobs(db: Kysely<Database>, projectId: number, admin: Actor, spec: JobSpec): Promise<JobView[]> {
  return db.transaction().execute(async (trx) => {
    // one admin splits at a time: the project row is the lock
    await trx.selectFrom('projects').select('id').where('id', '=', projectId).forUpdate().execute();
    const imageRows = await trx
      .selectFrom('records')
      .select(['id', 'data'])
      .where('project_id', '=', projectId)
      .where('coll', '=', 'images')
      .where('data', 'is not', null)
      .orderBy('id')
      .execute();
    const taken = new Set(
      (await trx.selectFrom('job_images').select('image_id').where('project_id', '=', projectId).execute()).map((r) => r.image_id),
    );
    const images = imageRows.map((r) => ({ id: r.id, fileName: (r.data as { fileName: string }).fileName }));
    const known = new Set(images.map((im) => im.id));
    let groups: { name: string; ids: number[] }[];
    if (spec.imageIds) {
      const missing = spec.imageIds.filter((id) => !known.has(id));
      if (missing.length) throw new HttpError(404, `No image ${missing.slice(0, 5).join(', ')} in this project.`);
      const busy = spec.imageIds.filter((id) => taken.has(id));
      if (busy.length)
        throw new HttpError(
          409,
          `Image ${busy.slice(0, 5).join(', ')} ${busy.length === 1 ? 'is' : 'are'} in another job already.`,
          'Reassign that job, or leave those images out.',
        );
      groups = [{ name: spec.name ?? 'Job', ids: [...new Set(spec.imageIds)] }];
    } else {
      let free = images.filter((im) => !taken.has(im.id));
      if (!free.length) throw new HttpError(409, 'Every image of this project is in a job already.');
      const filter = spec.filter;
      if (filter && (filter.name || filter.has)) {
        const counts = new Map<number, { proposals: number; annotations: number }>();
        if (filter.has) {
          const rows = await trx
            .selectFrom('records')
            .select([sql<string>`data->>'imageId'`.as('image'), sql<string | null>`data->>'review'`.as('review')])
            .where('project_id', '=', projectId)
            .where('coll', '=', 'annotations')
            .where('data', 'is not', null)
            .execute();
          for (const r of rows) {
            const c = counts.get(Number(r.image)) ?? { proposals: 0, annotations: 0 };
            if (r.review === 'pending') c.proposals++;
            else c.annotations++;
            counts.set(Number(r.image), c);
          }
        }
        free = free.filter((im) => matchesImageFilter({ ...im, ...(counts.get(im.id) ?? { proposals: 0, annotations: 0 }) }, filter));
        if (!free.length)
          throw new HttpError(
            409,
            `No image that is not in a job yet matches the filter (${[filter.name && `name "${filter.name}"`, filter.has && `has ${filter.has}`].filter(Boolean).join(', ')}).`,
            'Loosen the filter, or reassign jobs.',
          );
      }
      const split = spec.split ?? { by: 'count', size: 50 };
      groups =
        split.by === 'folder'
          ? splitByFolder(free).map((g) => ({ name: g.folder || '(top folder)', ids: g.items.map((x) => x.id) }))
          : splitByCount(free, split.size).map((g, i) => ({ name: `${spec.name ?? 'Job'} ${i + 1}`, ids: g.map((x) => x.id) }));
    }
    const annotators: (number | null)[] = [];
    for (const a of spec.annotators) annotators.push(await userId(trx, projectId, a, 'annotator'));
    const reviewer = await userId(trx, projectId, spec.reviewer, 'reviewer');
    const out: JobView[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      const annotator = annotators.length ? annotators[i % annotators.length]! : null;
      const row = await trx
        .insertInto('jobs')
        .values({ project_id: projectId, name: g.name, state: 'new', annotator_id: annotator, reviewer_id: reviewer })
        .returning(['id', 'name', 'state', 'annotator_id', 'reviewer_id'])
        .executeTakeFirstOrThrow();
      for (let k = 0; k < g.ids.length; k += 1000)
        await trx
          .insertInto('job_images')
          .values(g.ids.slice(k, k + 1000).map((image_id) => ({ project_id: projectId, image_id, job_id: row.id })))
          .execute();
      await trx
        .insertInto('job_events')
        .values({ job_id: row.id, user_id: admin.userId, from_state: null, to_state: 'new', comment: null })
        .execute();
      out.push({
        ...info(row),
        annotator: spec.annotators[i % Math.max(1, spec.annotators.length)] ?? null,
        reviewer: spec.reviewer ?? null,
        imageIds: g.ids,
      });
    }
    return out;
  });
}

export async function listJobs(db: Db, projectId: number, jobId?: number): Promise<JobView[]> {
  let q = db
    .selectFrom('jobs')
    .leftJoin('users as a', 'a.id', 'jobs.annotator_id')
    .leftJoin('users as r', 'r.id', 'jobs.reviewer_id')
    .select([
      'jobs.id',
      'jobs.name',
      'jobs.state',
      'jobs.annotator_id',
      'jobs.reviewer_id',
      'a.username as annotator',
      'r.username as reviewer',
    ])
    .where('jobs.project_id', '=', projectId)
    .orderBy('jobs.id');
  if (jobId !== undefined) q = q.where('jobs.id', '=', jobId);
  const rows = await q.execute();
  const images = await db
    .selectFrom('job_images')
    .select(['job_id', 'image_id'])
    .where('project_id', '=', projectId)
    .orderBy('image_id')
    .execute();
  const byJob = new Map<number, number[]>();
  for (const r of images) {
    const l = byJob.get(r.job_id);
    if (l) l.push(r.image_id);
    else byJob.set(r.job_id, [r.image_id]);
  }
  return rows.map((r) => ({ ...info(r), annotator: r.annotator, reviewer: r.reviewer, imageIds: byJob.get(r.id) ?? [] }));
}

async function lockedJob(trx: Transaction<Database>, projectId: number, jobId: number): Promise<JobInfo> {
  const row = await trx
    .selectFrom('jobs')
    .select(['id', 'name', 'state', 'annotator_id', 'reviewer_id'])
    .where('project_id', '=', projectId)
    .where('id', '=', jobId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new HttpError(404, 'No such job in this project.');
  return info(row);
}

/** Moves a job (start, submit, accept, send back, resume, reopen), recorded with who, when and why. */
export async function moveJob(
  db: Kysely<Database>,
  projectId: number,
  jobId: number,
  actor: Actor,
  to: JobState,
  comment: string | null,
): Promise<JobView> {
  await db.transaction().execute(async (trx) => {
    const job = await lockedJob(trx, projectId, jobId);
    const why = transitionRefusal(job, to, actor);
    if (why) throw new HttpError(TRANSITIONS.some((t) => t.from === job.state && t.to === to) ? 403 : 409, why);
    if (to === 'rejected' && !comment?.trim()) throw new HttpError(400, 'Say why the job goes back (a comment for the annotator).');
    await trx.updateTable('jobs').set({ state: to, updated_at: new Date() }).where('id', '=', jobId).execute();
    await trx
      .insertInto('job_events')
      .values({ job_id: jobId, user_id: actor.userId, from_state: job.state, to_state: to, comment: comment?.trim() || null })
      .execute();
  });
  return (await listJobs(db, projectId, jobId))[0]!;
}

/** Gives a job to another annotator and/or reviewer (admins), recorded as an event. */
export async function reassignJob(
  db: Kysely<Database>,
  projectId: number,
  jobId: number,
  actor: Actor,
  to: { annotator?: string | null | undefined; reviewer?: string | null | undefined },
): Promise<JobView> {
  await db.transaction().execute(async (trx) => {
    const job = await lockedJob(trx, projectId, jobId);
    const set: { annotator_id?: number | null; reviewer_id?: number | null; updated_at: Date } = { updated_at: new Date() };
    if (to.annotator !== undefined) set.annotator_id = await userId(trx, projectId, to.annotator, 'annotator');
    if (to.reviewer !== undefined) set.reviewer_id = await userId(trx, projectId, to.reviewer, 'reviewer');
    await trx.updateTable('jobs').set(set).where('id', '=', jobId).execute();
    await trx
      .insertInto('job_events')
      .values({
        job_id: jobId,
        user_id: actor.userId,
        from_state: job.state,
        to_state: job.state,
        comment: `reassigned${to.annotator !== undefined ? ` annotator: ${to.annotator ?? 'nobody'}` : ''}${to.reviewer !== undefined ? ` reviewer: ${to.reviewer ?? 'nobody'}` : ''}`,
      })
      .execute();
  });
  return (await listJobs(db, projectId, jobId))[0]!;
}

export async function jobEvents(db: Db, projectId: number, jobId: number) {
  const rows = await db
    .selectFrom('job_events')
    .innerJoin('jobs', 'jobs.id', 'job_events.job_id')
    .innerJoin('users', 'users.id', 'job_events.user_id')
    .select(['job_events.from_state', 'job_events.to_state', 'job_events.comment', 'job_events.at', 'users.username'])
    .where('jobs.project_id', '=', projectId)
    .where('job_events.job_id', '=', jobId)
    .orderBy('job_events.id')
    .execute();
  return rows.map((r) => ({ from: r.from_state, to: r.to_state, comment: r.comment, by: r.username, at: new Date(r.at).toISOString() }));
}

/**
 * A reviewer's decision on one annotation (accept, or reject with an optional comment), stored with
 * who and when. The job's reviewer while it is in review, or an admin.
 */
export async function reviewAnnotation(
  db: Kysely<Database>,
  projectId: number,
  actor: Actor,
  annotationId: number,
  decision: 'accept' | 'reject',
  comment: string | null,
): Promise<{ id: number; jobId: number | null }> {
  const rec = await db
    .selectFrom('records')
    .select('data')
    .where('project_id', '=', projectId)
    .where('coll', '=', 'annotations')
    .where('id', '=', annotationId)
    .executeTakeFirst();
  const data = rec?.data as { imageId: number } | null | undefined;
  if (!data) throw new HttpError(404, `No annotation ${annotationId} in this project.`);
  const job = (await jobsOfImages(db, projectId, [data.imageId])).get(data.imageId) ?? null;
  if (actor.role !== 'admin') {
    if (!job) throw new HttpError(403, 'Only a project admin reviews annotations that are in no job.');
    if (job.reviewerId !== actor.userId) throw new HttpError(403, `Only the reviewer of job “${job.name}” reviews its annotations.`);
    if (job.state !== 'in_review') throw new HttpError(409, `Job “${job.name}” is not in review (it is ${job.state.replace('_', ' ')}).`);
  }
  const row = await db
    .insertInto('reviews')
    .values({
      project_id: projectId,
      job_id: job?.id ?? null,
      annotation_id: annotationId,
      image_id: data.imageId,
      reviewer_id: actor.userId,
      decision,
      comment: comment?.trim() || null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, jobId: job?.id ?? null };
}

export async function reviewsOf(db: Db, projectId: number, filter: { jobId?: number; annotationId?: number }) {
  let q = db
    .selectFrom('reviews')
    .innerJoin('users', 'users.id', 'reviews.reviewer_id')
    .select([
      'reviews.id',
      'reviews.job_id',
      'reviews.annotation_id',
      'reviews.image_id',
      'reviews.decision',
      'reviews.comment',
      'reviews.at',
      'users.username',
    ])
    .where('reviews.project_id', '=', projectId)
    .orderBy('reviews.id');
  if (filter.jobId !== undefined) q = q.where('reviews.job_id', '=', filter.jobId);
  if (filter.annotationId !== undefined) q = q.where('reviews.annotation_id', '=', filter.annotationId);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    jobId: r.job_id,
    annotationId: r.annotation_id,
    imageId: r.image_id,
    decision: r.decision,
    comment: r.comment,
    reviewer: r.username,
    at: new Date(r.at).toISOString(),
  }));
}

/** Who made each annotation and skipped object: the writer of its first version (`coll:id` → user name). */
export async function creators(db: Db, projectId: number): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('changes')
    .innerJoin('users', 'users.id', 'changes.user_id')
    .distinctOn(['changes.coll', 'changes.id'])
    .select(['changes.coll', 'changes.id', 'users.username'])
    .where('changes.project_id', '=', projectId)
    .where('changes.coll', 'in', ['annotations', 'skipped'])
    .orderBy('changes.coll')
    .orderBy('changes.id')
    .orderBy('changes.seq')
    .execute();
  return new Map(rows.map((r) => [`${r.coll}:${r.id}`, r.username]));
}

/**
 * For the export: who annotated each annotation and who reviewed it last (with the decision), and
 * whether it counts as reviewed (its latest decision is "accept", or its image is in a job that is
 * done).
 */
/** The attributes only the server records (who made a mask, who reviewed it, the decision, when): {@link exportAudit}'s. */
export const AUDIT_KEYS = ['annotator', 'reviewer', 'review_decision', 'reviewed_at'] as const;

export async function exportAudit(db: Db, projectId: number) {
  const made = await creators(db, projectId);
  const latest = new Map<number, { decision: string; reviewer: string; at: string }>();
  for (const r of await reviewsOf(db, projectId, {})) latest.set(r.annotationId, { decision: r.decision, reviewer: r.reviewer, at: r.at });
  const done = new Set<number>();
  for (const j of await listJobs(db, projectId)) if (j.state === 'done') for (const id of j.imageIds) done.add(id);
  return {
    attributes: (a: { id: number }) => {
      const r = latest.get(a.id);
      return {
        ...(made.has(`annotations:${a.id}`) ? { annotator: made.get(`annotations:${a.id}`) } : {}),
        ...(r ? { reviewer: r.reviewer, review_decision: r.decision, reviewed_at: r.at } : {}),
      };
    },
    reviewed: (a: { id: number; imageId: number }) => latest.get(a.id)?.decision === 'accept' || done.has(a.imageId),
  };
}
