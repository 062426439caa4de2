import { describe, expect, it } from 'vitest';
import { annotationStats } from './stats.ts';
import { emptyProject, type Annotation, type Project } from './types.ts';

function ann(id: number, imageId: number, timeMs: number | undefined, clicks: number): Annotation {
  return {
    id,
    imageId,
    categoryId: 1,
    segmentation: { size: [1, 1], counts: '01' },
    area: 1,
    bbox: [0, 0, 1, 1],
    score: null,
    prompts: { points: [], box: null },
    source: 'points',
    createdAt: 0,
    ...(timeMs === undefined ? {} : { timeMs, clicks, strokes: 1 }),
  };
}

describe('annotationStats', () => {
  const p: Project = {
    ...emptyProject(),
    annotations: [ann(1, 1, 4000, 1), ann(2, 1, 12_000, 3), ann(3, 2, 40_000, 5), ann(4, 2, undefined, 0)],
    skipped: [{ id: 1, imageId: 2, timeMs: 31_000, clicks: 2, strokes: 0, at: 0 }],
  };
  it('whole project: timed masks only', () => {
    const s = annotationStats(p);
    expect(s).toMatchObject({
      masks: 3,
      images: 2,
      masksPerImage: 1.5,
      medianSeconds: 12,
      meanSeconds: 56 / 3,
      clicksPerMask: 3,
      skipped: 1,
    });
    expect(s.overBudgetShare).toBeCloseTo(1 / 3);
    expect(s.histogram.slice(0, 3)).toEqual([1, 0, 1]);
    expect(s.histogram[8]).toBe(1);
  });
  it('one image', () => {
    expect(annotationStats(p, 1)).toMatchObject({ masks: 2, images: 1, medianSeconds: 8, skipped: 0 });
    expect(annotationStats(p, 9)).toMatchObject({ masks: 0, medianSeconds: 0, masksPerImage: 0 });
  });
  it('proposals: pending ones are not timed masks, accepted ones count with their review time', () => {
    const q: Project = {
      ...emptyProject(),
      annotations: [
        ann(1, 1, 4000, 1),
        { ...ann(2, 1, 0, 0), review: 'pending', bbox: [5, 5, 1, 1] },
        // covered by annotation 1 (same mask): done with, not counted as to review
        { ...ann(4, 1, 0, 0), review: 'pending' },
        { ...ann(3, 1, 2000, 0), review: 'accepted', bbox: [7, 7, 1, 1] },
      ],
    };
    expect(annotationStats(q)).toMatchObject({ masks: 2, medianSeconds: 3, proposalsPending: 1, proposalsAccepted: 1 });
  });
});
