/**
 * Jobs of a server project (issue 14): a set of images given to one annotator and one reviewer,
 * moving new → annotating → in review → done, or back from review to the annotator (rejected).
 * Who may move a job where, and who may write to a job's images, are decided here (pure); the
 * server applies it to every request.
 */
import type { Role } from '../sync/protocol.ts';

export type JobState = 'new' | 'annotating' | 'in_review' | 'done' | 'rejected';
export const JOB_STATES: readonly JobState[] = ['new', 'annotating', 'in_review', 'done', 'rejected'];

export interface JobInfo {
  id: number;
  name: string;
  state: JobState;
  annotatorId: number | null;
  reviewerId: number | null;
}

/** Who asks, for a job: the project role and whether they are the job's annotator or reviewer. */
export interface Actor {
  userId: number;
  role: Role;
}

type Who = 'annotator' | 'reviewer' | 'admin';

/** Every move a job can make, and who may make it (the job's own annotator or reviewer, or a project admin). */
export const TRANSITIONS: readonly { from: JobState; to: JobState; by: readonly Who[]; what: string }[] = [
  { from: 'new', to: 'annotating', by: ['annotator', 'admin'], what: 'start' },
  { from: 'annotating', to: 'in_review', by: ['annotator', 'admin'], what: 'submit for review' },
  { from: 'in_review', to: 'done', by: ['reviewer', 'admin'], what: 'accept' },
  { from: 'in_review', to: 'rejected', by: ['reviewer', 'admin'], what: 'send back' },
  { from: 'rejected', to: 'annotating', by: ['annotator', 'admin'], what: 'resume' },
  { from: 'done', to: 'in_review', by: ['admin'], what: 'reopen' },
];

function capacities(job: JobInfo, actor: Actor): Set<Who> {
  const out = new Set<Who>();
  if (actor.role === 'admin') out.add('admin');
  if (job.annotatorId === actor.userId) out.add('annotator');
  if (job.reviewerId === actor.userId) out.add('reviewer');
  return out;
}

/** null when the move is allowed, else why not (a sentence for the user). */
export function transitionRefusal(job: JobInfo, to: JobState, actor: Actor): string | null {
  const t = TRANSITIONS.find((x) => x.from === job.state && x.to === to);
  if (!t) {
    const can = TRANSITIONS.filter((x) => x.from === job.state).map((x) => x.to);
    return `A job that is ${job.state.replace('_', ' ')} cannot become ${to.replace('_', ' ')}${can.length ? ` (it can become: ${can.join(', ').replace(/_/g, ' ')})` : ''}.`;
  }
  const caps = capacities(job, actor);
  if (!t.by.some((w) => caps.has(w))) {
    const who = t.by.map((w) => (w === 'admin' ? 'a project admin' : `the job's ${w}`)).join(' or ');
    return `Only ${who} may ${t.what} this job.`;
  }
  if (to === 'annotating' && job.annotatorId === null) return 'Assign an annotator to the job first.';
  if (to === 'in_review' && job.reviewerId === null) return 'Assign a reviewer to the job first.';
  return null;
}

/**
 * Whether `actor` may change the records of an image in `job` (null: the image is in no job). Admins
 * always; the job's annotator while it is new, annotating or sent back; its reviewer while in review.
 * Nobody else, and nobody once it is done (an admin reopens it).
 */
export function writeRefusal(job: JobInfo | null, actor: Actor): string | null {
  if (!job || actor.role === 'admin') return null;
  if (job.state === 'done') return `job “${job.name}” is done (a project admin can reopen it)`;
  if (job.annotatorId === actor.userId && (job.state === 'new' || job.state === 'annotating' || job.state === 'rejected')) return null;
  if (job.reviewerId === actor.userId && job.state === 'in_review') return null;
  if (job.annotatorId === actor.userId) return `job “${job.name}” is ${job.state.replace('_', ' ')}: wait until it comes back to you`;
  if (job.reviewerId === actor.userId) return `job “${job.name}” is not in review yet`;
  return `its image is in job “${job.name}”, assigned to someone else`;
}

/** A job as the app knows it: with its people's names. */
export interface AssignedJob extends JobInfo {
  annotator: string | null;
  reviewer: string | null;
}

export interface ImageAssignment {
  /** the user is the job's annotator: it is their own work */
  mine: boolean;
  /** why the user may not change the image's masks (null: they may) */
  refusal: string | null;
  /** what the user is told about it */
  text: string;
}

/**
 * What `me` is told about an image in `job` (null: it is in no job): whose job it is, and whether
 * they may make masks there, by the same rule the server applies ({@link writeRefusal}).
 */
export function imageAssignment(job: AssignedJob | null, me: { username: string; role: Role }): ImageAssignment | null {
  if (!job) return null;
  const userId = job.annotator === me.username ? job.annotatorId : job.reviewer === me.username ? job.reviewerId : null;
  const mine = userId !== null && userId === job.annotatorId;
  const reviews = userId !== null && userId === job.reviewerId;
  const refusal = writeRefusal(job, { userId: userId ?? -1, role: me.role });
  const state = job.state.replace('_', ' ');
  const owner = job.annotator ?? 'nobody yet';
  let text: string;
  if (mine) text = refusal ? `Your job “${job.name}”: ${refusal}.` : `Your job “${job.name}” (${state}).`;
  else if (me.role === 'admin')
    text = `In ${owner}’s job “${job.name}” (${state})${reviews ? ', which you review' : ''}: you edit it as a project admin.`;
  else if (reviews)
    text = refusal
      ? `In ${owner}’s job “${job.name}”, which you review once it is submitted (${state}).`
      : `In ${owner}’s job “${job.name}”, which you review (${state}).`;
  else text = `In job “${job.name}”, assigned to ${owner} (${state}): only they or a project admin can change its masks.`;
  return { mine, refusal, text };
}

/**
 * Whether `actor` may write a record that is on an image of job `now` and is to be on an image of job
 * `next` (null: that image is in no job, or there is no such image: a new record, a removal). Both
 * must allow it: moving a mask off a job's image is a write to that image, whatever the new one.
 */
export function recordWriteRefusal(now: JobInfo | null, next: JobInfo | null, actor: Actor): string | null {
  return writeRefusal(now, actor) ?? (next && next.id === now?.id ? null : writeRefusal(next, actor));
}

/** Splits images into jobs of `size` images, in the order given. */
export function splitByCount<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

/** Splits images by folder (the part of the file name before the last `/`; "" for none), folders in name order. */
export function splitByFolder<T extends { fileName: string }>(items: readonly T[]): { folder: string; items: T[] }[] {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const i = it.fileName.lastIndexOf('/');
    const folder = i < 0 ? '' : it.fileName.slice(0, i);
    const list = m.get(folder);
    if (list) list.push(it);
    else m.set(folder, [it]);
  }
  return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([folder, list]) => ({ folder, items: list }));
}

/** Which images a split takes (all of them when empty). */
export interface ImageFilter {
  /** a part of the file name, or a glob with `*` and `?` (case ignored) */
  name?: string | undefined;
  /** what the image has: nothing yet, machine proposals to review, masks made (or accepted) by people */
  has?: 'nothing' | 'proposals' | 'annotations' | undefined;
}

function nameMatcher(pattern: string): (name: string) => boolean {
  const p = pattern.toLowerCase();
  if (!/[*?]/.test(p)) return (name) => name.toLowerCase().includes(p);
  const re = new RegExp(
    `^${p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return (name) => re.test(name.toLowerCase());
}

/** Whether an image (its file name, and how many proposals and people's masks it has) passes the filter. */
export function matchesImageFilter(im: { fileName: string; proposals: number; annotations: number }, f: ImageFilter): boolean {
  if (f.name && !nameMatcher(f.name)(im.fileName)) return false;
  if (f.has === 'nothing') return im.proposals === 0 && im.annotations === 0;
  if (f.has === 'proposals') return im.proposals > 0;
  if (f.has === 'annotations') return im.annotations > 0;
  return true;
}
