/**
 * SAM 2 / 2.1's video memory (issue 29) as the four-graph ONNX layout of pagarcia/sam2-onnx-cpp drives it
 * (see `sam2VideoLayout.ts` for the files and their names): the memory bank of SAM 2's video predictor
 * (`SAM2Base._prepare_memory_conditioned_features` in facebookresearch/sam2 `sam2/modeling/sam2_base.py`),
 * the feeds of `memory_attention.onnx` assembled from it, the prompt a frame without prompts gets, the mask
 * the memory encoder takes for a mask given by hand, and the frame's flag. Pure: no runtime, no DOM.
 *
 * Which memories a frame attends to (SAM 2, `num_maskmem` 7, stride 1):
 * - every conditioning (prompted) frame, with temporal code index `num_maskmem - 1` (6);
 * - the non-conditioning frames 1 to 6 frames back in the tracking direction that exist, the frame `r` back
 *   with temporal code index `r - 1` (the previous frame 0, six back 5): `maskmem_tpos_enc[num_maskmem - t_pos - 1]`
 *   with `t_pos = num_maskmem - r`;
 * - object pointers: the conditioning frames at or before the frame (in the tracking direction), offset
 *   `(frame - t) * direction`, then the non-conditioning frames 1 to `min(numFrames, 16) - 1` back, offset the
 *   distance; each 256-d pointer is four 64-d memory tokens.
 */
import { AppError } from '../errors.ts';
import type { Size } from '../geometry.ts';
import type { FeedArray } from '../sam/prompts.ts';
import { sam2ResizePlane, SAM2_INPUT_SIZE } from '../sam/sam2.ts';
import { frameFlag, type FrameFlag } from './propagate.ts';

/** SAM 2's `num_maskmem`: the conditioning frames plus the 6 frames before */
export const SAM2_NUM_MASKMEM = 7;
/** SAM 2's `max_obj_ptrs_in_encoder` */
export const SAM2_MAX_OBJ_PTRS = 16;
/** the memory's channels (`mem_dim`), the transformer's (`hidden_dim`), the 64 x 64 memory tokens */
export const SAM2_MEM_DIM = 64;
export const SAM2_HIDDEN_DIM = 256;
export const SAM2_MEM_TOKENS = 64 * 64;
/** `sigmoid_scale_for_mem_enc`, `sigmoid_bias_for_mem_enc` of every SAM 2 / 2.1 config; also `_use_mask_as_output`'s scale and bias */
export const SAM2_MEM_SCALE = 20;
export const SAM2_MEM_BIAS = -10;

/** One frame's memory of one object: what the memory encoder and the decoder returned for it. */
export interface Sam2FrameMemory {
  frame: number;
  /** a prompted frame (clicks, a box or a mask given on it): always attended to */
  cond: boolean;
  /** `maskmem_features` [1, 64, 64, 64] */
  features: Float32Array;
  /** `maskmem_pos_enc` [4096, 1, 64] */
  posEnc: Float32Array;
  /** the decoder's `obj_ptr` [1, 256] */
  objPtr: Float32Array;
}

/** One object's memory bank: its frames' memories and the memory encoder's `temporal_code` [7, 1, 1, 64]. */
export interface Sam2MemoryBank {
  memories: readonly Sam2FrameMemory[];
  temporalCode: Float32Array | null;
}

export const EMPTY_SAM2_BANK: Sam2MemoryBank = { memories: [], temporalCode: null };

/**
 * The bank with `m` stored (replacing the frame's earlier memory), and the memories no later frame can
 * attend to dropped: non-conditioning frames `SAM2_MAX_OBJ_PTRS` or more frames away from `m` (object
 * pointers reach 15 frames back, spatial memories 6).
 */
export function addSam2Memory(bank: Sam2MemoryBank, m: Sam2FrameMemory, temporalCode: Float32Array): Sam2MemoryBank {
  if (m.features.length !== SAM2_MEM_DIM * SAM2_MEM_TOKENS)
    throw new RangeError(`maskmem_features has ${m.features.length} values, expected 64x64x64`);
  if (m.posEnc.length !== SAM2_MEM_DIM * SAM2_MEM_TOKENS)
    throw new RangeError(`maskmem_pos_enc has ${m.posEnc.length} values, expected 4096x64`);
  if (m.objPtr.length !== SAM2_HIDDEN_DIM) throw new RangeError(`obj_ptr has ${m.objPtr.length} values, expected 256`);
  if (temporalCode.length !== SAM2_NUM_MASKMEM * SAM2_MEM_DIM)
    throw new RangeError(`temporal_code has ${temporalCode.length} values, expected ${SAM2_NUM_MASKMEM}x64`);
  const kept = bank.memories.filter((o) => o.frame !== m.frame && (o.cond || Math.abs(o.frame - m.frame) < SAM2_MAX_OBJ_PTRS));
  return { memories: [...kept, m].sort((a, b) => a.frame - b.frame), temporalCode };
}

export interface SelectedMemory {
  memory: Sam2FrameMemory;
  /** the row of `temporal_code` added to its position encoding */
  temporalIndex: number;
}

/** The spatial memories frame `frame` attends to, in SAM 2's order (conditioning frames, then 6 back to 1 back). */
export function selectSam2Memories(bank: Sam2MemoryBank, frame: number, direction: 1 | -1): SelectedMemory[] {
  const out: SelectedMemory[] = bank.memories
    .filter((m) => m.cond && m.frame !== frame)
    .map((memory) => ({ memory, temporalIndex: SAM2_NUM_MASKMEM - 1 }));
  for (let tPos = 1; tPos < SAM2_NUM_MASKMEM; tPos++) {
    const back = SAM2_NUM_MASKMEM - tPos;
    const m = bank.memories.find((o) => !o.cond && o.frame === frame - back * direction);
    if (m) out.push({ memory: m, temporalIndex: SAM2_NUM_MASKMEM - tPos - 1 });
  }
  return out;
}

/** The object pointers frame `frame` attends to, with their temporal offsets (SAM 2.1's signed offsets). */
export function selectSam2Pointers(
  bank: Sam2MemoryBank,
  frame: number,
  direction: 1 | -1,
  numFrames: number,
): { memory: Sam2FrameMemory; offset: number }[] {
  const out = bank.memories
    .filter((m) => m.cond && m.frame !== frame && (direction === 1 ? m.frame <= frame : m.frame >= frame))
    .map((memory) => ({ memory, offset: (frame - memory.frame) * direction }));
  const max = Math.min(numFrames, SAM2_MAX_OBJ_PTRS);
  for (let d = 1; d < max; d++) {
    const t = frame - d * direction;
    if (t < 0 || t >= numFrames) break;
    const m = bank.memories.find((o) => !o.cond && o.frame === t);
    if (m) out.push({ memory: m, offset: d });
  }
  return out;
}

export interface Sam2AttentionFeeds {
  /** `memory_0` [P, 256], `memory_1` [N, 64, 64, 64], `memory_pos_embed` [N·4096 (+ 4P), 1, 64], and `obj_ptr_offsets` [P] where the graph takes it */
  feeds: Record<string, FeedArray>;
  /** the frames of the spatial memories and of the object pointers, in feed order */
  memoryFrames: number[];
  pointerFrames: number[];
}

/**
 * The memory inputs of `memory_attention.onnx` for frame `frame` (the caller adds `current_vision_feat` and
 * `current_vision_pos_embed` from the frame's encoder). `memory_pos_embed` is each memory's `maskmem_pos_enc`
 * plus its row of `temporal_code`; then, for the graph without `obj_ptr_offsets`, 4 rows of zeros per
 * object pointer (SAM 2.0's pointers carry no temporal encoding; SAM 2.1 projects one with learned weights,
 * which only the graph with `obj_ptr_offsets` holds). Null when the bank has no memory for the frame.
 */
export function sam2AttentionFeeds(
  bank: Sam2MemoryBank,
  frame: number,
  o: { direction: 1 | -1; numFrames: number; objPtrOffsets: boolean },
): Sam2AttentionFeeds | null {
  const mems = selectSam2Memories(bank, frame, o.direction);
  if (mems.length === 0 || !bank.temporalCode) return null;
  const ptrs = selectSam2Pointers(bank, frame, o.direction, o.numFrames);
  const n = mems.length;
  const p = ptrs.length;
  const plane = SAM2_MEM_TOKENS * SAM2_MEM_DIM;
  const memory1 = new Float32Array(n * plane);
  const posRows = n * SAM2_MEM_TOKENS + (o.objPtrOffsets ? 0 : 4 * p);
  const pos = new Float32Array(posRows * SAM2_MEM_DIM);
  mems.forEach(({ memory, temporalIndex }, i) => {
    memory1.set(memory.features, i * plane);
    const code = bank.temporalCode!.subarray(temporalIndex * SAM2_MEM_DIM, (temporalIndex + 1) * SAM2_MEM_DIM);
    for (let t = 0; t < SAM2_MEM_TOKENS; t++)
      for (let c = 0; c < SAM2_MEM_DIM; c++) pos[i * plane + t * SAM2_MEM_DIM + c] = memory.posEnc[t * SAM2_MEM_DIM + c]! + code[c]!;
  });
  const memory0 = new Float32Array(p * SAM2_HIDDEN_DIM);
  ptrs.forEach(({ memory }, i) => memory0.set(memory.objPtr, i * SAM2_HIDDEN_DIM));
  const feeds: Record<string, FeedArray> = {
    memory_0: { data: memory0, dims: [p, SAM2_HIDDEN_DIM] },
    memory_1: { data: memory1, dims: [n, SAM2_MEM_DIM, 64, 64] },
    memory_pos_embed: { data: pos, dims: [posRows, 1, SAM2_MEM_DIM] },
  };
  if (o.objPtrOffsets) feeds['obj_ptr_offsets'] = { data: Float32Array.from(ptrs, (x) => x.offset), dims: [p] };
  return { feeds, memoryFrames: mems.map((m) => m.memory.frame), pointerFrames: ptrs.map((x) => x.memory.frame) };
}

/**
 * The decoder's prompt on a frame without prompts: SAM 2's `_forward_sam_heads` with no points feeds one
 * padding point (0, 0) labelled -1 (the prompt encoder then pads as usual).
 */
export function sam2NoPromptFeeds(): { point_coords: FeedArray; point_labels: FeedArray } {
  return {
    point_coords: { data: new Float32Array(2), dims: [1, 1, 2] },
    point_labels: { data: new Float32Array([-1]), dims: [1, 1] },
  };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * `mask_for_mem` [1, 1, 1024, 1024] for a mask given on a frame (a person's mask, a start mask): SAM 2's
 * `add_new_mask` resizes it to the model's square (bilinear, antialiased) and keeps >= 0.5, `_use_mask_as_output`
 * turns it into logits ±10 (scale 20, bias -10), and this layout's decoder hands the memory encoder
 * `sigmoid(logits) * 20 - 10` of its masks: so ±(sigmoid(10) * 20 - 10) here.
 */
export function sam2MaskForMemory(mask: ArrayLike<number>, size: Size, inputSize = SAM2_INPUT_SIZE): Float32Array {
  const plane = Float32Array.from({ length: size.width * size.height }, (_, i) => (mask[i] ? 1 : 0));
  const resized = sam2ResizePlane(plane, size, { width: inputSize, height: inputSize });
  const on = sigmoid(SAM2_MEM_SCALE + SAM2_MEM_BIAS) * SAM2_MEM_SCALE + SAM2_MEM_BIAS;
  const off = sigmoid(SAM2_MEM_BIAS) * SAM2_MEM_SCALE + SAM2_MEM_BIAS;
  return Float32Array.from(resized, (v) => (v >= 0.5 ? on : off));
}

/**
 * The score a memory-made mask records: the probability of the object being there, the sigmoid of the decoder's
 * `object_score_logits` (null where the export gives none), so it reads as the image model's scores do (0..1).
 */
export function sam2ObjectProbability(objectScore: number | null): number | null {
  return objectScore === null ? null : 1 / (1 + Math.exp(-objectScore));
}

/**
 * A propagated frame's flag: 'lost' when the decoder says the object is absent (`object_score_logits` <= 0,
 * where the export gives it; SAM 2 then returns an empty mask) or the mask is empty; else an abrupt change
 * from the previous frame's mask as `frameFlag` judges it (these graphs predict no IoU: never 'uncertain').
 */
export function sam2VideoFlag(previous: ArrayLike<number> | null, mask: ArrayLike<number>, objectScore: number | null): FrameFlag | null {
  if (objectScore !== null && objectScore <= 0) return 'lost';
  let any = false;
  for (let i = 0; i < mask.length && !any; i++) any = mask[i] !== 0;
  if (!any) return 'lost';
  return previous ? frameFlag(previous, mask, 1) : null;
}

/** Checks a memory encoder's `temporal_code` ([7, 1, 1, 64] or any shape of 7 x 64 values); the message names the file. */
export function checkTemporalCode(dims: readonly number[], file: string): void {
  if (dims.reduce((a, b) => a * b, 1) === SAM2_NUM_MASKMEM * SAM2_MEM_DIM && dims[0] === SAM2_NUM_MASKMEM) return;
  throw new AppError(
    'MODEL_SIGNATURE',
    `${file} returned temporal_code of shape [${dims.join(', ')}]; SAM 2's memory encoder gives [7, 1, 1, 64] (num_maskmem 7).`,
    'Export the memory encoder of a SAM 2 / 2.1 model (num_maskmem 7).',
  );
}
