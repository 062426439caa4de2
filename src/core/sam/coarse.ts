/**
 * Prompts from a coarse segmentation model's output (a label map: one class or instance id per
 * pixel, 0 = background). Per object (a connected component of a class in a semantic map, or one
 * instance id in an instance map, its fragments below `minArea` dropped) the prompt is the object's
 * box, optionally with points: positive points inside its largest component, each with a small
 * safety neighbourhood inside it, and negative points in the box but away from the object by a
 * larger one. Points are drawn at random (seeded) among the box's pixels that keep those distances, up
 * to `findPointTimes` draws per point (a draw too close to a point already chosen is redrawn); when
 * not enough are found the prompt falls back to the box alone, which field reports found the more
 * reliable prompt anyway.
 */
import { distanceTransform } from '../eval/edt.ts';
import { labelComponents } from '../mask/polygon.ts';
import type { PointPrompt, Prompts } from './prompts.ts';

export interface CoarseOptions {
  /** 'semantic': pixel value = class id, one object per connected component; 'instance': one object per value */
  kind: 'semantic' | 'instance';
  /** components smaller than this (px) are ignored */
  minArea: number;
  /** 'box' (default, the stable prompt) or 'box+points' */
  prompt: 'box' | 'box+points';
  positivePoints: number;
  negativePoints: number;
  /** a positive point is at least this far (px) from the object's edge */
  positiveSafety: number;
  /** a negative point is at least this far (px) from the object */
  negativeSafety: number;
  /** random draws per point before giving up (then the box alone is used) */
  findPointTimes: number;
  /** label values that are not objects (besides 0), e.g. 255 "void" in VOC-style maps */
  ignoreValues: readonly number[];
  seed: number;
}

export const DEFAULT_COARSE_OPTIONS: CoarseOptions = {
  kind: 'semantic',
  minArea: 100,
  prompt: 'box',
  positivePoints: 2,
  negativePoints: 2,
  positiveSafety: 5,
  negativeSafety: 15,
  findPointTimes: 20,
  ignoreValues: [],
  seed: 1,
};

export interface CoarsePrompt {
  /** the label value: class id (semantic) or instance id (instance) */
  value: number;
  /** [x, y, w, h] image px, of the object's kept components */
  bbox: [number, number, number, number];
  area: number;
  prompts: Prompts;
  /** points were asked for but not enough were found: the box alone is used */
  fellBack: boolean;
}

/** Deterministic PRNG (mulberry32) so that a run can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Box [x, y, w, h] of the pixels of `labels` whose label is in `keep`. */
function boxOf(labels: Int32Array, width: number, keep: ReadonlySet<number>): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let i = 0; i < labels.length; i++) {
    if (!keep.has(labels[i]!)) continue;
    const x = i % width;
    const y = (i - x) / width;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/**
 * Prompts for every object of a label map (row-major, `width` x `height`), in increasing label value,
 * then by component size (largest first).
 */
export function coarsePrompts(
  labelMap: ArrayLike<number>,
  width: number,
  height: number,
  options: Partial<CoarseOptions> = {},
): CoarsePrompt[] {
  const o = { ...DEFAULT_COARSE_OPTIONS, ...options };
  if (labelMap.length !== width * height) throw new RangeError(`the label map has ${labelMap.length} values, expected ${width}x${height}`);
  const ignore = new Set([0, ...o.ignoreValues]);
  const values = new Set<number>();
  for (let i = 0; i < labelMap.length; i++) if (!ignore.has(labelMap[i]!)) values.add(labelMap[i]!);
  const rand = seededRandom(o.seed);
  const out: CoarsePrompt[] = [];
  for (const value of [...values].sort((a, b) => a - b)) {
    const sel = new Uint8Array(width * height);
    for (let i = 0; i < sel.length; i++) sel[i] = labelMap[i] === value ? 1 : 0;
    const { labels, count } = labelComponents(sel, width, height);
    const area = new Int32Array(count + 1);
    for (let i = 0; i < labels.length; i++) area[labels[i]!]!++;
    const big = Array.from({ length: count }, (_, k) => k + 1)
      .filter((l) => area[l]! >= o.minArea)
      .sort((a, b) => area[b]! - area[a]!);
    if (big.length === 0) continue;
    const objects = o.kind === 'semantic' ? big.map((l) => [l]) : [big];
    for (const comps of objects) {
      const keep = new Set(comps);
      const bbox = boxOf(labels, width, keep);
      const objArea = comps.reduce((s, l) => s + area[l]!, 0);
      const box = { x0: bbox[0], y0: bbox[1], x1: bbox[0] + bbox[2], y1: bbox[1] + bbox[3] };
      let points: PointPrompt[] = [];
      let fellBack = false;
      if (o.prompt === 'box+points') {
        points = promptPoints(labels, width, height, keep, comps[0]!, bbox, o, rand);
        if (points.length < o.positivePoints + o.negativePoints) {
          points = [];
          fellBack = true;
        }
      }
      out.push({ value, bbox, area: objArea, prompts: { points, box }, fellBack });
    }
  }
  return out;
}

/** Positive points in the largest component, negative points in the box away from the object. */
function promptPoints(
  labels: Int32Array,
  width: number,
  height: number,
  object: ReadonlySet<number>,
  largest: number,
  bbox: [number, number, number, number],
  o: CoarseOptions,
  rand: () => number,
): PointPrompt[] {
  const [bx, by, bw, bh] = bbox;
  // distance maps on the box grown by the negative safety distance (enough to see the object around it)
  const m = Math.ceil(o.negativeSafety) + 1;
  const x0 = Math.max(0, bx - m);
  const y0 = Math.max(0, by - m);
  const x1 = Math.min(width, bx + bw + m);
  const y1 = Math.min(height, by + bh + m);
  const w = x1 - x0;
  const h = y1 - y0;
  const inLargest = new Uint8Array(w * h);
  const outside = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = labels[(y + y0) * width + x + x0]!;
      inLargest[y * w + x] = l === largest ? 1 : 0;
      outside[y * w + x] = object.has(l) ? 0 : 1;
    }
  }
  // the image border is not the object's edge, so it does not count as outside for positives
  const dPos = distanceTransform(inLargest, w, h, false);
  const dNeg = distanceTransform(outside, w, h, false);
  // candidates: the box's pixels that keep the safety distance (positives: inside the largest part;
  // negatives: away from every part of the object)
  const posCand: number[] = [];
  const negCand: number[] = [];
  for (let y = by; y < by + bh; y++) {
    for (let x = bx; x < bx + bw; x++) {
      const i = (y - y0) * w + (x - x0);
      if (dPos[i]! >= o.positiveSafety) posCand.push(y * width + x);
      else if (dNeg[i]! >= o.negativeSafety) negCand.push(y * width + x);
    }
  }
  // up to findPointTimes random draws per point; a draw too close to a point already chosen is redrawn
  const pick = (n: number, cand: readonly number[], positive: boolean, minGap: number): PointPrompt[] => {
    const got: PointPrompt[] = [];
    if (cand.length === 0) return got;
    for (let k = 0; k < n; k++) {
      for (let t = 0; t < o.findPointTimes; t++) {
        const c = cand[Math.floor(rand() * cand.length)]!;
        const x = (c % width) + 0.5;
        const y = Math.floor(c / width) + 0.5;
        if (got.some((p) => Math.hypot(p.x - x, p.y - y) < minGap)) continue;
        got.push({ x, y, positive });
        break;
      }
    }
    return got;
  };
  const pos = pick(o.positivePoints, posCand, true, o.positiveSafety);
  const neg = pick(o.negativePoints, negCand, false, o.negativeSafety);
  return [...pos, ...neg];
}
