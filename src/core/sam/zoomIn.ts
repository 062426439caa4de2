/**
 * Zoom-in refinement (RITM's and FocalClick's "zoom-in"): after the first mask of an object, a crop
 * around it is encoded on its own, so the following clicks are decoded at a higher resolution. The
 * crop is the mask's box together with the clicks, grown by a margin and to a minimum side, clipped
 * to the image. Prompts move into the crop's frame, the previous low-res logits are resampled into
 * it as `mask_input`, and the crop's mask is pasted back at full resolution.
 */
import { resizeLongestSideShape, type Size } from '../geometry.ts';
import type { Prompts } from './prompts.ts';
import { roiForBox, type PixelRect } from './roi.ts';

export interface ZoomInOptions {
  /** the crop grows by this share of the object's box on each side */
  margin: number;
  /** smallest crop side, image px (a tiny crop blown up to 1024 px is far from SAM's training) */
  minSide: number;
  /** no zoom-in when the crop's longest side would be at least this share of the image's */
  maxShare: number;
  /** zoom in for the clicks after this many (1: from the second click on) */
  afterClicks: number;
  /**
   * Which previous logits a decode on a crop gets as `mask_input`: any (resampled from another
   * frame when needed), only those decoded on the same crop, or none.
   */
  cropFeedback: 'any' | 'same-frame' | 'none';
}

/**
 * The crop's settings, tried with the click robot on COCO-MVal (BENCHMARKS.md, "Clicks per mask"): none of the
 * margins, minimum sides, size limits and feedback modes tried lowered NoC@90 with the bundled model, so zoom-in is
 * off by default in the app and the evaluation; these are the settings it uses when turned on.
 */
export const DEFAULT_ZOOM_IN: ZoomInOptions = { margin: 0.4, minSide: 256, maxShare: 0.75, afterClicks: 1, cropFeedback: 'any' };

/**
 * The crop to encode for refining a mask: its box [x, y, w, h] (image px) together with the clicks,
 * grown by `margin` and to `minSide`, clipped to the image; null when the crop would be so large
 * that encoding it gains little over the whole image, or when there is nothing to crop around.
 */
export function zoomInCrop(
  maskBox: readonly [number, number, number, number] | null,
  prompts: Prompts,
  image: Size,
  options: Partial<ZoomInOptions> = {},
): PixelRect | null {
  const o = { ...DEFAULT_ZOOM_IN, ...options };
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  const add = (ax: number, ay: number, bx: number, by: number) => {
    x0 = Math.min(x0, ax);
    y0 = Math.min(y0, ay);
    x1 = Math.max(x1, bx);
    y1 = Math.max(y1, by);
  };
  if (maskBox && maskBox[2] > 0 && maskBox[3] > 0) add(maskBox[0], maskBox[1], maskBox[0] + maskBox[2], maskBox[1] + maskBox[3]);
  // negative clicks say where the object is not: they do not widen the crop
  for (const p of prompts.points) if (p.positive) add(p.x, p.y, p.x, p.y);
  if (prompts.box)
    add(
      Math.min(prompts.box.x0, prompts.box.x1),
      Math.min(prompts.box.y0, prompts.box.y1),
      Math.max(prompts.box.x0, prompts.box.x1),
      Math.max(prompts.box.y0, prompts.box.y1),
    );
  if (!(x1 >= x0 && y1 >= y0)) return null;
  const roi = roiForBox([x0, y0, x1 - x0, y1 - y0], image, o.margin, o.minSide);
  const side = Math.max(roi.x1 - roi.x0, roi.y1 - roi.y0);
  if (side >= o.maxShare * Math.max(image.width, image.height)) return null;
  return roi;
}

/** The whole image as a frame. */
export function wholeImage(image: Size): PixelRect {
  return { x0: 0, y0: 0, x1: image.width, y1: image.height };
}

export function rectSize(r: PixelRect): Size {
  return { width: r.x1 - r.x0, height: r.y1 - r.y0 };
}

/** Whether an image point (px) lies inside a crop. */
export function cropContains(roi: PixelRect, p: { x: number; y: number }): boolean {
  return p.x >= roi.x0 && p.x < roi.x1 && p.y >= roi.y0 && p.y < roi.y1;
}

/** Whether every positive click lies inside the crop (a click outside calls for a new crop). */
export function cropCoversPrompts(roi: PixelRect, prompts: Prompts): boolean {
  return prompts.points.every((p) => !p.positive || cropContains(roi, p));
}

/** Prompts (image px) moved into a crop's frame; negative clicks outside it are dropped (SAM never sees them). */
export function promptsInCrop(prompts: Prompts, roi: PixelRect): Prompts {
  return {
    points: prompts.points.filter((p) => p.positive || cropContains(roi, p)).map((p) => ({ ...p, x: p.x - roi.x0, y: p.y - roi.y0 })),
    box: prompts.box
      ? { x0: prompts.box.x0 - roi.x0, y0: prompts.box.y0 - roi.y0, x1: prompts.box.x1 - roi.x0, y1: prompts.box.y1 - roi.y0 }
      : null,
  };
}

/** Logit for "certainly background", where the source frame knows nothing. */
const OUTSIDE_LOGIT = -20;
const LOW_RES = 256;

/**
 * Resamples low-res logits [256 x 256] from one frame (the whole image or a crop, image px) to
 * another, bilinearly: each 256 grid covers its frame's model square (longest side to
 * `inputSize`, padding at the bottom and right), so a cell of the target frame is mapped to image
 * px and from there into the source's grid. Where the source frame has no content (outside its
 * crop or in its padding) the value is {@link OUTSIDE_LOGIT}.
 */
export function resampleLowResLogits(logits: Float32Array, from: PixelRect, to: PixelRect, inputSize = 1024): Float32Array {
  if (logits.length !== LOW_RES * LOW_RES) throw new RangeError(`low-res logits have ${logits.length} values, expected 256x256`);
  const fs = rectSize(from);
  const ts = rectSize(to);
  const fm = resizeLongestSideShape(fs, inputSize);
  const tm = resizeLongestSideShape(ts, inputSize);
  // model px of a frame -> image px: x_img = x0 + m * (w / mw)
  const fx = fm.width / fs.width;
  const fy = fm.height / fs.height;
  const tx = ts.width / tm.width;
  const ty = ts.height / tm.height;
  const cell = inputSize / LOW_RES;
  // the source grid's cells that hold content
  const fmaxX = fm.width / cell - 0.5;
  const fmaxY = fm.height / cell - 0.5;
  const out = new Float32Array(LOW_RES * LOW_RES);
  const colSrc = new Float64Array(LOW_RES);
  for (let u = 0; u < LOW_RES; u++) colSrc[u] = ((to.x0 + (u + 0.5) * cell * tx - from.x0) * fx) / cell - 0.5;
  for (let v = 0; v < LOW_RES; v++) {
    const sy = ((to.y0 + (v + 0.5) * cell * ty - from.y0) * fy) / cell - 0.5;
    const row = v * LOW_RES;
    if (sy < -0.5 || sy > fmaxY + 0.5) {
      out.fill(OUTSIDE_LOGIT, row, row + LOW_RES);
      continue;
    }
    const cy = Math.min(Math.max(sy, 0), Math.max(0, Math.floor(fmaxY)));
    const y0 = Math.floor(cy);
    const y1 = Math.min(y0 + 1, LOW_RES - 1);
    const wy = cy - y0;
    for (let u = 0; u < LOW_RES; u++) {
      const sx = colSrc[u]!;
      if (sx < -0.5 || sx > fmaxX + 0.5) {
        out[row + u] = OUTSIDE_LOGIT;
        continue;
      }
      const cx = Math.min(Math.max(sx, 0), Math.max(0, Math.floor(fmaxX)));
      const x0 = Math.floor(cx);
      const x1 = Math.min(x0 + 1, LOW_RES - 1);
      const wx = cx - x0;
      const a = logits[y0 * LOW_RES + x0]! * (1 - wx) + logits[y0 * LOW_RES + x1]! * wx;
      const b = logits[y1 * LOW_RES + x0]! * (1 - wx) + logits[y1 * LOW_RES + x1]! * wx;
      out[row + u] = a * (1 - wy) + b * wy;
    }
  }
  return out;
}

function sameRect(a: PixelRect, b: PixelRect): boolean {
  return a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1;
}

/**
 * The `mask_input` for a decode in `frame` (image px) from the previous decode's low-res logits
 * and their frame: as they are in the same frame, resampled from another one, or none, as
 * `cropFeedback` says for decodes on a crop (`whole`: the image's frame, which always takes them).
 * SAM 2 (`family` 'sam2') maps each frame onto its square model space, which the resampling (made
 * for SAM 1's padded longest-side space) does not know: its logits go back on their own frame only.
 */
export function feedbackForFrame(
  prev: { logits: Float32Array; frame: PixelRect } | null,
  frame: PixelRect,
  whole: PixelRect,
  cropFeedback: ZoomInOptions['cropFeedback'] = 'any',
  inputSize = 1024,
  family: 'sam' | 'sam2' = 'sam',
): Float32Array | null {
  if (!prev) return null;
  const same = sameRect(prev.frame, frame);
  if (family === 'sam2') return same ? prev.logits : null;
  if (!sameRect(frame, whole) && (cropFeedback === 'none' || (cropFeedback === 'same-frame' && !same))) return null;
  return same ? prev.logits : resampleLowResLogits(prev.logits, prev.frame, frame, inputSize);
}
