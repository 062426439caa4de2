import { describe, expect, it } from 'vitest';
import { boundaryF, boundaryMap, boundaryTolerance, regionJ } from './metrics.ts';

const rect = (w: number, h: number, x0: number, y0: number, x1: number, y1: number) => {
  const m = new Uint8Array(w * h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * w + x] = 1;
  return m;
};

/** F by brute force over every pair of boundary pixels (the definition, no distance transform). */
function bruteF(a: Uint8Array, b: Uint8Array, w: number, h: number, r: number): number {
  const ba = boundaryMap(a, w, h);
  const bb = boundaryMap(b, w, h);
  const pts = (m: Uint8Array) => [...m].flatMap((v, i) => (v ? [[i % w, Math.floor(i / w)] as const] : []));
  const pa = pts(ba);
  const pb = pts(bb);
  const near = (p: readonly [number, number], q: (readonly [number, number])[]) =>
    q.some(([x, y]) => (x - p[0]) ** 2 + (y - p[1]) ** 2 <= r * r);
  if (!pa.length && !pb.length) return 1;
  if (!pa.length || !pb.length) return 0;
  const P = pa.filter((p) => near(p, pb)).length / pa.length;
  const R = pb.filter((p) => near(p, pa)).length / pb.length;
  return P + R === 0 ? 0 : (2 * P * R) / (P + R);
}

describe('DAVIS J and F', () => {
  it('J is the IoU, 1 for two empty masks', () => {
    // 4x4 and 2x4 overlapping in 2x4: 8 / 16
    expect(regionJ(rect(8, 8, 0, 0, 4, 4), rect(8, 8, 0, 0, 2, 4))).toBe(0.5);
    expect(regionJ(new Uint8Array(16), new Uint8Array(16))).toBe(1);
  });

  it('the boundary map is seg2bmap’s: a pixel differing from its right, lower or lower-right neighbour', () => {
    // a 2x2 square at (1,1) in 4x4: by hand (rows), the pixels that differ from a neighbour to the right/below/diagonal
    expect([...boundaryMap(rect(4, 4, 1, 1, 3, 3), 4, 4)]).toEqual([1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
  });

  it('the tolerance is 0.008 of the diagonal, rounded up (DAVIS 480p: 7 px)', () => {
    expect(boundaryTolerance(854, 480)).toBe(8);
    expect(boundaryTolerance(640, 480)).toBe(7);
    expect(boundaryTolerance(100, 100, 3)).toBe(3);
  });

  it('F: 1 for the same mask, 0 against nothing, and as the definition says for shifted and odd shapes', () => {
    const w = 40;
    const h = 30;
    const a = rect(w, h, 5, 5, 20, 18);
    expect(boundaryF(a, a, w, h).F).toBe(1);
    expect(boundaryF(a, new Uint8Array(w * h), w, h)).toEqual({ F: 0, precision: 0, recall: 1 });
    expect(boundaryF(new Uint8Array(w * h), new Uint8Array(w * h), w, h).F).toBe(1);
    // tolerance 1 px here (0.008 x 50 rounded up): shifted by 1 still matches, by 3 hardly
    expect(boundaryTolerance(w, h)).toBe(1);
    expect(boundaryF(a, rect(w, h, 6, 5, 21, 18), w, h).F).toBeCloseTo(bruteF(a, rect(w, h, 6, 5, 21, 18), w, h, 1), 12);
    const far = rect(w, h, 8, 5, 23, 18);
    expect(boundaryF(a, far, w, h).F).toBeCloseTo(bruteF(a, far, w, h, 1), 12);
    // the top and bottom edges still match: worse than the 1 px shift, not zero
    expect(boundaryF(a, far, w, h).F).toBeLessThan(boundaryF(a, rect(w, h, 6, 5, 21, 18), w, h).F);
    // a ring against a disc, tolerance 2 px
    const ring = new Uint8Array(w * h);
    const disc = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const d = Math.hypot(x - 20, y - 15);
        if (d < 10 && d > 4) ring[y * w + x] = 1;
        if (d < 9) disc[y * w + x] = 1;
      }
    expect(boundaryF(ring, disc, w, h, 2).F).toBeCloseTo(bruteF(ring, disc, w, h, 2), 12);
  });
});
