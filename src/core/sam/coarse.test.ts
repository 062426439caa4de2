import { describe, expect, it } from 'vitest';
import { coarsePrompts, seededRandom } from './coarse.ts';

function labelMap(w: number, h: number, fill: (x: number, y: number) => number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = fill(x, y);
  return m;
}
const inRect = (x: number, y: number, x0: number, y0: number, x1: number, y1: number) => x >= x0 && x < x1 && y >= y0 && y < y1;

describe('coarsePrompts', () => {
  const w = 120;
  const h = 80;
  // class 1: two blobs and a speck; class 2: one blob
  const map = labelMap(w, h, (x, y) =>
    inRect(x, y, 10, 10, 40, 40) || inRect(x, y, 60, 10, 80, 30) || inRect(x, y, 100, 70, 103, 73)
      ? 1
      : inRect(x, y, 20, 50, 110, 75)
        ? 2
        : 0,
  );

  it('semantic: one box per connected component above the minimum area, per class', () => {
    const p = coarsePrompts(map, w, h, { kind: 'semantic', minArea: 50 });
    expect(p.map((q) => [q.value, q.bbox, q.area])).toEqual([
      [1, [10, 10, 30, 30], 900],
      [1, [60, 10, 20, 20], 400],
      [2, [20, 50, 90, 25], 90 * 25 - 9],
    ]);
    expect(p[0]!.prompts).toEqual({ points: [], box: { x0: 10, y0: 10, x1: 40, y1: 40 } });
  });

  it('instance: one object per id, its box over all its kept parts', () => {
    const p = coarsePrompts(map, w, h, { kind: 'instance', minArea: 50 });
    expect(p.map((q) => [q.value, q.bbox])).toEqual([
      [1, [10, 10, 70, 30]],
      [2, [20, 50, 90, 25]],
    ]);
  });

  it('box+points: positives well inside the largest part, negatives in the box well away from the object', () => {
    const opts = {
      kind: 'instance',
      minArea: 50,
      prompt: 'box+points',
      positivePoints: 3,
      negativePoints: 2,
      positiveSafety: 4,
      negativeSafety: 6,
      findPointTimes: 200,
    } as const;
    const p = coarsePrompts(map, w, h, opts);
    const one = p[0]!;
    expect(one.fellBack).toBe(false);
    const pos = one.prompts.points.filter((q) => q.positive);
    const neg = one.prompts.points.filter((q) => !q.positive);
    expect(pos).toHaveLength(3);
    expect(neg).toHaveLength(2);
    // distance (px, between pixel centres) from a point's pixel to the nearest pixel of a rectangle [x0, x1) x [y0, y1)
    const dist = (q: { x: number; y: number }, x0: number, y0: number, x1: number, y1: number) => {
      const px = Math.floor(q.x);
      const py = Math.floor(q.y);
      return Math.hypot(Math.max(x0 - px, 0, px - (x1 - 1)), Math.max(y0 - py, 0, py - (y1 - 1)));
    };
    for (const q of pos) {
      // inside the largest part (10..40), at least 4 px from its outside
      expect(inRect(q.x, q.y, 10, 10, 40, 40)).toBe(true);
      expect(Math.min(q.x - 9.5, 40.5 - q.x, q.y - 9.5, 40.5 - q.y)).toBeGreaterThanOrEqual(4);
    }
    for (const q of neg) {
      expect(inRect(q.x, q.y, 10, 10, 80, 40)).toBe(true);
      expect(dist(q, 10, 10, 40, 40)).toBeGreaterThanOrEqual(6);
      expect(dist(q, 60, 10, 80, 30)).toBeGreaterThanOrEqual(6);
    }
    // the same seed gives the same points, another seed others
    expect(coarsePrompts(map, w, h, opts)[0]).toEqual(one);
    expect(coarsePrompts(map, w, h, { ...opts, seed: 7 })[0]!.prompts.points).not.toEqual(one.prompts.points);
  });

  it('falls back to the box alone when the points cannot be found', () => {
    // a 3-px-thin bar: no pixel is 5 px inside it; it fills its box, so no negatives either
    const bar = labelMap(60, 20, (x, y) => (inRect(x, y, 5, 8, 55, 11) ? 7 : 0));
    const [p] = coarsePrompts(bar, 60, 20, { minArea: 10, prompt: 'box+points' });
    expect(p!.fellBack).toBe(true);
    expect(p!.prompts.points).toEqual([]);
    expect(p!.prompts.box).toEqual({ x0: 5, y0: 8, x1: 55, y1: 11 });
  });

  it('ignores void labels and checks the size', () => {
    const m = labelMap(10, 10, (x) => (x < 5 ? 255 : 0));
    expect(coarsePrompts(m, 10, 10, { minArea: 1, ignoreValues: [255] })).toEqual([]);
    expect(() => coarsePrompts(m, 10, 9)).toThrow(/expected 10x9/);
  });

  it('seededRandom is deterministic and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let i = 0; i < 100; i++) {
      const v = a();
      expect(v).toBe(b());
      expect(v >= 0 && v < 1).toBe(true);
    }
  });
});
