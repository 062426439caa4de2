/**
 * SAM 2 / 2.1's video memory path in onnxruntime-node (issue 29): the four graphs of pagarcia/sam2-onnx-cpp's
 * layout (src/core/video/sam2VideoLayout.ts), told apart by their names, driven by the pure memory bank of
 * src/core/video/sam2Memory.ts as SAM 2's video predictor drives its own:
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
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../core/errors.ts';
import type { Size } from '../core/geometry.ts';
import { scanOnnx, type ByteSource } from '../core/sam/onnxScan.ts';
import type { FeedArray, Prompts } from '../core/sam/prompts.ts';
import { sam2DecoderFeeds, sam2EncoderInput, sam2MaskFromLowRes } from '../core/sam/sam2.ts';
import type { FrameFlag } from '../core/video/propagate.ts';
import { promptsFromMask } from '../core/video/propagate.ts';
import {
  addSam2Memory,
  checkTemporalCode,
  EMPTY_SAM2_BANK,
  sam2AttentionFeeds,
  sam2MaskForMemory,
  sam2NoPromptFeeds,
  sam2VideoFlag,
  type Sam2MemoryBank,
} from '../core/video/sam2Memory.ts';
import { detectSam2VideoLayout, SAM2_VIDEO_HINT, type NamedIo, type Sam2VideoLayout } from '../core/video/sam2VideoLayout.ts';
import type { RgbaImage } from './image.ts';

/** One frame's encoder outputs, shared by every object on it. */
export interface Sam2VideoFrame {
  size: Size;
  outputs: Record<string, ort.Tensor>;
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

function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  return {
    size: statSync(path).size,
    read: (offset, length) => {
      const buf = new Uint8Array(length);
      const n = readSync(fd, buf, 0, length, offset);
      return Promise.resolve(buf.subarray(0, n));
    },
    close: () => closeSync(fd),
  };
}

const tensor = (f: FeedArray) => new ort.Tensor('float32', f.data, f.dims);

export class NodeSam2Video {
  private constructor(
    readonly layout: Sam2VideoLayout,
    private readonly encoder: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    private readonly attention: ort.InferenceSession,
    private readonly memoryEncoder: ort.InferenceSession,
  ) {}

  /**
   * Loads the layout's four graphs from a folder: every `.onnx` file's names are read without loading it,
   * each graph is told from them, and only those four are opened. A folder that lacks one is refused naming
   * what is missing and what the closest file has.
   */
  static async fromDir(dir: string, options: { threads?: number } = {}): Promise<NodeSam2Video> {
    let names: string[];
    try {
      names = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.onnx'));
    } catch {
      throw new AppError('MODEL_LOAD', `There is no folder ${dir}.`, SAM2_VIDEO_HINT);
    }
    if (names.length === 0) throw new AppError('MODEL_SIGNATURE', `${dir} holds no .onnx file.`, SAM2_VIDEO_HINT);
    return NodeSam2Video.fromFiles(
      names.sort().map((n) => join(dir, n)),
      options,
    );
  }

  /** As {@link fromDir}, from a list of files. */
  static async fromFiles(files: readonly string[], options: { threads?: number } = {}): Promise<NodeSam2Video> {
    const ios: NamedIo[] = [];
    for (const file of files) {
      const src = fileSource(file);
      try {
        const scan = await scanOnnx(src);
        if (!scan.ok)
          throw new AppError('MODEL_SIGNATURE', `${file} is not a whole ONNX model (${scan.reason}: ${scan.detail}).`, SAM2_VIDEO_HINT);
        ios.push({ file, inputNames: scan.inputNames, outputNames: scan.outputNames });
      } finally {
        src.close();
      }
    }
    const found = detectSam2VideoLayout(ios);
    if ('error' in found) throw new AppError('MODEL_SIGNATURE', found.error, found.hint);
    const so: ort.InferenceSession.SessionOptions = options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {};
    const open = (path: string) => ort.InferenceSession.create(path, so);
    const l = found.layout;
    return new NodeSam2Video(l, await open(l.encoder), await open(l.decoder), await open(l.memoryAttention), await open(l.memoryEncoder));
  }

  /** A new object's track over a clip of `numFrames` frames, run in `direction`. */
  static track(numFrames: number, direction: 1 | -1 = 1): Sam2VideoTrack {
    return { bank: EMPTY_SAM2_BANK, direction, numFrames, previous: null };
  }

  /** The frame's encoder outputs (SAM 2's preprocessing of the whole frame to the 1024 square). */
  async encodeFrame(image: RgbaImage): Promise<Sam2VideoFrame> {
    const outputs = await this.encoder.run({ input: new ort.Tensor('float32', sam2EncoderInput(image.data, image), [1, 3, 1024, 1024]) });
    return { size: { width: image.width, height: image.height }, outputs };
  }

  private async decode(frame: Sam2VideoFrame, imageEmbed: ort.Tensor, prompt: { point_coords: FeedArray; point_labels: FeedArray }) {
    const out = await this.decoder.run({
      point_coords: tensor(prompt.point_coords),
      point_labels: tensor(prompt.point_labels),
      image_embed: imageEmbed,
      high_res_feats_0: frame.outputs['high_res_features1']!,
      high_res_feats_1: frame.outputs['high_res_features2']!,
    });
    const lowRes = Float32Array.from(out['pred_mask']!.data as Float32Array);
    if (lowRes.length !== 256 * 256)
      throw new AppError(
        'MODEL_SIGNATURE',
        `${this.layout.decoder} returned pred_mask of shape [${out['pred_mask']!.dims.join(', ')}]; this layout's decoder gives [1, 1, 256, 256] low-res logits.`,
        SAM2_VIDEO_HINT,
      );
    const objectScore = out['object_score_logits'] ? (out['object_score_logits'].data as Float32Array)[0]! : null;
    return { lowRes, objectScore, objPtr: Float32Array.from(out['obj_ptr']!.data as Float32Array), maskForMem: out['mask_for_mem']! };
  }

  private async remember(
    track: Sam2VideoTrack,
    frameIndex: number,
    frame: Sam2VideoFrame,
    cond: boolean,
    maskForMem: ort.Tensor,
    objPtr: Float32Array,
  ) {
    const out = await this.memoryEncoder.run({ mask_for_mem: maskForMem, pix_feat: frame.outputs['image_embeddings']! });
    checkTemporalCode(out['temporal_code']!.dims, this.layout.memoryEncoder);
    track.bank = addSam2Memory(
      track.bank,
      {
        frame: frameIndex,
        cond,
        features: Float32Array.from(out['maskmem_features']!.data as Float32Array),
        posEnc: Float32Array.from(out['maskmem_pos_enc']!.data as Float32Array),
        objPtr,
      },
      Float32Array.from(out['temporal_code']!.data as Float32Array),
    );
  }

  /** The features the decoder sees on `frameIndex`: memory-conditioned, or with `no_mem_embed` when the bank has nothing for it. */
  private async conditioned(track: Sam2VideoTrack, frameIndex: number, frame: Sam2VideoFrame) {
    const mem = sam2AttentionFeeds(track.bank, frameIndex, {
      direction: track.direction,
      numFrames: track.numFrames,
      objPtrOffsets: this.layout.objPtrOffsets,
    });
    if (!mem) return { embed: frame.outputs['current_vision_feat']!, memoryFrames: [], pointerFrames: [] };
    const feeds: Record<string, ort.Tensor> = {
      current_vision_feat: frame.outputs['current_vision_feat']!,
      current_vision_pos_embed: frame.outputs['vision_pos_embed']!,
    };
    for (const [name, f] of Object.entries(mem.feeds)) feeds[name] = tensor(f);
    const out = await this.attention.run(feeds);
    return { embed: out['fused_feat']!, memoryFrames: mem.memoryFrames, pointerFrames: mem.pointerFrames };
  }

  private async finish(
    track: Sam2VideoTrack,
    frameIndex: number,
    frame: Sam2VideoFrame,
    cond: boolean,
    d: Awaited<ReturnType<NodeSam2Video['decode']>>,
  ) {
    const absent = d.objectScore !== null && d.objectScore <= 0;
    const mask = absent ? new Uint8Array(frame.size.width * frame.size.height) : sam2MaskFromLowRes(d.lowRes, 0, frame.size).mask;
    const flag = sam2VideoFlag(track.previous, mask, d.objectScore);
    await this.remember(track, frameIndex, frame, cond, d.maskForMem, d.objPtr);
    track.previous = mask;
    return { mask, lowRes: d.lowRes, objectScore: d.objectScore, flag };
  }

  /** Prompts (clicks, a box) on a frame: a conditioning frame, its mask decoded with the memory the bank has. */
  async addPrompts(track: Sam2VideoTrack, frameIndex: number, frame: Sam2VideoFrame, prompts: Prompts): Promise<Sam2VideoStep> {
    const f = sam2DecoderFeeds(prompts, frame.size);
    const c = await this.conditioned(track, frameIndex, frame);
    const d = await this.decode(frame, c.embed, { point_coords: f.point_coords, point_labels: f.point_labels });
    return { ...(await this.finish(track, frameIndex, frame, true, d)), memoryFrames: c.memoryFrames, pointerFrames: c.pointerFrames };
  }

  /** A mask given on a frame (a start mask, a person's mask): a conditioning frame whose output is the mask itself. */
  async addMask(track: Sam2VideoTrack, frameIndex: number, frame: Sam2VideoFrame, mask: Uint8Array): Promise<Sam2VideoStep> {
    const { width, height } = frame.size;
    if (mask.length !== width * height) throw new RangeError(`the mask is not ${width}x${height} like the frame`);
    const prompts = promptsFromMask(mask, width, height);
    if (!prompts) throw new RangeError('the mask is empty: nothing to follow');
    const c = await this.conditioned(track, frameIndex, frame);
    const f = sam2DecoderFeeds(prompts, frame.size);
    const d = await this.decode(frame, c.embed, { point_coords: f.point_coords, point_labels: f.point_labels });
    const maskForMem = new ort.Tensor('float32', sam2MaskForMemory(mask, frame.size), [1, 1, 1024, 1024]);
    await this.remember(track, frameIndex, frame, true, maskForMem, d.objPtr);
    track.previous = mask;
    return { mask, lowRes: d.lowRes, objectScore: d.objectScore, flag: null, memoryFrames: c.memoryFrames, pointerFrames: c.pointerFrames };
  }

  /** A frame without prompts: its mask from the memory alone (SAM 2's `propagate_in_video` step). */
  async propagate(track: Sam2VideoTrack, frameIndex: number, frame: Sam2VideoFrame): Promise<Sam2VideoStep> {
    const c = await this.conditioned(track, frameIndex, frame);
    const d = await this.decode(frame, c.embed, sam2NoPromptFeeds());
    return { ...(await this.finish(track, frameIndex, frame, false, d)), memoryFrames: c.memoryFrames, pointerFrames: c.pointerFrames };
  }
}
