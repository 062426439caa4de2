/**
 * Derived values read from the store's state by slices, services and views (pure functions of the
 * state; no slice imports another slice, they share these).
 */
import type { Annotation } from '../../core/project/types.ts';
import { annotationIndex, annotationsOf } from '../../core/project/annotationIndex.ts';
import { proposalsToReview } from '../../core/project/review.ts';
import { imageAssignment, type ImageAssignment } from '../../core/team/jobs.ts';
import type { StoreState } from './store.ts';

/** Proposals hidden because an accepted annotation covers them (from the incremental annotation index). */
export function coveredProposals(annotations: readonly Annotation[]): ReadonlySet<number> {
  return annotationIndex(annotations).covered;
}

/** The shown image's proposals still to review, in review order. */
export function reviewQueue(s: Pick<StoreState, 'project' | 'currentImageId'>): Annotation[] {
  if (s.currentImageId === null) return [];
  return proposalsToReview(
    annotationsOf(s.project.annotations, s.currentImageId),
    s.currentImageId,
    coveredProposals(s.project.annotations),
  );
}

/** The image after `id` in the list (encoded ahead of time). */
export function nextImageId(s: Pick<StoreState, 'project'>, id: number | null): number | null {
  const ims = s.project.images;
  const i = ims.findIndex((im) => im.id === id);
  return i >= 0 && i + 1 < ims.length ? ims[i + 1]!.id : null;
}

/** Whether an annotation is drawn (not hidden itself, nor its category, nor all masks while peeking). */
export function isShown(s: Pick<StoreState, 'visibility' | 'peek'>, a: { id: number; categoryId: number }): boolean {
  return !s.peek && !s.visibility.hiddenAnnotations.includes(a.id) && !s.visibility.hiddenCategories.includes(a.categoryId);
}

/** Whether an annotation can be selected and edited on the canvas (shown and not locked). */
export function isEditable(s: Pick<StoreState, 'visibility' | 'peek'>, a: { id: number; categoryId: number }): boolean {
  return isShown(s, a) && !s.visibility.lockedAnnotations.includes(a.id) && !s.visibility.lockedCategories.includes(a.categoryId);
}

/** The shown image's masks still to decide in the job under review, in id order (machine proposals have their own keys). */
export function undecided(s: StoreState) {
  const done = new Set(s.jobFocus?.decided ?? []);
  return s.project.annotations.filter((a) => a.imageId === s.currentImageId && a.review !== 'pending' && !done.has(a.id));
}

/**
 * What the user is told about an image of the open server project that is in a job (null: not on a
 * server, or in no job): whose job it is and whether they may make masks there (the server's rule).
 */
export function assignmentOf(s: Pick<StoreState, 'imageJobs' | 'sync'>, imageId: number | null): ImageAssignment | null {
  if (imageId === null || !s.sync.user || !s.sync.project) return null;
  return imageAssignment(s.imageJobs[imageId] ?? null, { username: s.sync.user.username, role: s.sync.project.role });
}

/** Whether the user may change the project's categories: anyone off a server, a project admin on one. */
export function mayEditCategories(s: Pick<StoreState, 'sync'>): boolean {
  return !s.sync.project || s.sync.project.role === 'admin';
}

/** How far a download is, in whole percent (null while its size is not known). */
export function downloadPercent(p: { loaded: number; total: number }): number | null {
  return p.total > 0 ? Math.min(100, Math.floor((p.loaded / p.total) * 100)) : null;
}
