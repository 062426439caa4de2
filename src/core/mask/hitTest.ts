/**
 * Which masks lie under a point, on the masks themselves (COCO RLE), not their boxes: what hovering
 * and clicking on the canvas select. Each mask's runs are turned once into cumulative ends (cached
 * per RLE object), so a test is a box check and a binary search: fast with hundreds of masks.
 */
import { rleCountsFromString, type CocoRle } from './rle.ts';

interface RunIndex {
  height: number;
  width: number;
  /** ends[k]: column-major index one past run k (runs alternate background / object) */
  ends: Float64Array;
}

const indexes = new WeakMap<CocoRle, RunIndex>();

function runIndex(rle: CocoRle): RunIndex {
  let idx = indexes.get(rle);
  if (!idx) {
    const counts = rleCountsFromString(rle.counts);
    const ends = new Float64Array(counts.length);
    let acc = 0;
    counts.forEach((c, k) => (ends[k] = acc += c));
    idx = { height: rle.size[0], width: rle.size[1], ends };
    indexes.set(rle, idx);
  }
  return idx;
}

/** Whether image pixel (floor(x), floor(y)) is inside the mask. */
export function rleContains(rle: CocoRle, x: number, y: number): boolean {
  const { width, height, ends } = runIndex(rle);
  const px = Math.floor(x);
  const py = Math.floor(y);
  if (px < 0 || py < 0 || px >= width || py >= height) return false;
  const p = px * height + py;
  // the first run that ends after p
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid]! > p) hi = mid;
    else lo = mid + 1;
  }
  return lo < ends.length && lo % 2 === 1;
}

/** A mask with its box ([x, y, w, h], image px) and pixel count. */
export interface HitTarget {
  id: number;
  segmentation: CocoRle;
  bbox: readonly [number, number, number, number] | readonly number[];
  area: number;
}

/**
 * The masks that contain image pixel (x, y), smallest first (the most specific object first; repeated
 * clicks cycle outwards through what overlaps), ties by id.
 */
export function masksAt<T extends HitTarget>(items: readonly T[], x: number, y: number): T[] {
  const out: T[] = [];
  for (const a of items) {
    const [bx, by, bw, bh] = a.bbox as [number, number, number, number];
    if (x < bx || y < by || x >= bx + bw || y >= by + bh) continue;
    if (rleContains(a.segmentation, x, y)) out.push(a);
  }
  return out.sort((a, b) => a.area - b.area || a.id - b.id);
}

/**
 * The mask a click selects: with `current` selected and under the point, the next one under it
 * (cycling); otherwise the smallest under it; null where there is none.
 */
export function nextAt<T extends HitTarget>(items: readonly T[], x: number, y: number, current: number | null): T | null {
  const under = masksAt(items, x, y);
  if (under.length === 0) return null;
  const i = under.findIndex((a) => a.id === current);
  return under[(i + 1) % under.length]!;
}
