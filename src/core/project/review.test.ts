import { describe, expect, it } from 'vitest';
import { rleFromMask } from '../mask/rle.ts';
import { coveredProposalIds, proposalsToReview } from './review.ts';
import type { Annotation } from './types.ts';

const W = 20;
const H = 10;
function rect(id: number, x0: number, y0: number, x1: number, y1: number, extra: Partial<Annotation> = {}): Annotation {
  const m = new Uint8Array(W * H);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 1;
  return {
    id,
    imageId: 1,
    categoryId: 1,
    segmentation: rleFromMask(m, W, H),
    area: (x1 - x0) * (y1 - y0),
    bbox: [x0, y0, x1 - x0, y1 - y0],
    score: null,
    prompts: { points: [], box: null },
    source: 'auto',
    createdAt: 0,
    ...extra,
  };
}

describe('review of proposals', () => {
  it('hides proposals an accepted annotation covers (IoU > 0.5) and only those', () => {
    const anns = [
      rect(1, 0, 0, 10, 10, { review: 'pending' }),
      rect(2, 10, 0, 20, 10, { review: 'pending' }),
      rect(3, 0, 0, 6, 10, { review: 'pending' }),
      rect(4, 0, 0, 9, 10, { source: 'points' }),
      rect(5, 10, 0, 20, 10, { review: 'pending', imageId: 2 }),
    ];
    // 4 covers 1 (IoU 0.9) and 3 (IoU 6/9); 2 is elsewhere; the same place on image 2 is not covered
    expect([...coveredProposalIds(anns)].sort()).toEqual([1, 3]);
    // an accepted proposal counts as accepted work
    const accepted = [rect(1, 10, 0, 20, 10, { review: 'accepted' }), rect(2, 10, 0, 19, 10, { review: 'pending' })];
    expect([...coveredProposalIds(accepted)]).toEqual([2]);
    // half overlap is not "covered"
    expect(coveredProposalIds([rect(1, 0, 0, 10, 10, { review: 'pending' }), rect(2, 5, 0, 15, 10)]).size).toBe(0);
  });
  it('orders the proposals to review by confidence, then size', () => {
    const anns = [
      rect(1, 0, 0, 2, 2, { review: 'pending', score: 0.9 }),
      rect(2, 0, 0, 5, 5, { review: 'pending', score: 0.95 }),
      rect(3, 0, 0, 6, 6, { review: 'pending', score: 0.9 }),
      rect(4, 0, 0, 6, 6, { review: 'accepted', score: 0.99 }),
      rect(5, 10, 0, 12, 2, { review: 'pending', score: 0.99 }),
    ];
    expect(proposalsToReview(anns, 1, new Set([5])).map((a) => a.id)).toEqual([2, 3, 1]);
  });
});
