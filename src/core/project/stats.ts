import { annotationIndex, annotationsOf } from './annotationIndex.ts';
import { MASK_BUDGET_MS } from './timer.ts';
import type { Annotation, Project } from './types.ts';

export interface AnnotationStats {
  masks: number;
  images: number;
  masksPerImage: number;
  medianSeconds: number;
  meanSeconds: number;
  clicksPerMask: number;
  strokesPerMask: number;
  overBudgetShare: number;
  skipped: number;
  /** machine proposals still to review (not counted in the pace figures; covered ones left out) and those accepted by review */
  proposalsPending: number;
  proposalsAccepted: number;
  /** counts of masks per 5-second bin: [0,5), [5,10), ... the last bin holds everything ≥ 60 s */
  histogram: number[];
}

export const HISTOGRAM_BIN_S = 5;
export const HISTOGRAM_BINS = 13;

/**
 * Pace statistics of the masks made in this app (timed ones; imported masks have no time; an accepted
 * proposal counts with its review time), for the whole project or one image.
 */
export function annotationStats(project: Project, imageId?: number): AnnotationStats {
  // a proposal an accepted mask covers is done with (hidden, not exported); the index has them, and one image's list
  const covered = annotationIndex(project.annotations).covered;
  const scope = imageId === undefined ? project.annotations : annotationsOf(project.annotations, imageId);
  // one pass over the scope (a project of 300,000 annotations is recounted on every accept)
  // a proposal not reviewed yet has cost no one any time: it is not a timed mask
  const anns: Annotation[] = [];
  let proposalsPending = 0;
  let proposalsAccepted = 0;
  for (const a of scope) {
    if (a.review === 'pending') {
      if (!covered.has(a.id)) proposalsPending++;
      continue;
    }
    if (a.review === 'accepted') proposalsAccepted++;
    if (a.timeMs !== undefined) anns.push(a);
  }
  const secs = anns.map((a) => (a.timeMs ?? 0) / 1000).sort((a, b) => a - b);
  const n = secs.length;
  const median = n === 0 ? 0 : n % 2 ? secs[(n - 1) / 2]! : (secs[n / 2 - 1]! + secs[n / 2]!) / 2;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const s of secs) histogram[Math.min(HISTOGRAM_BINS - 1, Math.floor(s / HISTOGRAM_BIN_S))]!++;
  const images = imageId === undefined ? new Set(anns.map((a) => a.imageId)).size : n > 0 ? 1 : 0;
  return {
    masks: n,
    images,
    masksPerImage: images ? n / images : 0,
    medianSeconds: median,
    meanSeconds: n ? sum(secs) / n : 0,
    clicksPerMask: n ? sum(anns.map((a) => a.clicks ?? 0)) / n : 0,
    strokesPerMask: n ? sum(anns.map((a) => a.strokes ?? 0)) / n : 0,
    overBudgetShare: n ? anns.filter((a) => (a.timeMs ?? 0) > MASK_BUDGET_MS).length / n : 0,
    proposalsPending,
    proposalsAccepted,
    skipped: project.skipped.filter((s) => imageId === undefined || s.imageId === imageId).length,
    histogram,
  };
}
