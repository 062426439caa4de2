import { imageToModelPoint, resizeLongestSideShape, type Size } from '../geometry.ts';

/** A click in image px; `positive` = foreground. */
export interface PointPrompt {
  x: number;
  y: number;
  positive: boolean;
}

/** A box in image px, corners in any order. */
export interface BoxPrompt {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Everything the user gave for one mask. */
export interface Prompts {
  points: PointPrompt[];
  box: BoxPrompt | null;
}

export const EMPTY_PROMPTS: Prompts = { points: [], box: null };

/** SAM's point label values. */
export const LABEL_BACKGROUND = 0;
export const LABEL_FOREGROUND = 1;
export const LABEL_BOX_TOP_LEFT = 2;
export const LABEL_BOX_BOTTOM_RIGHT = 3;
export const LABEL_PADDING = -1;

/** The prompt part of the SAM ONNX decoder feeds: `point_coords` [1,N,2] in model px, `point_labels` [1,N]. */
export interface DecoderPromptFeeds {
  coords: Float32Array;
  labels: Float32Array;
  count: number;
}

export function hasPrompt(p: Prompts): boolean {
  return p.points.length > 0 || p.box !== null;
}

/** Box with x0 <= x1 and y0 <= y1. */
export function normalizeBox(b: BoxPrompt): BoxPrompt {
  return { x0: Math.min(b.x0, b.x1), y0: Math.min(b.y0, b.y1), x1: Math.max(b.x0, b.x1), y1: Math.max(b.y0, b.y1) };
}

/**
 * Encodes prompts (image px) for the SAM ONNX decoder, as the reference predictor does: points first,
 * then the box as two corners labelled 2 and 3; without a box, one padding point (0,0) labelled -1.
 */
export function decoderPromptFeeds(prompts: Prompts, image: Size, inputSize = 1024): DecoderPromptFeeds {
  if (!hasPrompt(prompts)) throw new RangeError('no prompt: give at least one point or a box');
  const entries: [number, number, number][] = [];
  for (const p of prompts.points) {
    const m = imageToModelPoint(p, image, inputSize);
    entries.push([m.x, m.y, p.positive ? LABEL_FOREGROUND : LABEL_BACKGROUND]);
  }
  if (prompts.box) {
    const b = normalizeBox(prompts.box);
    const a = imageToModelPoint({ x: b.x0, y: b.y0 }, image, inputSize);
    const c = imageToModelPoint({ x: b.x1, y: b.y1 }, image, inputSize);
    entries.push([a.x, a.y, LABEL_BOX_TOP_LEFT], [c.x, c.y, LABEL_BOX_BOTTOM_RIGHT]);
  } else {
    entries.push([0, 0, LABEL_PADDING]);
  }
  return packPromptEntries(entries);
}

/** Prompt points [x, y, label] in model px as the decoders' `point_coords` / `point_labels` data. */
export function packPromptEntries(entries: readonly (readonly [number, number, number])[]): DecoderPromptFeeds {
  const coords = new Float32Array(entries.length * 2);
  const labels = new Float32Array(entries.length);
  entries.forEach(([x, y, l], i) => {
    coords[2 * i] = x;
    coords[2 * i + 1] = y;
    labels[i] = l;
  });
  return { coords, labels, count: entries.length };
}

/**
 * Where a mask came from, for the annotation record: `points`, `box`, `box+points`, `brush`, or a
 * combination joined by `+` (e.g. `points+brush` for a SAM mask corrected with strokes).
 */
export function promptSource(p: Prompts, strokes = 0): string {
  const parts: string[] = [];
  if (p.box && p.points.length > 0) parts.push('box+points');
  else if (p.box) parts.push('box');
  else if (p.points.length > 0) parts.push('points');
  if (strokes > 0 || parts.length === 0) parts.push('brush');
  return parts.join('+');
}

/** One decoder input as plain data: the runtime wraps it in its own tensor type. */
export interface FeedArray {
  data: Float32Array;
  dims: number[];
}

export type SamDecoderFeeds = Record<'point_coords' | 'point_labels' | 'mask_input' | 'has_mask_input' | 'orig_im_size', FeedArray>;

/**
 * Every input of the SAM ONNX decoder except the embedding: the prompts (image px) in model space,
 * the previous low-res logits [1,1,256,256] as `mask_input` (or zeros, with `has_mask_input` 0), and
 * the size the decoder resizes its masks to (`orig_im_size` = [H, W]): `outputSize` (the image's size
 * for the model's own final resize; the model-space size, the default, when the caller resizes).
 */
export function samDecoderFeeds(
  prompts: Prompts,
  image: Size,
  options: { inputSize?: number; maskInput?: Float32Array | null; outputSize?: Size } = {},
): SamDecoderFeeds {
  const inputSize = options.inputSize ?? 1024;
  const f = decoderPromptFeeds(prompts, image, inputSize);
  const out = options.outputSize ?? resizeLongestSideShape(image, inputSize);
  const maskInput = options.maskInput ?? null;
  if (maskInput && maskInput.length !== 256 * 256) throw new RangeError(`mask_input has ${maskInput.length} values, expected 256x256`);
  return {
    point_coords: { data: f.coords, dims: [1, f.count, 2] },
    point_labels: { data: f.labels, dims: [1, f.count] },
    mask_input: { data: maskInput ?? new Float32Array(256 * 256), dims: [1, 1, 256, 256] },
    has_mask_input: { data: new Float32Array([maskInput ? 1 : 0]), dims: [1] },
    orig_im_size: { data: new Float32Array([out.height, out.width]), dims: [2] },
  };
}

/**
 * The prompt feeds of a batched decoder (src/node/decoderBatched.ts) for several prompts on one
 * embedding: `point_coords` [B, N, 2] and `point_labels` [B, N], each row as {@link decoderPromptFeeds}
 * encodes it, with no mask input. Every prompt must give the decoder the same number of points N
 * (its mask selection reads N): group them with {@link promptBatches}.
 */
export function samBatchFeeds(
  prompts: readonly Prompts[],
  image: Size,
  inputSize = 1024,
): Pick<SamDecoderFeeds, 'point_coords' | 'point_labels' | 'mask_input' | 'has_mask_input'> {
  if (prompts.length === 0) throw new RangeError('an empty batch of prompts');
  const rows = prompts.map((p) => decoderPromptFeeds(p, image, inputSize));
  const n = rows[0]!.count;
  if (rows.some((r) => r.count !== n))
    throw new RangeError(`a batch mixes prompts of ${n} and ${rows.find((r) => r.count !== n)!.count} points`);
  const coords = new Float32Array(rows.length * n * 2);
  const labels = new Float32Array(rows.length * n);
  rows.forEach((r, b) => {
    coords.set(r.coords, b * n * 2);
    labels.set(r.labels, b * n);
  });
  return {
    point_coords: { data: coords, dims: [rows.length, n, 2] },
    point_labels: { data: labels, dims: [rows.length, n] },
    mask_input: { data: new Float32Array(256 * 256), dims: [1, 1, 256, 256] },
    has_mask_input: { data: new Float32Array([0]), dims: [1] },
  };
}

/**
 * Indices of `prompts` in batches of at most `size`, each batch of one point count (what one
 * batched decoder call can take), in the order of the prompts' first appearance.
 */
export function promptBatches(prompts: readonly Prompts[], size: number): number[][] {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`batch size ${size}: expected an integer >= 1`);
  const open = new Map<number, number[]>();
  const out: number[][] = [];
  prompts.forEach((p, i) => {
    const n = p.points.length + (p.box ? 2 : 1);
    let b = open.get(n);
    if (!b || b.length >= size) {
      b = [];
      open.set(n, b);
      out.push(b);
    }
    b.push(i);
  });
  return out;
}
