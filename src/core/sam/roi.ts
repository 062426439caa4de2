import type { Size } from '../geometry.ts';
import type { BoxPrompt } from './prompts.ts';

/** An integer pixel rectangle [x0, x1) x [y0, y1) of an image. */
export interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export const DEFAULT_ROI_MARGIN = 0.15;
/** Automatic mode crops boxes whose longest side is below this share of the image's longest side. */
export const AUTO_CROP_MAX_SHARE = 0.4;

/**
 * The region to encode for a box prompt in ROI-crop mode: the box grown by `margin` of its width and
 * height on each side, clipped to the image, snapped outwards to whole pixels. `box` is [x, y, w, h].
 */
export function roiForBox(
  box: readonly [number, number, number, number],
  image: Size,
  margin = DEFAULT_ROI_MARGIN,
  minSide = 0,
): PixelRect {
  const [x, y, w, h] = box;
  // the crop is grown (about the box's centre) to at least `minSide`: a tiny crop blown up to the
  // model's 1024 px is far from what SAM was trained on
  const mx = Math.max(w * margin, (minSide - w) / 2);
  const my = Math.max(h * margin, (minSide - h) / 2);
  const x0 = Math.max(0, Math.floor(x - mx));
  const y0 = Math.max(0, Math.floor(y - my));
  const x1 = Math.min(image.width, Math.ceil(x + w + mx));
  const y1 = Math.min(image.height, Math.ceil(y + h + my));
  return { x0, y0, x1: Math.max(x1, x0 + 1), y1: Math.max(y1, y0 + 1) };
}

export type BoxMode = 'box' | 'box-crop' | 'auto-box';

export interface BoxPlanOptions {
  margin: number;
  /** smallest crop side (px) in crop modes */
  minCropSide: number;
  /** auto-box crops boxes whose longest side is below this share of the image's */
  autoMaxShare: number;
}

/**
 * Defaults measured on coco-val2017-tiny (BENCHMARKS.md): a crop of at least 256 px is what makes the
 * ROI crop better than the whole image for small and medium objects.
 */
export const DEFAULT_MIN_CROP_SIDE = 256;
export const DEFAULT_BOX_PLAN: BoxPlanOptions = {
  margin: DEFAULT_ROI_MARGIN,
  minCropSide: DEFAULT_MIN_CROP_SIDE,
  autoMaxShare: AUTO_CROP_MAX_SHARE,
};

/**
 * How one box becomes a SAM prompt: on the whole image's embedding (`roi` null, box in image px)
 * or on an encoded crop (box in the crop's px), by mode.
 */
export function boxPromptPlan(
  bbox: readonly [number, number, number, number],
  image: Size,
  mode: BoxMode,
  options: Partial<BoxPlanOptions> = {},
): { roi: PixelRect | null; box: BoxPrompt } {
  const o = { ...DEFAULT_BOX_PLAN, ...options };
  const crop = mode === 'box-crop' || (mode === 'auto-box' && shouldCrop(bbox, image, o.autoMaxShare));
  if (!crop) return { roi: null, box: { x0: bbox[0], y0: bbox[1], x1: bbox[0] + bbox[2], y1: bbox[1] + bbox[3] } };
  const roi = roiForBox(bbox, image, o.margin, o.minCropSide);
  return { roi, box: boxInRoi(bbox, roi) };
}

/** The box prompt in the crop's coordinates. */
export function boxInRoi(box: readonly [number, number, number, number], roi: PixelRect): BoxPrompt {
  const [x, y, w, h] = box;
  return { x0: x - roi.x0, y0: y - roi.y0, x1: x + w - roi.x0, y1: y + h - roi.y0 };
}

/** Whether automatic mode crops this box (small relative to the image). */
export function shouldCrop(box: readonly [number, number, number, number], image: Size, maxShare = AUTO_CROP_MAX_SHARE): boolean {
  return Math.max(box[2], box[3]) < maxShare * Math.max(image.width, image.height);
}

/** Copies the RGBA pixels of `roi` out of an image. */
export function cropRgba(rgba: ArrayLike<number>, image: Size, roi: PixelRect): Uint8Array {
  const w = roi.x1 - roi.x0;
  const h = roi.y1 - roi.y0;
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const src = ((roi.y0 + y) * image.width + roi.x0) * 4;
    for (let i = 0; i < w * 4; i++) out[y * w * 4 + i] = rgba[src + i]!;
  }
  return out;
}

/** Pastes a crop's mask into a full-size mask (row-major 0/1) at the crop's place. */
export function pasteMask(crop: ArrayLike<number>, roi: PixelRect, image: Size): Uint8Array {
  const out = new Uint8Array(image.width * image.height);
  const w = roi.x1 - roi.x0;
  for (let y = roi.y0; y < roi.y1; y++) {
    for (let x = roi.x0; x < roi.x1; x++) out[y * image.width + x] = crop[(y - roi.y0) * w + (x - roi.x0)] ? 1 : 0;
  }
  return out;
}
