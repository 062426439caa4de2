/**
 * Steps that several slices take (selecting what to review next after an image is shown, a
 * decision made or a proposal accepted). They act through the state's own actions.
 */
import type { SliceContext } from './store.ts';
import { assignmentOf, reviewQueue, undecided } from './selectors.ts';

/** Selects the shown image's first proposal (or, reviewing a job, its first mask to decide) when nothing else is selected or under way. */
export function startReviewOf(ctx: Pick<SliceContext, 'get' | 'session'>): void {
  const s = ctx.get();
  if (s.selectedAnnotationId !== null || ctx.session.underWay()) return;
  const first = reviewQueue(s)[0];
  if (first) s.selectAnnotation(first.id);
  // no proposal: reviewing a job, its first mask to decide
  else selectFirstToDecide(ctx);
}

/** Reviewing a job: selects the shown image's first mask to decide when nothing is selected or under way. */
export function selectFirstToDecide(ctx: Pick<SliceContext, 'get' | 'session'>): void {
  const s = ctx.get();
  const f = s.jobFocus;
  if (!f?.reviewing || s.currentImageId === null || !f.imageIds.includes(s.currentImageId)) return;
  if (s.selectedAnnotationId !== null || ctx.session.underWay()) return;
  const first = undecided(s)[0];
  if (first) s.selectAnnotation(first.id);
}

/**
 * Whether another person's job holds the image (the server's rule): then nothing is changed there, and
 * the user is told whose job it is (before the work, not after the server refuses it).
 */
export function refusedOn(ctx: Pick<SliceContext, 'get'>, imageId: number | null): boolean {
  const s = ctx.get();
  const a = assignmentOf(s, imageId);
  if (!a?.refusal) return false;
  s.notify('warning', `No mask can be changed on this image. ${a.text}`, 'Choose an image of your own job, or one in no job.');
  return true;
}
