/**
 * Steps that several slices take (selecting what to review next after an image is shown, a
 * decision made or a proposal accepted). They act through the state's own actions.
 */
import type { SliceContext } from './store.ts';
import { reviewQueue, undecided } from './selectors.ts';

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
