import { describe, expect, it } from 'vitest';
import { maskAreaAndBbox, maskFromLogits } from './postprocess.ts';

describe('maskFromLogits', () => {
  it('thresholds strictly above 0 (SAM mask_threshold)', () => {
    expect([...maskFromLogits(new Float32Array([-1, 0, 1e-6, 5, -0]))]).toEqual([0, 0, 1, 1, 0]);
  });
  it('honours another threshold', () => {
    expect([...maskFromLogits([0.5, 1.5], 1)]).toEqual([0, 1]);
  });
});

describe('maskAreaAndBbox', () => {
  it('counts pixels and gives the tight [x, y, w, h] box', () => {
    // 4 x 3, pixels at (1,0), (3,2)
    const m = new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(maskAreaAndBbox(m, 4, 3)).toEqual({ area: 2, bbox: [1, 0, 3, 3] });
  });
  it('empty mask has area 0 and box [0,0,0,0] like COCO', () => {
    expect(maskAreaAndBbox(new Uint8Array(6), 3, 2)).toEqual({ area: 0, bbox: [0, 0, 0, 0] });
  });
});
