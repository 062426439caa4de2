/**
 * SAM's automatic mask generator ("segment everything"), as `SamAutomaticMaskGenerator` of the
 * reference code: a grid of single-point prompts per crop, each mask kept when its predicted IoU and
 * its stability score pass their thresholds and it does not touch an inner crop edge, box NMS within
 * a crop and across crops (smaller crops win), then optional small-region cleanup.
 *
 * The decoder is abstract ({@link AmgCropDecoder}), so the same pipeline runs on onnxruntime-node
 * (CLI) and in the app's decoder worker. One difference from the reference: the stability score is
 * computed on the logits at the model's input resolution (longest side 1024) rather than after the
 * final resize to the crop's size; both are ratios of areas of the same logit map, so they agree to
 * within interpolation (about 1e-3 on real masks).
 */
import type { Point, Size } from '../geometry.ts';
import { removeSmallRegions } from '../mask/polygon.ts';
import { maskFromRle, rleFromMask, type CocoRle } from '../mask/rle.ts';
import { maskFromLowResLogits, modelLogitsFromLowRes } from './postprocess.ts';
import type { PixelRect } from './roi.ts';

export interface AmgParams {
  /** grid points per side of the whole-image crop (SAM: 32) */
  pointsPerSide: number;
  /** keep masks whose predicted IoU is above this (SAM: 0.88) */
  predIouThresh: number;
  /** keep masks whose stability score is at least this (SAM: 0.95) */
  stabilityScoreThresh: number;
  /** logit offset of the stability score (SAM: 1.0) */
  stabilityScoreOffset: number;
  /** box IoU above which the lower-scored mask of one crop is dropped (SAM: 0.7) */
  boxNmsThresh: number;
  /** extra layers of crops (0: the whole image only) */
  cropNLayers: number;
  /** box IoU for NMS across crops (SAM: 0.7) */
  cropNmsThresh: number;
  /** overlap of neighbouring crops, as a share of the image's short side (SAM: 512/1500) */
  cropOverlapRatio: number;
  /** points per side are divided by this for each crop layer (SAM: 1) */
  cropNPointsDownscaleFactor: number;
  /** holes and islands below this area (px) are removed, 0 = off (SAM: 0) */
  minMaskRegionArea: number;
}

export const DEFAULT_AMG_PARAMS: AmgParams = {
  pointsPerSide: 32,
  predIouThresh: 0.88,
  stabilityScoreThresh: 0.95,
  stabilityScoreOffset: 1.0,
  boxNmsThresh: 0.7,
  cropNLayers: 0,
  cropNmsThresh: 0.7,
  cropOverlapRatio: 512 / 1500,
  cropNPointsDownscaleFactor: 1,
  minMaskRegionArea: 0,
};

/**
 * Prompts per batched decoder call (SAM's `points_per_batch` is 64 on a GPU). Measured on CPUs
 * (BENCHMARKS.md, "Batched decoder"): the time per prompt is lowest at about 4 in onnxruntime-node
 * and flat from 4 in WASM, while memory grows with the batch (onnxruntime's arena: 0.50 GB at 1,
 * 0.68 GB at 4, 1.38 GB at 16 in the CLI; WebAssembly memory, once grown, is never given back), and
 * a click that comes during a call waits for it (about 0.4 s at 4 in WASM here).
 */
export const DEFAULT_POINTS_PER_BATCH = 4;

/** [x0, y0, x1, y1]; for mask boxes x1/y1 are the last object column/row (inclusive), as SAM's. */
export type BoxXyxy = [number, number, number, number];

/** One automatic mask. `rle` is in image px; `cropBox` is the crop it was found in. */
export interface AmgMask {
  rle: CocoRle;
  area: number;
  box: BoxXyxy;
  predictedIou: number;
  stabilityScore: number;
  /** the prompt point, image px */
  point: Point;
  cropBox: BoxXyxy;
}

/** SAM's `build_point_grid`: n x n points at cell centres in [0, 1]^2, row by row (y outer). */
export function pointGrid(n: number): Point[] {
  const out: Point[] = [];
  const offset = 1 / (2 * n);
  const step = n > 1 ? (1 - 2 * offset) / (n - 1) : 0;
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) out.push({ x: offset + i * step, y: offset + j * step });
  return out;
}

/** SAM's `generate_crop_boxes`: the whole image (layer 0), then 2^k x 2^k overlapping crops per layer k. */
export function cropBoxes(image: Size, nLayers: number, overlapRatio: number): { box: BoxXyxy; layer: number }[] {
  const { width: w, height: h } = image;
  const out: { box: BoxXyxy; layer: number }[] = [{ box: [0, 0, w, h], layer: 0 }];
  const shortSide = Math.min(w, h);
  const cropLen = (orig: number, n: number, overlap: number) => Math.ceil((overlap * (n - 1) + orig) / n);
  for (let layer = 0; layer < nLayers; layer++) {
    const n = 2 ** (layer + 1);
    const overlap = Math.trunc(overlapRatio * shortSide * (2 / n));
    const cw = cropLen(w, n, overlap);
    const ch = cropLen(h, n, overlap);
    const xs = Array.from({ length: n }, (_, i) => Math.trunc((cw - overlap) * i));
    const ys = Array.from({ length: n }, (_, i) => Math.trunc((ch - overlap) * i));
    // itertools.product(x0s, y0s): x outer
    for (const x0 of xs) for (const y0 of ys) out.push({ box: [x0, y0, Math.min(x0 + cw, w), Math.min(y0 + ch, h)], layer: layer + 1 });
  }
  return out;
}

/** The prompt points of a crop, in the crop's px. */
export function cropPoints(params: AmgParams, layer: number, crop: Size): Point[] {
  const n = Math.trunc(params.pointsPerSide / params.cropNPointsDownscaleFactor ** layer);
  return pointGrid(Math.max(1, n)).map((p) => ({ x: p.x * crop.width, y: p.y * crop.height }));
}

/**
 * SAM's `calculate_stability_score`: the IoU of the masks thresholded at `threshold + offset` and
 * `threshold - offset`, i.e. how little the mask moves when the logit threshold does.
 */
export function stabilityScore(logits: ArrayLike<number>, threshold = 0, offset = 1): number {
  let inter = 0;
  let union = 0;
  const hi = threshold + offset;
  const lo = threshold - offset;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > lo) {
      union++;
      if (v > hi) inter++;
    }
  }
  return union === 0 ? 0 : inter / union;
}

/** torchvision's `box_iou` of two xyxy boxes (areas as (x1 - x0) * (y1 - y0)). */
export function boxIou(a: BoxXyxy, b: BoxXyxy): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression: indices kept, best score first (ties keep the earlier one). */
export function nms(boxes: readonly BoxXyxy[], scores: readonly number[], iouThresh: number): number[] {
  const order = boxes.map((_, i) => i).sort((i, j) => scores[j]! - scores[i]! || i - j);
  const keep: number[] = [];
  const removed = new Uint8Array(boxes.length);
  for (const i of order) {
    if (removed[i]) continue;
    keep.push(i);
    for (const j of order) if (!removed[j] && j !== i && boxIou(boxes[i]!, boxes[j]!) > iouThresh) removed[j] = 1;
  }
  return keep;
}

/** SAM's `is_box_near_crop_edge` (atol 20 px): a mask cut by an inner crop edge is only part of an object. */
export function isBoxNearCropEdge(box: BoxXyxy, crop: BoxXyxy, image: Size, atol = 20): boolean {
  const img: BoxXyxy = [0, 0, image.width, image.height];
  for (let k = 0; k < 4; k++) {
    if (Math.abs(box[k]! - crop[k]!) <= atol && !(Math.abs(box[k]! - img[k]!) <= atol)) return true;
  }
  return false;
}

/** Mask box in SAM's convention (inclusive last column/row), [0, 0, 0, 0] when empty. */
function maskBoxXyxy(bbox: [number, number, number, number], area: number): BoxXyxy {
  if (area === 0) return [0, 0, 0, 0];
  return [bbox[0], bbox[1], bbox[0] + bbox[2] - 1, bbox[1] + bbox[3] - 1];
}

/**
 * One point's decoder output -> a kept mask or null. `logits` are the decoder's mask logits at the
 * crop's model-space size `modelSize` (longest side 1024); `predictedIou` its IoU prediction.
 */
export function amgMaskFromLogits(
  logits: ArrayLike<number>,
  modelSize: Size,
  predictedIou: number,
  point: Point,
  crop: BoxXyxy,
  image: Size,
  params: AmgParams,
): AmgMask | null {
  if (!(predictedIou > params.predIouThresh)) return null;
  const stability = stabilityScore(logits, 0, params.stabilityScoreOffset);
  if (!(stability >= params.stabilityScoreThresh)) return null;
  const cw = crop[2] - crop[0];
  const ch = crop[3] - crop[1];
  const m = maskFromLowResLogits(logits, modelSize, { width: cw, height: ch });
  if (m.area === 0) return null;
  const local = maskBoxXyxy(m.bbox, m.area);
  const box: BoxXyxy = [local[0] + crop[0], local[1] + crop[1], local[2] + crop[0], local[3] + crop[1]];
  if (isBoxNearCropEdge(box, crop, image)) return null;
  let full = m.mask;
  if (cw !== image.width || ch !== image.height) {
    full = new Uint8Array(image.width * image.height);
    for (let y = 0; y < ch; y++) full.set(m.mask.subarray(y * cw, (y + 1) * cw), (y + crop[1]) * image.width + crop[0]);
  }
  return {
    rle: rleFromMask(full, image.width, image.height),
    area: m.area,
    box,
    predictedIou,
    stabilityScore: stability,
    point: { x: point.x + crop[0], y: point.y + crop[1] },
    cropBox: crop,
  };
}

/**
 * {@link amgMaskFromLogits} for a batched decoder's output: one prompt's 256x256 low-res logits,
 * resized to the model-space size `modelSize` as the decoder graph does (only when the predicted IoU
 * passes, the first filter).
 */
export function amgMaskFromLowRes(
  lowRes: ArrayLike<number>,
  modelSize: Size,
  inputSize: number,
  predictedIou: number,
  point: Point,
  crop: BoxXyxy,
  image: Size,
  params: AmgParams,
): AmgMask | null {
  if (!(predictedIou > params.predIouThresh)) return null;
  return amgMaskFromLogits(modelLogitsFromLowRes(lowRes, modelSize, inputSize), modelSize, predictedIou, point, crop, image, params);
}

/**
 * SAM's `postprocess_small_regions`: fills small holes and removes small islands of every mask, then
 * NMS preferring masks that did not change. Masks that changed get a new RLE, area and box.
 */
export function postprocessSmallRegions(masks: readonly AmgMask[], minArea: number, nmsThresh: number): AmgMask[] {
  if (masks.length === 0 || minArea <= 0) return [...masks];
  const cleaned: AmgMask[] = [];
  const unchanged: number[] = [];
  for (const m of masks) {
    const [h, w] = m.rle.size;
    const a = removeSmallRegions(maskFromRle(m.rle), w, h, minArea, 'holes');
    const b = removeSmallRegions(a.mask, w, h, minArea, 'islands');
    const same = !a.changed && !b.changed;
    unchanged.push(same ? 1 : 0);
    if (same) cleaned.push(m);
    else {
      const box = maskBoxFromMask(b.mask, w, h);
      cleaned.push({ ...m, rle: rleFromMask(b.mask, w, h), area: box.area, box: box.box });
    }
  }
  return nms(
    cleaned.map((m) => m.box),
    unchanged,
    nmsThresh,
  )
    .map((i) => cleaned[i]!)
    .filter((m) => m.area > 0);
}

function maskBoxFromMask(mask: Uint8Array, w: number, h: number): { box: BoxXyxy; area: number } {
  let area = 0;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      area++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return area ? { box: [x0, y0, x1, y1], area } : { box: [0, 0, 0, 0], area: 0 };
}

/** Decodes single foreground points on one crop's embedding into kept masks (or null). */
export interface AmgCropDecoder {
  /** `point` in the crop's px */
  maskAtPoint(point: Point): Promise<AmgMask | null>;
  /**
   * Several points in one decoder call (a batched decoder), each point's kept mask or null, in the
   * order given; when present, {@link generateMasks} hands it `pointsPerBatch` points at a time.
   */
  masksAtPoints?(points: Point[]): Promise<(AmgMask | null)[]>;
  /** frees the crop's embedding (optional) */
  release?(): void;
}

/** Decoder output for one point prompt: mask logits at `modelSize` (the crop's longest side scaled to the model input). */
export type PointLogitsDecoder = (point: Point) => Promise<{ logits: ArrayLike<number>; modelSize: Size; predictedIou: number }>;

/** An {@link AmgCropDecoder} from a decoder that returns logits (filters applied where the logits are). */
export function amgPointDecoder(
  decode: PointLogitsDecoder,
  crop: BoxXyxy,
  image: Size,
  params: AmgParams,
  release?: () => void,
): AmgCropDecoder {
  const d: AmgCropDecoder = {
    async maskAtPoint(point) {
      const r = await decode(point);
      return amgMaskFromLogits(r.logits, r.modelSize, r.predictedIou, point, crop, image, params);
    },
  };
  if (release) d.release = release;
  return d;
}

export interface AmgProgress {
  /** points decoded so far and in all */
  done: number;
  total: number;
  /** masks kept so far (before NMS across crops) */
  kept: number;
}

/**
 * Runs the automatic mask generator on an image. `cropDecoder` embeds one crop (image px rectangle;
 * the whole image for layer 0) and returns its point decoder (see {@link amgPointDecoder}). `shouldStop` is polled between points
 * (cancel); when it returns true the masks found so far are dropped and null is returned.
 */
export async function generateMasks(
  image: Size,
  params: AmgParams,
  cropDecoder: (crop: PixelRect) => Promise<AmgCropDecoder>,
  onProgress: (p: AmgProgress) => void = () => undefined,
  shouldStop: () => boolean = () => false,
  pointsPerBatch = DEFAULT_POINTS_PER_BATCH,
): Promise<AmgMask[] | null> {
  checkAmgParams(params);
  const crops = cropBoxes(image, params.cropNLayers, params.cropOverlapRatio);
  const plan = crops.map((c) => ({
    ...c,
    points: cropPoints(params, c.layer, { width: c.box[2] - c.box[0], height: c.box[3] - c.box[1] }),
  }));
  const total = plan.reduce((s, c) => s + c.points.length, 0);
  let done = 0;
  let kept = 0;
  const all: AmgMask[] = [];
  const cropOf: number[] = [];
  for (const [ci, c] of plan.entries()) {
    if (shouldStop()) return null;
    const dec = await cropDecoder({ x0: c.box[0], y0: c.box[1], x1: c.box[2], y1: c.box[3] });
    const inCrop: AmgMask[] = [];
    try {
      const batch = dec.masksAtPoints ? Math.max(1, pointsPerBatch) : 1;
      for (let i = 0; i < c.points.length; i += batch) {
        if (shouldStop()) return null;
        const points = c.points.slice(i, i + batch);
        const masks = dec.masksAtPoints ? await dec.masksAtPoints(points) : [await dec.maskAtPoint(points[0]!)];
        if (shouldStop()) return null;
        for (const m of masks) if (m) inCrop.push(m);
        done += points.length;
        onProgress({ done, total, kept: kept + inCrop.length });
      }
    } finally {
      dec.release?.();
    }
    const keep = nms(
      inCrop.map((m) => m.box),
      inCrop.map((m) => m.predictedIou),
      params.boxNmsThresh,
    );
    for (const i of keep) {
      all.push(inCrop[i]!);
      cropOf.push(ci);
    }
    kept = all.length;
  }
  let out = all;
  if (plan.length > 1) {
    // across crops the mask from the smaller crop wins (SAM scores by 1 / crop area)
    const scores = all.map((_, i) => {
      const b = plan[cropOf[i]!]!.box;
      return 1 / ((b[2] - b[0]) * (b[3] - b[1]));
    });
    out = nms(
      all.map((m) => m.box),
      scores,
      params.cropNmsThresh,
    ).map((i) => all[i]!);
  }
  if (params.minMaskRegionArea > 0)
    out = postprocessSmallRegions(out, params.minMaskRegionArea, Math.max(params.boxNmsThresh, params.cropNmsThresh));
  return out;
}

/** Throws a RangeError naming the first parameter out of its range. */
export function checkAmgParams(p: AmgParams): void {
  const bad = (name: string, v: number, range: string) => {
    throw new RangeError(`${name} = ${v}: expected ${range}`);
  };
  if (!Number.isInteger(p.pointsPerSide) || p.pointsPerSide < 1 || p.pointsPerSide > 128)
    bad('points_per_side', p.pointsPerSide, 'an integer in 1..128');
  for (const [k, v] of [
    ['pred_iou_thresh', p.predIouThresh],
    ['stability_score_thresh', p.stabilityScoreThresh],
    ['box_nms_thresh', p.boxNmsThresh],
    ['crop_nms_thresh', p.cropNmsThresh],
    ['crop_overlap_ratio', p.cropOverlapRatio],
  ] as const) {
    if (!(v >= 0 && v <= 1)) bad(k, v, 'a number in 0..1');
  }
  if (!(p.stabilityScoreOffset >= 0)) bad('stability_score_offset', p.stabilityScoreOffset, 'a number >= 0');
  if (!Number.isInteger(p.cropNLayers) || p.cropNLayers < 0 || p.cropNLayers > 3) bad('crop_n_layers', p.cropNLayers, 'an integer in 0..3');
  if (!(p.cropNPointsDownscaleFactor >= 1)) bad('crop_n_points_downscale_factor', p.cropNPointsDownscaleFactor, 'a number >= 1');
  if (!(p.minMaskRegionArea >= 0)) bad('min_mask_region_area', p.minMaskRegionArea, 'a number >= 0');
}
