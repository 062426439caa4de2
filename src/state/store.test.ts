import { beforeEach, describe, expect, it } from 'vitest';
import { rleFromMask } from '../core/mask/rle.ts';
import { emptyProject } from '../core/project/types.ts';
import { reviewQueue, useStore, type ProposalInput } from './store.ts';

const W = 40;
const H = 20;
function rect(x0: number, x1: number, score: number, categoryId = 1): ProposalInput {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 1;
  return {
    rle: rleFromMask(m, W, H),
    area: (x1 - x0) * H,
    bbox: [x0, 0, x1 - x0, H],
    score,
    categoryId,
    prompts: { points: [], box: { x0, y0: 0, x1, y1: H } },
    source: 'auto',
  };
}

describe('store: proposals and their review (actions called directly)', () => {
  beforeEach(() => {
    useStore.setState({
      project: {
        ...emptyProject('t'),
        images: [{ id: 1, fileName: 'a.png', width: W, height: H }],
        categories: [
          { id: 1, name: 'a', color: '#ff0000' },
          { id: 2, name: 'b', color: '#00ff00' },
        ],
        pendingBoxes: [{ id: 5, imageId: 1, categoryId: 2, bbox: [0, 0, 10, 20] }],
      },
      currentImageId: 1,
      selectedAnnotationId: null,
      past: [],
      future: [],
    });
  });

  it('adds an image’s proposals in one undo step, consumes its boxes and selects the most confident', () => {
    const s = useStore.getState();
    expect(s.addProposals(1, [rect(0, 10, 0.9, 2), rect(20, 30, 0.95), { ...rect(0, 0, 0.99), area: 0 }], [5])).toBe(2);
    const st = useStore.getState();
    expect(st.project.annotations.map((a) => [a.review, a.source, a.categoryId])).toEqual([
      ['pending', 'auto', 2],
      ['pending', 'auto', 1],
    ]);
    expect(st.project.pendingBoxes).toHaveLength(0);
    expect(st.selectedAnnotationId).toBe(reviewQueue(st)[0]!.id);
    expect(st.project.annotations.find((a) => a.id === st.selectedAnnotationId)!.score).toBe(0.95);
    st.undo();
    expect(useStore.getState().project.annotations).toHaveLength(0);
    expect(useStore.getState().project.pendingBoxes).toHaveLength(1);
  });

  it('accept (Enter), reject and step: each moves on to the next proposal', async () => {
    useStore.getState().addProposals(1, [rect(0, 10, 0.9), rect(12, 20, 0.95), rect(22, 30, 0.93)], []);
    const ids = reviewQueue(useStore.getState()).map((a) => a.id);
    expect(ids).toHaveLength(3);
    expect(useStore.getState().timer.status).not.toBe('idle');
    // with no mask under way, accept() accepts the selected proposal as it is
    const accepted = await useStore.getState().accept();
    expect(accepted!.id).toBe(ids[0]);
    let st = useStore.getState();
    expect(st.project.annotations.find((a) => a.id === ids[0])!.review).toBe('accepted');
    expect(st.selectedAnnotationId).toBe(ids[1]);
    st.stepProposal(1);
    expect(useStore.getState().selectedAnnotationId).toBe(ids[2]);
    st = useStore.getState();
    st.deleteAnnotation(ids[2]!);
    st = useStore.getState();
    expect(st.project.annotations.some((a) => a.id === ids[2])).toBe(false);
    expect(st.selectedAnnotationId).toBe(ids[1]);
    // relabel with a category key
    st.setCategoryByIndex(1);
    expect(useStore.getState().project.annotations.find((a) => a.id === ids[1])!.categoryId).toBe(2);
  });

  it('hides a proposal once an accepted annotation covers it', () => {
    useStore.getState().addProposals(1, [rect(0, 10, 0.9), rect(20, 30, 0.95)], []);
    const covered = useStore.getState().project.annotations[0]!;
    useStore.setState((s) => ({
      project: {
        ...s.project,
        annotations: [...s.project.annotations, { ...covered, id: 99, review: undefined as never, source: 'points' }],
      },
    }));
    expect(reviewQueue(useStore.getState()).map((a) => a.id)).not.toContain(covered.id);
  });
});
