import { describe, expect, it } from 'vitest';
import { masksAt, nextAt, rleContains } from './hitTest.ts';
import { maskFromRle, rleArea, rleBbox, rleFromMask } from './rle.ts';

function randomMask(w: number, h: number, seed: number): Uint8Array {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const m = new Uint8Array(w * h);
  // a few random blobs
  for (let k = 0; k < 4; k++) {
    const cx = rnd() * w;
    const cy = rnd() * h;
    const r = 2 + rnd() * 10;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) m[y * w + x] = 1;
  }
  return m;
}

function ann(id: number, m: Uint8Array, w: number, h: number) {
  const segmentation = rleFromMask(m, w, h);
  return { id, segmentation, bbox: rleBbox(segmentation), area: rleArea(segmentation) };
}

describe('hit-testing on RLE', () => {
  it('rleContains agrees with the decoded mask at every pixel (random masks, odd sizes, edges)', () => {
    for (const [w, h, seed] of [
      [37, 23, 1],
      [1, 9, 2],
      [64, 1, 3],
      [50, 50, 4],
    ] as const) {
      const m = randomMask(w, h, seed);
      m[0] = 1;
      m[w * h - 1] = 1;
      const rle = rleFromMask(m, w, h);
      const back = maskFromRle(rle);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(rleContains(rle, x + 0.7, y + 0.2)).toBe(back[y * w + x] === 1);
      expect(rleContains(rle, -1, 0)).toBe(false);
      expect(rleContains(rle, w, 0)).toBe(false);
      expect(rleContains(rle, 0, h)).toBe(false);
    }
  });

  it('overlapping masks: smallest first, repeated clicks cycle through them, nothing outside', () => {
    const w = 40;
    const h = 30;
    const big = new Uint8Array(w * h).fill(1);
    const mid = new Uint8Array(w * h);
    const small = new Uint8Array(w * h);
    for (let y = 5; y < 25; y++) for (let x = 5; x < 35; x++) mid[y * w + x] = 1;
    for (let y = 10; y < 15; y++) for (let x = 10; x < 15; x++) small[y * w + x] = 1;
    const items = [ann(1, big, w, h), ann(2, mid, w, h), ann(3, small, w, h)];
    expect(masksAt(items, 12, 12).map((a) => a.id)).toEqual([3, 2, 1]);
    expect(masksAt(items, 20, 20).map((a) => a.id)).toEqual([2, 1]);
    expect(masksAt(items, 1, 1).map((a) => a.id)).toEqual([1]);
    let sel: number | null = null;
    const seen: number[] = [];
    for (let k = 0; k < 4; k++) seen.push((sel = nextAt(items, 12, 12, sel)!.id));
    expect(seen).toEqual([3, 2, 1, 3]);
    // a selection not under the point starts from the smallest again
    expect(nextAt(items, 20, 20, 3)!.id).toBe(2);
    expect(nextAt([items[2]!], 30, 2, null)).toBeNull();
  });
});
