import { describe, expect, it } from 'vitest';
import { maskIou } from '../mask/iou.ts';
import { interpolateBetween, interpolateMask, signedDistance } from './interpolate.ts';

const W = 96;
const H = 80;
/** A disc drawn from its formula, by pixel centres. */
function disc(cx: number, cy: number, r: number): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (Math.hypot(x + 0.5 - cx, y + 0.5 - cy) < r) m[y * W + x] = 1;
  return m;
}

describe('interpolation between keyframes (signed distance fields)', () => {
  it('gives back the keyframes at its ends', () => {
    const a = disc(30, 40, 12);
    const b = disc(60, 40, 18);
    expect(maskIou(interpolateMask(a, b, W, H, 0), a)).toBe(1);
    expect(maskIou(interpolateMask(a, b, W, H, 1), b)).toBe(1);
  });

  it('a disc growing in place passes through the discs of the radii between (the closed form of the blend)', () => {
    const a = disc(48, 40, 10);
    const b = disc(48, 40, 30);
    // the fields of two concentric discs are |p - c| - r: their blend is the disc of radius (1 - t) r0 + t r1
    for (const t of [0.25, 0.5, 0.75]) expect(maskIou(interpolateMask(a, b, W, H, t), disc(48, 40, 10 + 20 * t))).toBeGreaterThan(0.95);
  });

  it('a moving disc follows the blend of the exact fields, computed from the formulas', () => {
    // overlapping: the blend keeps a shape of some size all the way (far apart discs vanish half-way)
    const [c0, c1, r] = [35, 60, 16];
    const a = disc(c0, 40, r);
    const b = disc(c1, 40, r);
    const frames = interpolateBetween(a, b, W, H, 4);
    expect(frames).toHaveLength(3);
    frames.forEach((m, k) => {
      const t = (k + 1) / 4;
      const exact = new Uint8Array(W * H);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const da = Math.hypot(x + 0.5 - c0, y + 0.5 - 40) - r;
          const db = Math.hypot(x + 0.5 - c1, y + 0.5 - 40) - r;
          if ((1 - t) * da + t * db < 0) exact[y * W + x] = 1;
        }
      expect([...exact].filter(Boolean).length).toBeGreaterThan(200);
      expect(maskIou(m, exact)).toBeGreaterThan(0.9);
    });
  });

  it('has negative values inside, positive outside, and copes with empty and full masks', () => {
    const a = disc(48, 40, 10);
    const f = signedDistance(a, W, H);
    expect(f[40 * W + 48]).toBeLessThan(-8);
    expect(f[5 * W + 5]).toBeGreaterThan(30);
    expect([...interpolateMask(new Uint8Array(W * H), new Uint8Array(W * H), W, H, 0.5)].some(Boolean)).toBe(false);
    expect([...interpolateMask(new Uint8Array(W * H).fill(1), new Uint8Array(W * H).fill(1), W, H, 0.5)].every(Boolean)).toBe(true);
  });
});
