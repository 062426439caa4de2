import { describe, expect, it } from 'vitest';
import { maskAreaAndBbox, maskFromLogits, maskFromLowResLogits } from './postprocess.ts';

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

/** Straightforward per-pixel bilinear (align_corners=False) + threshold, to check the fast path. */
function naiveUpscale(l: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Uint8Array {
  const out = new Uint8Array(dw * dh);
  const coord = (o: number, inS: number, outS: number) => Math.min(Math.max((o + 0.5) * (inS / outS) - 0.5, 0), inS - 1);
  for (let y = 0; y < dh; y++) {
    const sy = coord(y, sh, dh);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = sy - y0;
    for (let x = 0; x < dw; x++) {
      const sx = coord(x, sw, dw);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = sx - x0;
      const v =
        (l[y0 * sw + x0]! * (1 - wx) + l[y0 * sw + x1]! * wx) * (1 - wy) + (l[y1 * sw + x0]! * (1 - wx) + l[y1 * sw + x1]! * wx) * wy;
      out[y * dw + x] = v > 0 ? 1 : 0;
    }
  }
  return out;
}

describe('maskFromLowResLogits', () => {
  const sizes: [number, number, number, number][] = [
    [16, 12, 61, 37], // upscale, non-integer factors
    [40, 30, 17, 11], // downscale
    [10, 10, 10, 10], // identity
    [1, 5, 7, 9], // degenerate width
  ];
  for (const [sw, sh, dw, dh] of sizes) {
    it(`equals a per-pixel bilinear resize, ${sw}x${sh} -> ${dw}x${dh}`, () => {
      let seed = sw * 31 + dh;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
      // smooth-ish logits with sign changes, plus exact zeros
      const l = Float32Array.from({ length: sw * sh }, (_, i) => (i % 7 === 0 ? 0 : rnd() + 0.3 * Math.sin(i)));
      const r = maskFromLowResLogits(l, { width: sw, height: sh }, { width: dw, height: dh });
      const want = naiveUpscale(l, sw, sh, dw, dh);
      expect([...r.mask]).toEqual([...want]);
      expect(r).toMatchObject(maskAreaAndBbox(want, dw, dh));
    });
  }
  it('rejects too few logits', () => {
    expect(() => maskFromLowResLogits([1, 2], { width: 2, height: 2 }, { width: 4, height: 4 })).toThrow(/expected 4/);
  });
});
