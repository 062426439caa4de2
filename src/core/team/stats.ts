/**
 * Statistics of a team's work per annotator (and per job), from the mask clock's data on each
 * annotation (`timeMs`, `clicks`, `strokes`), the skipped objects, and the reviewers' decisions.
 * Pure: the server hands in who made which record.
 */
import { annotationStats, type AnnotationStats } from '../project/stats.ts';
import type { Project } from '../project/types.ts';

/** A rate per hour is shown only from this many timed masks and this much active time: less would be made up. */
export const RATE_MIN_MASKS = 10;
export const RATE_MIN_ACTIVE_MS = 5 * 60_000;

export interface AnnotatorStats extends AnnotationStats {
  username: string;
  /** masks per hour of active mask time (the clock's time, not the wall clock) */
  masksPerHour: number;
  /** what the rate is made from: masks with the clock's time, and that time (ms) */
  timedMasks: number;
  activeMs: number;
  /** whether there is enough of it for the rate to mean something ({@link RATE_MIN_MASKS}, {@link RATE_MIN_ACTIVE_MS}) */
  masksPerHourShown: boolean;
  /** masks with a review decision, and of those rejected (the latest decision per mask) */
  reviewed: number;
  rejected: number;
  rejectionRate: number;
  /** masks made per day (UTC date of `createdAt`) */
  perDay: Record<string, number>;
}

export interface TeamStats {
  annotators: AnnotatorStats[];
  total: AnnotationStats;
}

/**
 * `creatorOf`: who made each annotation and skipped object (by `coll:id`); `decisions`: review
 * decisions in the order made; `images`: only these images (a job), or all.
 */
export function teamStats(
  project: Project,
  creatorOf: ReadonlyMap<string, string>,
  decisions: readonly { annotationId: number; decision: 'accept' | 'reject' }[],
  images?: ReadonlySet<number>,
): TeamStats {
  const inScope = <T extends { imageId: number }>(xs: readonly T[]) => (images ? xs.filter((x) => images.has(x.imageId)) : [...xs]);
  const scoped: Project = { ...project, annotations: inScope(project.annotations), skipped: inScope(project.skipped) };
  const latest = new Map<number, 'accept' | 'reject'>();
  for (const d of decisions) latest.set(d.annotationId, d.decision);
  const people = new Set<string>();
  for (const a of scoped.annotations) people.add(creatorOf.get(`annotations:${a.id}`) ?? '(unknown)');
  for (const s of scoped.skipped) people.add(creatorOf.get(`skipped:${s.id}`) ?? '(unknown)');
  const annotators = [...people].sort().map((username): AnnotatorStats => {
    const mine: Project = {
      ...scoped,
      annotations: scoped.annotations.filter((a) => (creatorOf.get(`annotations:${a.id}`) ?? '(unknown)') === username),
      skipped: scoped.skipped.filter((s) => (creatorOf.get(`skipped:${s.id}`) ?? '(unknown)') === username),
    };
    const base = annotationStats(mine);
    const timed = mine.annotations.filter((a) => a.timeMs !== undefined && a.review !== 'pending');
    const activeMs = timed.reduce((t, a) => t + (a.timeMs ?? 0), 0);
    const hours = activeMs / 3_600_000;
    let reviewed = 0;
    let rejected = 0;
    const perDay: Record<string, number> = {};
    for (const a of mine.annotations) {
      const d = latest.get(a.id);
      if (d) {
        reviewed++;
        if (d === 'reject') rejected++;
      }
      if (a.review !== 'pending') {
        const day = new Date(a.createdAt).toISOString().slice(0, 10);
        perDay[day] = (perDay[day] ?? 0) + 1;
      }
    }
    return {
      ...base,
      username,
      masksPerHour: hours > 0 ? timed.length / hours : 0,
      timedMasks: timed.length,
      activeMs,
      masksPerHourShown: timed.length >= RATE_MIN_MASKS && activeMs >= RATE_MIN_ACTIVE_MS,
      reviewed,
      rejected,
      rejectionRate: reviewed ? rejected / reviewed : 0,
      perDay,
    };
  });
  return { annotators, total: annotationStats(scoped) };
}
