import { describe, expect, it } from 'vitest';
import { batchSource, cropKey, imageSource, isCropOf } from './keys.ts';

describe('shared keys', () => {
  it('names a crop by its image and rectangle', () => {
    const k = cropKey(12, { x0: 1, y0: 2, x1: 30, y1: 40 });
    expect(k).toBe('12:1,2,30,40');
    expect(isCropOf(k, 12)).toBe(true);
    expect(isCropOf(k, 1)).toBe(false);
    expect(isCropOf(cropKey(120, { x0: 0, y0: 0, x1: 1, y1: 1 }), 12)).toBe(false);
  });
  it('tells image and batch embeddings apart without sentinel ids', () => {
    expect(imageSource(3)).toEqual({ kind: 'image', imageId: 3 });
    expect(batchSource(3)).toEqual({ kind: 'batch', jobId: 3 });
  });
});
