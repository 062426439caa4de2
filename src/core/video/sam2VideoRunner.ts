/**
 * SAM 2 / 2.1's video memory path, once for every runtime (issue 29): the four graphs of pagarcia/sam2-onnx-cpp's
 * layout (sam2VideoLayout.ts) driven by the pure memory bank of sam2Memory.ts as SAM 2's video predictor drives
 * its own. The sessions and the tensor factory come from the caller (onnxruntime-node in src/node/sam2-video-node.ts,
 * onnxruntime-web in workers/sam2video/runner.ts), so nothing here imports a runtime:
 * - a frame is encoded once (SAM 2's preprocessing, `sam2EncoderInput`) for every object;
 * - a prompted frame with no memory yet decodes on `current_vision_feat` (the features plus `no_mem_embed`, as
 *   SAM 2's first conditioning frame); a mask given by hand is the frame's output as it is (SAM 2's
 *   `use_mask_input_as_output_without_sam`), its object pointer from the decoder prompted by the mask's box and
 *   deepest point (these graphs take no mask input);
 * - every later frame: `memory_attention` on the bank's memories and pointers, the decoder on `fused_feat` with
 *   no prompt (the padding point labelled -1), the mask from `pred_mask`'s low-res logits (resized straight to
 *   the frame, > 0);
 * - each frame's `mask_for_mem` (the decoder's) and `image_embeddings` (the frame's own features, SAM 2's
 *   `pix_feat`) go through the memory encoder into the bank, with the decoder's `obj_ptr`.
 */
import { AppError } from '../errors.ts';
import type { Size } from '../geometry.ts';
import type { FeedArray, Prompts } from '../sam/prompts.ts';
import { sam2DecoderFeeds, sam2EncoderInput, sam2MaskFromLowRes } from '../sam/sam2.ts';
import { promptsFromMask, type FrameFlag } from './propagate.ts';
import {
  addSam2Memory,
  checkTemporalCode,
  EMPTY_SAM2_BANK,
  sam2AttentionFeeds,
  sam2MaskForMemory,
  sam2NoPromptFeeds,
  sam2VideoFlag,
  type Sam2MemoryBank,
} from './sam2Memory.ts';
import { SAM2_VIDEO_HINT, type Sam2VideoLayout } from './sam2VideoLayout.ts';

/** A tensor as onnxruntime (node or web) gives it: its data and shape. */
export interface RuntimeTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** An inference session as onnxruntime (node or web) has it. */
export interface RuntimeSession<T extends RuntimeTensor> {
  run(feeds: Record<string, T>): Promise<Record<string, T>>;
}

/** The layout's four opened graphs and the runtime's float32 tensor. */
export interface Sam2VideoGraphs<T extends RuntimeTensor> {
  encoder: RuntimeSession<T>;
  decoder: RuntimeSession<T>;
  attention: RuntimeSession<T>;
  memoryEncoder: RuntimeSession<T>;
  tensor(data: Float32Array, dims: readonly number[]): T;
}

/** One frame's encoder outputs, shared by every object on it. */
export interface Sam2VideoFrame<T extends RuntimeTensor> {
  size: Size;
  outputs: Record<string, T>;
}

/** One object followed through a clip: its memory bank and the run's direction and length. */
export interface Sam2VideoTrack {
  bank: Sam2MemoryBank;
  direction: 1 | -1;
  /** the clip's frame count (SAM 2's `num_frames`: object pointers reach at most min(numFrames, 16) - 1 back) */
  numFrames: number;
  /** the last mask put in the bank (for the abrupt-change flag) */
  previous: Uint8Array | null;
}

export interface Sam2VideoStep {
  mask: Uint8Array;
  /** `pred_mask`: the 256x256 low-res logits */
  lowRes: Float32Array;
  /** `object_score_logits` where the decoder gives it */
  objectScore: number | null;
  flag: FrameFlag | null;
  /** the frames whose memories and object pointers the step attended to (empty on a prompted frame without memory) */
  memoryFrames: number[];
  pointerFrames: number[];
}

const floats = (t: RuntimeTensor) => Float32Array.from(t.data as Float32Array);

function output<T extends RuntimeTensor>(out: Record<string, T>, name: string, graph: string): T {
  const t = out[name];
  if (!t) throw new AppError('MODEL_SIGNATURE', `${graph} gave no ${name} output.`, SAM2_VIDEO_HINT);
  return t;
}

export class Sam2VideoMemory<T extends RuntimeTensor> {
  constructor(
    readonly layout: Sam2VideoLayout,
    private readonly graphs: Sam2VideoGraphs<T>,
  ) {}

  /** A new object's track over a clip of `numFrames` frames, run in `direction`. */
  static track(numFrames: number, direction: 1 | -1 = 1): Sam2VideoTrack {
    return { bank: EMPTY_SAM2_BANK, direction, numFrames, previous: null };
  }

  /** The frame's encoder outputs (SAM 2's preprocessing of the whole RGBA frame to the 1024 square). */
  async encodeFrame(image: { data: ArrayLike<number>; width: number; height: number }): Promise<Sam2VideoFrame<T>> {
    const input = this.graphs.tensor(sam2EncoderInput(image.data, image), [1, 3, 1024, 1024]);
    const outputs = await this.graphs.encoder.run({ input });
    return { size: { width: image.width, height: image.height }, outputs };
  }

  private async decode(frame: Sam2VideoFrame<T>, imageEmbed: T, prompt: { point_coords: FeedArray; point_labels: FeedArray }) {
    const { tensor, decoder } = this.graphs;
    const name = this.layout.decoder;
    const out = await decoder.run({
      point_coords: tensor(prompt.point_coords.data, prompt.point_coords.dims),
      point_labels: tensor(prompt.point_labels.data, prompt.point_labels.dims),
      image_embed: imageEmbed,
      high_res_feats_0: output(frame.outputs, 'high_res_features1', this.layout.encoder),
      high_res_feats_1: output(frame.outputs, 'high_res_features2', this.layout.encoder),
    });
    const predMask = output(out, 'pred_mask', name);
    const lowRes = floats(predMask);
    if (lowRes.length !== 256 * 256)
      throw new AppError(
        'MODEL_SIGNATURE',
        `${name} returned pred_mask of shape [${predMask.dims.join(', ')}]; this layout's decoder gives [1, 1, 256, 256] low-res logits.`,
        SAM2_VIDEO_HINT,
      );
    const score = out['object_score_logits'];
    const objectScore = score ? (score.data as Float32Array)[0]! : null;
    return { lowRes, objectScore, objPtr: floats(output(out, 'obj_ptr', name)), maskForMem: output(out, 'mask_for_mem', name) };
  }

  private async remember(
    track: Sam2VideoTrack,
    frameIndex: number,
    frame: Sam2VideoFrame<T>,
    cond: boolean,
    maskForMem: T,
    objPtr: Float32Array,
  ) {
    const name = this.layout.memoryEncoder;
    const out = await this.graphs.memoryEncoder.run({
      mask_for_mem: maskForMem,
      pix_feat: output(frame.outputs, 'image_embeddings', this.layout.encoder),
    });
    const temporal = output(out, 'temporal_code', name);
    checkTemporalCode(temporal.dims, name);
    track.bank = addSam2Memory(
      track.bank,
      {
        frame: frameIndex,
        cond,
        features: floats(output(out, 'maskmem_features', name)),
        posEnc: floats(output(out, 'maskmem_pos_enc', name)),
        objPtr,
      },
      floats(temporal),
    );
  }

  /** The features the decoder sees on `frameIndex`: memory-conditioned, or with `no_mem_embed` when the bank has nothing for it. */
  private async conditioned(track: Sam2VideoTrack, frameIndex: number, frame: Sam2VideoFrame<T>) {
    const current = output(frame.outputs, 'current_vision_feat', this.layout.encoder);
    const mem = sam2AttentionFeeds(track.bank, frameIndex, {
      direction: track.direction,
      numFrames: track.numFrames,
      objPtrOffsets: this.layout.objPtrOffsets,
    });
    if (!mem) return { embed: current, memoryFrames: [], pointerFrames: [] };
    const feeds: Record<string, T> = {
      current_vision_feat: current,
      current_vision_pos_embed: output(frame.outputs, 'vision_pos_embed', this.layout.encoder),
    };
    for (const [name, f] of Object.entries(mem.feeds)) feeds[name] = this.graphs.tensor(f.data, f.dims);
    const out = await this.graphs.attention.run(feeds);
    return {
      embed: output(out, 'fused_feat', this.layout.memoryAttention),
      memoryFrames: mem.memoryFrames,
      pointerFrames: mem.pointerFrames,
    };
  }

  private async finish(
    track: Sam2VideoTrack,
    frameIndex: number,
    frame: Sam2VideoFrame<T>,
    cond: boolean,
    d: Awaited<ReturnType<Sam2VideoMemory<T>['decode']>>,
  ) {
    const absent = d.objectScore !== null && d.objectScore <= 0;
    const mask = absent ? new Uint8Array(frame.size.width * frame.size.height) : sam2MaskFromLowRes(d.lowRes, 0, frame.size).mask;
    const flag = sam2VideoFlag(track.previous, mask, d.objectScore);
    await this.remember(track, frameIndex, frame, cond, d.maskForMem, d.objPtr);
    track.previous = mask;
    return { mask, lowRes: d.lowRes, objectScore: d.objectScore, flag };
  }

  /** Prompts (clicks, a box) on a frame: a conditioning frame, its mask decoded with the memory the bank has. */
  async addPrompts(track: Sam2VideoTrack, frameIndex: number, frame: Sam2VideoFrame<T>, prompts: Prompts): Promise<Sam2VideoStep> {
    const f = sam2DecoderFeeds(prompts, frame.size);
    const c = await this.conditioned(track, frameIndex, frame);
    const d = await this.decode(frame, c.embed, { point_coords: f.point_coords, point_labels: f.point_labels });
    return { ...(await this.finish(track, frameIndex, frame, true, d)), memoryFrames: c.memoryFrames, pointerFrames: c.pointerFrames };
  }

  /** A mask given on a frame (a start mask, a person's mask): a conditioning frame whose output is the mask itself. */
  async addMask(track: Sam2VideoTrack, frameIndex: number, frame: Sam2VideoFrame<T>, mask: Uint8Array): Promise<Sam2VideoStep> {
    const { width, height } = frame.size;
    if (mask.length !== width * height)
      throw new AppError('INFERENCE', `The mask is not ${width}x${height} like the frame.`, 'Give a mask of the frame itself.');
    const prompts = promptsFromMask(mask, width, height);
    if (!prompts) throw new AppError('INFERENCE', 'The mask is empty: nothing to follow.', 'Draw the object on the frame first.');
    const c = await this.conditioned(track, frameIndex, frame);
    const f = sam2DecoderFeeds(prompts, frame.size);
    const d = await this.decode(frame, c.embed, { point_coords: f.point_coords, point_labels: f.point_labels });
    const maskForMem = this.graphs.tensor(sam2MaskForMemory(mask, frame.size), [1, 1, 1024, 1024]);
    await this.remember(track, frameIndex, frame, true, maskForMem, d.objPtr);
    track.previous = mask;
    return { mask, lowRes: d.lowRes, objectScore: d.objectScore, flag: null, memoryFrames: c.memoryFrames, pointerFrames: c.pointerFrames };
  }

  /** A frame without prompts: its mask from the memory alone (SAM 2's `propagate_in_video` step), put in the bank. */
  async propagate(track: Sam2VideoTrack, frameIndex: number, frame: Sam2VideoFrame<T>): Promise<Sam2VideoStep> {
    const c = await this.conditioned(track, frameIndex, frame);
    const d = await this.decode(frame, c.embed, sam2NoPromptFeeds());
    return { ...(await this.finish(track, frameIndex, frame, false, d)), memoryFrames: c.memoryFrames, pointerFrames: c.pointerFrames };
  }
}
