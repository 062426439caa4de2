import { distanceTransform } from './edt.ts';

/** Ground truth for the click robot: object pixels and pixels to ignore (e.g. GrabCut's 128 band). */
export interface GroundTruth {
  width: number;
  height: number;
  /** 1 = object */
  object: Uint8Array;
  /** 1 = ignored in IoU and click placement */
  ignore: Uint8Array;
}

/**
 * What is wrong with a ground-truth mask's values for the click robot, or null when it is usable:
 * 0 = background, 255 = object, 128 = ignore band (GrabCut's layout, optional). Anything else
 * (0/1 masks, label maps, anti-aliased or JPEG masks) is refused rather than guessed at.
 */
export function maskLayoutProblem(gray: ArrayLike<number>): string | null {
  const seen = new Set<number>();
  for (let i = 0; i < gray.length; i++) seen.add(gray[i]!);
  const other = [...seen].filter((v) => v !== 0 && v !== 128 && v !== 255).sort((a, b) => a - b);
  if (other.length > 0) {
    const shown = other.slice(0, 5).join(', ') + (other.length > 5 ? `, … (${other.length} values)` : '');
    const hint =
      other.length === 1 && other[0] === 1
        ? ' It looks like a 0/1 mask: save it as 0/255.'
        : ' Save one object per mask as a lossless PNG (not JPEG), without anti-aliasing.';
    return `has pixel value(s) ${shown}; expected 0 (background), 255 (object) and optionally 128 (ignore band).${hint}`;
  }
  if (!seen.has(255)) return 'has no object pixel (255).';
  return null;
}

/** Reads a grayscale ground-truth mask: > 128 object, exactly 128 ignored, below background. */
export function groundTruthFromGray(gray: ArrayLike<number>, width: number, height: number): GroundTruth {
  const object = new Uint8Array(width * height);
  const ignore = new Uint8Array(width * height);
  for (let i = 0; i < object.length; i++) {
    const v = gray[i]!;
    if (v === 128) ignore[i] = 1;
    else if (v > 128) object[i] = 1;
  }
  return { width, height, object, ignore };
}

/** IoU of a prediction with the ground truth, ignored pixels left out of both. */
export function iouWithIgnore(pred: ArrayLike<number>, gt: GroundTruth): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < gt.object.length; i++) {
    if (gt.ignore[i]) continue;
    const p = pred[i] ? 1 : 0;
    const g = gt.object[i]!;
    inter += p & g;
    union += p | g;
  }
  return union === 0 ? 1 : inter / union;
}

export interface RobotClick {
  x: number;
  y: number;
  positive: boolean;
}

/**
 * The next click of the standard robot (RITM / f-BRS): false-negative and false-positive regions
 * (ignored pixels and already clicked pixels excluded), the exact distance transform of each with
 * the image border as boundary, and a click at the pixel farthest from its region's boundary —
 * positive if the false-negative maximum is larger, else negative; ties in position go to the first
 * pixel in row-major order. Null when there is no error left to click on.
 */
export function nextRobotClick(pred: ArrayLike<number>, gt: GroundTruth, clicked: ReadonlySet<number> = new Set()): RobotClick | null {
  const { width, height } = gt;
  const n = width * height;
  const fn = new Uint8Array(n);
  const fp = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (gt.ignore[i]) continue;
    const p = pred[i] ? 1 : 0;
    if (gt.object[i] && !p) fn[i] = 1;
    else if (!gt.object[i] && p) fp[i] = 1;
  }
  const dfn = distanceTransform(fn, width, height, true);
  const dfp = distanceTransform(fp, width, height, true);
  let fnMax = 0;
  let fpMax = 0;
  let fnAt = -1;
  let fpAt = -1;
  for (let i = 0; i < n; i++) {
    if (clicked.has(i)) continue;
    if (dfn[i]! > fnMax) {
      fnMax = dfn[i]!;
      fnAt = i;
    }
    if (dfp[i]! > fpMax) {
      fpMax = dfp[i]!;
      fpAt = i;
    }
  }
  const positive = fnMax > fpMax;
  const at = positive ? fnAt : fpAt;
  if (at < 0) return null;
  return { x: at % width, y: Math.floor(at / width), positive };
}

/** Tight box [x0, y0, x1, y1] (pixel edges) of the object pixels, or null. */
export function objectBox(gt: GroundTruth): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < gt.height; y++) {
    for (let x = 0; x < gt.width; x++) {
      if (!gt.object[y * gt.width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

export interface ImageResult {
  name: string;
  ious: number[];
  clicks: RobotClick[];
  secondsPerClick: number;
  /** object pixels of the ground truth (ignore band left out), for the COCO size split */
  area?: number;
}

export type ObjectSize = 'small' | 'medium' | 'large';

/** COCO's object size classes by mask area: small < 32², medium < 96², large otherwise. */
export function objectSizeClass(area: number): ObjectSize {
  return area < 32 * 32 ? 'small' : area < 96 * 96 ? 'medium' : 'large';
}

/** Object pixels of a ground truth (ignored pixels are not object pixels). */
export function objectArea(gt: GroundTruth): number {
  let n = 0;
  for (let i = 0; i < gt.object.length; i++) n += gt.object[i]!;
  return n;
}

/** Clicks needed to reach `threshold` (1-based), or `maxClicks` when never reached. */
export function clicksToReach(ious: readonly number[], threshold: number, maxClicks: number): number {
  const k = ious.findIndex((v) => v >= threshold);
  return k < 0 ? maxClicks : k + 1;
}

export interface DatasetSummary {
  images: number;
  noc85: number;
  noc90: number;
  nof90: number;
  miou1: number;
  miou3: number;
  miou5: number;
  secondsPerClick: number;
}

/** NoC@85/90, NoF@90 and mean IoU after 1/3/5 clicks, as interactive segmentation papers report them. */
export function summarizeRuns(results: readonly ImageResult[], maxClicks: number): DatasetSummary {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const at = (r: ImageResult, k: number) => r.ious[Math.min(k, r.ious.length) - 1] ?? 0;
  return {
    images: results.length,
    noc85: mean(results.map((r) => clicksToReach(r.ious, 0.85, maxClicks))),
    noc90: mean(results.map((r) => clicksToReach(r.ious, 0.9, maxClicks))),
    nof90: results.filter((r) => clicksToReach(r.ious, 0.9, maxClicks) >= maxClicks && !(r.ious[maxClicks - 1]! >= 0.9)).length,
    miou1: mean(results.map((r) => at(r, 1))),
    miou3: mean(results.map((r) => at(r, 3))),
    miou5: mean(results.map((r) => at(r, 5))),
    secondsPerClick: mean(results.map((r) => r.secondsPerClick)),
  };
}

/** {@link summarizeRuns} for each COCO size class present (results without an area are left out). */
export function summarizeBySize(results: readonly ImageResult[], maxClicks: number): Partial<Record<ObjectSize, DatasetSummary>> {
  const out: Partial<Record<ObjectSize, DatasetSummary>> = {};
  for (const size of ['small', 'medium', 'large'] as const) {
    const rs = results.filter((r) => r.area !== undefined && objectSizeClass(r.area) === size);
    if (rs.length) out[size] = summarizeRuns(rs, maxClicks);
  }
  return out;
}
