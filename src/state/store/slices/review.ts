/**
 * Annotations beyond the mask session: delete, machine proposals and their keyboard review, and the
 * boxes that wait to become masks. Proposals arrive as `ignore` changes (machine work is never
 * undone by Ctrl+Z); the user's verdicts on them are recorded steps.
 */
import { DiffBuilder } from '../../../core/project/changes.ts';
import { IDLE_TIMER, timerStop } from '../../../core/project/timer.ts';
import type { ProducedMask } from '../../../inference/preannotate.ts';
import { proposalAnnotation } from '../../../core/sam/preannotateImage.ts';
import type { BoxPrompt } from '../../../core/sam/prompts.ts';
import type { SliceContext } from '../store.ts';
import { reviewQueue } from '../selectors.ts';
import { refusedOn, startReviewOf } from '../steps.ts';

/** A machine-made mask to add as a proposal (RLE in image px): what a pre-annotation batch produces. */
export type ProposalInput = ProducedMask;

export interface ReviewSlice {
  deleteAnnotation(id: number): void;
  /**
   * Adds machine-made masks of one image as proposals to review (`source` auto, review 'pending');
   * `consumedBoxIds` are waiting boxes they replace. Not an undo step.
   */
  addProposals(imageId: number, masks: readonly ProposalInput[], consumedBoxIds: readonly number[]): number;
  /** Accepts the selected proposal as it is (its review time is added) and selects the next one. */
  acceptProposal(): void;
  /** Selects the next (or previous) proposal of the shown image still to review. */
  stepProposal(delta: 1 | -1): void;
  /** Adds a box (image px) of the current category to the shown image's boxes waiting to become masks. */
  addPendingBox(b: BoxPrompt): void;
  /** Removes the shown image's newest waiting box (or all of them). */
  removePendingBoxes(all: boolean): void;
}

export function createReviewSlice(ctx: SliceContext): ReviewSlice {
  const { get, set, ids } = ctx;

  /** The proposal after `id` in review order, or (at the end) the first other one still waiting. */
  const after = (id: number) => {
    const queue = reviewQueue(get());
    return queue[queue.findIndex((a) => a.id === id) + 1] ?? queue.find((a) => a.id !== id) ?? null;
  };

  return {
    deleteAnnotation(id) {
      const s = get();
      const target = s.project.annotations.find((a) => a.id === id);
      if (!target || refusedOn(ctx, target.imageId)) return;
      // rejecting a proposal moves on to the next one
      const next = target.review === 'pending' ? after(id) : null;
      if (
        !s.change(new DiffBuilder(s.project).remove('annotations', id).diff, 'record', {
          label: target.review === 'pending' ? 'reject proposal' : 'delete',
          imageId: target.imageId,
        })
      )
        return;
      if (target.review === 'pending' && s.selectedAnnotationId === id) set({ timer: IDLE_TIMER });
      if (next && get().selectedAnnotationId === null) get().selectAnnotation(next.id);
    },

    addProposals(imageId, masks, consumedBoxIds) {
      const s = get();
      if (!s.project.images.some((im) => im.id === imageId)) return 0;
      const kept = masks.filter((m) => m.area > 0);
      if (kept.length === 0 && consumedBoxIds.length === 0) return 0;
      const b = new DiffBuilder(s.project);
      for (const m of kept) {
        const model = m.model ?? s.model.id;
        b.add('annotations', proposalAnnotation(ids.next('annotations', b.project), imageId, model ? { ...m, model } : m, Date.now()));
      }
      for (const id of consumedBoxIds) b.remove('pendingBoxes', id);
      if (!s.change(b.diff, 'ignore', { label: 'proposals', imageId })) return 0;
      // proposals arriving for the shown image with nothing selected: start reviewing
      if (imageId === get().currentImageId) startReviewOf(ctx);
      return kept.length;
    },

    acceptProposal() {
      const s = get();
      const p = s.project.annotations.find((a) => a.id === s.selectedAnnotationId);
      if (!p || p.review !== 'pending' || refusedOn(ctx, p.imageId)) return;
      const { ms } = timerStop(s.timer, Date.now());
      const next = after(p.id);
      const diff = new DiffBuilder(s.project).update('annotations', p.id, (a) => ({
        ...a,
        review: 'accepted',
        timeMs: (a.timeMs ?? 0) + ms,
      })).diff;
      if (!s.change(diff, 'record', { label: 'accept proposal', imageId: p.imageId, saveNow: true })) return;
      set({
        selectedAnnotationId: null,
        timer: IDLE_TIMER,
        budgetAcknowledged: false,
        ...(s.display.pointsAfterAccept && !s.boxesFirst ? { tool: 'points' as const } : {}),
      });
      if (next) get().selectAnnotation(next.id);
      else
        get().notify(
          'info',
          'Every proposal of this image is reviewed.',
          'Annotate what is still missing, or press → for the next image.',
          {
            imageId: p.imageId,
          },
        );
    },

    stepProposal(delta) {
      const s = get();
      const queue = reviewQueue(s);
      if (queue.length === 0) return;
      const i = queue.findIndex((a) => a.id === s.selectedAnnotationId);
      const next = queue[i < 0 ? (delta > 0 ? 0 : queue.length - 1) : (i + delta + queue.length) % queue.length]!;
      // moving on from a proposal without a verdict does not charge its time to the next one
      set({ timer: IDLE_TIMER });
      s.selectAnnotation(next.id);
    },

    addPendingBox(b) {
      const s = get();
      if (s.currentImageId === null) return;
      const box = {
        id: ids.next('pendingBoxes', s.project),
        imageId: s.currentImageId,
        categoryId: s.currentCategoryId,
        bbox: [b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0] as [number, number, number, number],
      };
      s.change(new DiffBuilder(s.project).add('pendingBoxes', box).diff, 'record', { label: 'add box' });
    },

    removePendingBoxes(all) {
      const s = get();
      const mine = s.project.pendingBoxes.filter((b) => b.imageId === s.currentImageId);
      if (!mine.length) return;
      const b = new DiffBuilder(s.project);
      for (const box of all ? mine : [mine[mine.length - 1]!]) b.remove('pendingBoxes', box.id);
      s.change(b.diff, 'record', { label: all ? 'remove boxes' : 'remove box' });
    },
  };
}
