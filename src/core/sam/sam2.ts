/**
 * SAM 2 / 2.1 image predictor as the common ONNX exports lay it out (issue 15, first part): the
 * preprocessing of SAM 2's own transforms (the image as 0–1 values resized to the model's square
 * input with antialiased bilinear filtering, then ImageNet normalization), its prompt encoding
 * (points scaled by the square's own factors per axis, a box as two corner points placed before the
 * clicks; the exported decoder pads itself), and its post-processing (the 256x256 low-res logits
 * resized straight to the image). Pure: no runtime, no DOM.
 */
import { AppError } from '../errors.ts';
import type { Size } from '../geometry.ts';
import { maskFromLowResLogits } from './postprocess.ts';
import {
  hasPrompt,
  LABEL_BACKGROUND,
  LABEL_BOX_BOTTOM_RIGHT,
  LABEL_BOX_TOP_LEFT,
  LABEL_FOREGROUND,
  normalizeBox,
  packPromptEntries,
  type FeedArray,
  type Prompts,
} from './prompts.ts';

/** SAM 2's `Normalize`: ImageNet mean and std on 0–1 values. */
export const SAM2_MEAN = [0.485, 0.456, 0.406] as const;
export const SAM2_STD = [0.229, 0.224, 0.225] as const;
export const SAM2_INPUT_SIZE = 1024;

/**
 * 1-D weights of antialiased bilinear resampling (align_corners false), as torch's
 * `_upsample_bilinear2d_aa` (and PIL) compute them: the triangle filter widens with the scale when
 * shrinking, so every source sample contributes; weights are normalized per output sample.
 */
function aaTaps(inSize: number, outSize: number): { start: Int32Array; count: Int32Array; w: Float64Array; taps: number } {
  const scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const w = new Float64Array(outSize * taps);
  for (let o = 0; o < outSize; o++) {
    const center = scale * (o + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.min(Math.trunc(center + support + 0.5), inSize) - xmin, taps);
    let total = 0;
    for (let j = 0; j < n; j++) {
      const t = Math.abs((j + xmin - center + 0.5) * invScale);
      const v = t < 1 ? 1 - t : 0;
      w[o * taps + j] = v;
      total += v;
    }
    if (total > 0) for (let j = 0; j < n; j++) w[o * taps + j]! /= total;
    start[o] = xmin;
    count[o] = n;
  }
  return { start, count, w, taps };
}

/**
 * The SAM 2 encoder input from 8-bit RGBA (or RGB, `channels` 3): [1, 3, S, S] planar float32, the
 * whole image resized to S x S (its aspect ratio is not kept, as SAM 2's transforms do), values
 * `(v / 255 - mean) / std` per channel.
 */
export function sam2EncoderInput(pixels: ArrayLike<number>, image: Size, inputSize = SAM2_INPUT_SIZE, channels = 4): Float32Array {
  const { width: sw, height: sh } = image;
  if (pixels.length < sw * sh * channels) throw new RangeError(`pixel buffer too small for ${sw}x${sh}x${channels}`);
  const hx = aaTaps(sw, inputSize);
  const vy = aaTaps(sh, inputSize);
  const plane = inputSize * inputSize;
  const out = new Float32Array(3 * plane);
  // horizontal pass in float (no rounding between passes: the tensor is float), then vertical
  const tmp = new Float64Array(sh * inputSize * 3);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < inputSize; x++) {
      const s = hx.start[x]!;
      const n = hx.count[x]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < n; k++) {
        const wk = hx.w[x * hx.taps + k]!;
        const i = (y * sw + s + k) * channels;
        r += pixels[i]! * wk;
        g += pixels[i + 1]! * wk;
        b += pixels[i + 2]! * wk;
      }
      const o = (y * inputSize + x) * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  for (let y = 0; y < inputSize; y++) {
    const s = vy.start[y]!;
    const n = vy.count[y]!;
    for (let x = 0; x < inputSize; x++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tmp[((s + k) * inputSize + x) * 3 + c]! * vy.w[y * vy.taps + k]!;
        out[c * plane + y * inputSize + x] = (acc / 255 - SAM2_MEAN[c]!) / SAM2_STD[c]!;
      }
    }
  }
  return out;
}

/**
 * One float plane (row-major `src.width` x `src.height`) resized to `out` with the same antialiased
 * bilinear filtering (torch's `interpolate(..., mode="bilinear", antialias=True)`, align_corners
 * false): what SAM 2's video predictor does to a mask given on a frame before thresholding it at 0.5.
 */
export function sam2ResizePlane(plane: ArrayLike<number>, src: Size, out: Size): Float32Array {
  if (plane.length < src.width * src.height) throw new RangeError(`plane too small for ${src.width}x${src.height}`);
  const hx = aaTaps(src.width, out.width);
  const vy = aaTaps(src.height, out.height);
  const tmp = new Float64Array(src.height * out.width);
  for (let y = 0; y < src.height; y++)
    for (let x = 0; x < out.width; x++) {
      let acc = 0;
      for (let k = 0; k < hx.count[x]!; k++) acc += plane[y * src.width + hx.start[x]! + k]! * hx.w[x * hx.taps + k]!;
      tmp[y * out.width + x] = acc;
    }
  const res = new Float32Array(out.width * out.height);
  for (let y = 0; y < out.height; y++)
    for (let x = 0; x < out.width; x++) {
      let acc = 0;
      for (let k = 0; k < vy.count[y]!; k++) acc += tmp[(vy.start[y]! + k) * out.width + x]! * vy.w[y * vy.taps + k]!;
      res[y * out.width + x] = acc;
    }
  return res;
}

/** A point in image px -> the SAM 2 model's square input (each axis by its own factor). */
export function sam2ModelPoint(p: { x: number; y: number }, image: Size, inputSize = SAM2_INPUT_SIZE): { x: number; y: number } {
  return { x: (p.x / image.width) * inputSize, y: (p.y / image.height) * inputSize };
}

export type Sam2DecoderFeeds = Record<'point_coords' | 'point_labels' | 'mask_input' | 'has_mask_input', FeedArray> & {
  /** for the exports that take it: [H, W] of the image */
  orig_im_size: FeedArray;
};

/**
 * The SAM 2 decoder's prompt inputs: the box (if any) as corners labelled 2 and 3 first, then the
 * clicks (1 foreground, 0 background), in the square model space; no padding point (the exported
 * prompt encoder adds its own). `maskInput`: previous low-res logits [256 x 256].
 */
export function sam2DecoderFeeds(
  prompts: Prompts,
  image: Size,
  options: { inputSize?: number; maskInput?: Float32Array | null } = {},
): Sam2DecoderFeeds {
  if (!hasPrompt(prompts)) throw new RangeError('no prompt: give at least one point or a box');
  const inputSize = options.inputSize ?? SAM2_INPUT_SIZE;
  const entries: [number, number, number][] = [];
  if (prompts.box) {
    const b = normalizeBox(prompts.box);
    const a = sam2ModelPoint({ x: b.x0, y: b.y0 }, image, inputSize);
    const c = sam2ModelPoint({ x: b.x1, y: b.y1 }, image, inputSize);
    entries.push([a.x, a.y, LABEL_BOX_TOP_LEFT], [c.x, c.y, LABEL_BOX_BOTTOM_RIGHT]);
  }
  for (const p of prompts.points) {
    const m = sam2ModelPoint(p, image, inputSize);
    entries.push([m.x, m.y, p.positive ? LABEL_FOREGROUND : LABEL_BACKGROUND]);
  }
  const { coords, labels } = packPromptEntries(entries);
  const maskInput = options.maskInput ?? null;
  if (maskInput && maskInput.length !== 256 * 256) throw new RangeError(`mask_input has ${maskInput.length} values, expected 256x256`);
  return {
    point_coords: { data: coords, dims: [1, entries.length, 2] },
    point_labels: { data: labels, dims: [1, entries.length] },
    mask_input: { data: maskInput ?? new Float32Array(256 * 256), dims: [1, 1, 256, 256] },
    has_mask_input: { data: new Float32Array([maskInput ? 1 : 0]), dims: [1] },
    orig_im_size: { data: new Float32Array([image.height, image.width]), dims: [2] },
  };
}

/**
 * The prompt feeds a given SAM 2 export takes, by its input names: `orig_im_size` only where the
 * export has it (the embedding tensors are the caller's).
 */
export function sam2PromptFeeds(
  inputNames: readonly string[],
  prompts: Prompts,
  image: Size,
  options: { inputSize?: number; maskInput?: Float32Array | null } = {},
): Record<string, FeedArray> {
  const f = sam2DecoderFeeds(prompts, image, options);
  const out: Record<string, FeedArray> = {};
  for (const name of inputNames) if (name in f) out[name] = f[name as keyof Sam2DecoderFeeds];
  return out;
}

/**
 * One of the decoder's candidates (`low_res_masks` [1, K, 256, 256], plane `index`) as a binary mask
 * of the image: the logits resized straight to the image (bilinear, align_corners false) and
 * thresholded at 0, as SAM 2's `postprocess_masks`.
 */
export function sam2MaskFromLowRes(
  lowRes: Float32Array,
  index: number,
  image: Size,
): { mask: Uint8Array; area: number; bbox: [number, number, number, number] } {
  const plane = 256 * 256;
  if (lowRes.length < (index + 1) * plane) throw new RangeError(`low_res_masks has no candidate ${index}`);
  return maskFromLowResLogits(lowRes.subarray(index * plane, (index + 1) * plane), { width: 256, height: 256 }, image);
}

/**
 * The decoder output holding the candidates' 256x256 low-res logits: `low_res_masks` where the export
 * has it, else `masks` (samexporter's export returns the low-res logits as `masks`).
 */
export function sam2LowResOutput(outputNames: readonly string[]): 'low_res_masks' | 'masks' {
  return outputNames.includes('low_res_masks') ? 'low_res_masks' : 'masks';
}

/** Checks a low-res output's shape [1, K, 256, 256] against K predicted IoUs; the message names the file. */
export function checkSam2LowRes(dims: readonly number[], name: string, candidates: number, file: string): void {
  if (dims.length === 4 && dims[1] === candidates && dims[2] === 256 && dims[3] === 256 && candidates > 0) return;
  throw new AppError(
    'MODEL_SIGNATURE',
    `${file} returned ${name} of shape [${dims.join(', ')}] with ${candidates} IoU predictions; a SAM 2 decoder gives [1, K, 256, 256] low-res masks (as low_res_masks, or as masks when it has no low_res_masks) and K IoUs.`,
    'Use a SAM 2 / 2.1 decoder export with three 256x256 low-res masks.',
  );
}
