/**
 * SAM 2 / 2.1's video memory path in onnxruntime-web (issue 29): the browser's copy of `NodeSam2Video`
 * (src/node/sam2-video-node.ts, the line-by-line reference), step for step, on the four graphs of
 * pagarcia/sam2-onnx-cpp's layout (src/core/video/sam2VideoLayout.ts) told apart by their names. Frames are
 * encoded here from their files and one memory bank per track is kept here: pixels, features and memories
 * never leave the worker; masks come and go as RLE.
 */
import type * as OrtModule from 'onnxruntime-web';
import { AppError } from '../../src/core/errors.ts';
import type { Size } from '../../src/core/geometry.ts';
import { maskFromRle, rleArea, rleBbox, rleFromMask, type CocoRle } from '../../src/core/mask/rle.ts';
import { bytesSource, scanOnnx } from '../../src/core/sam/onnxScan.ts';
import type { FeedArray } from '../../src/core/sam/prompts.ts';
import { sam2DecoderFeeds, sam2EncoderInput, sam2MaskFromLowRes } from '../../src/core/sam/sam2.ts';
import { promptsFromMask } from '../../src/core/video/propagate.ts';
import {
  addSam2Memory,
  checkTemporalCode,
  EMPTY_SAM2_BANK,
  sam2AttentionFeeds,
  sam2MaskForMemory,
  sam2NoPromptFeeds,
  sam2VideoFlag,
  type Sam2MemoryBank,
} from '../../src/core/video/sam2Memory.ts';
import { detectSam2VideoLayout, SAM2_VIDEO_HINT, type NamedIo, type Sam2VideoLayout } from '../../src/core/video/sam2VideoLayout.ts';
import { createSession, type Ort } from '../ort-runtime.ts';
import type { BackendName, Sam2VideoMask } from '../protocol.ts';

type Session = OrtModule.InferenceSession;
type Tensor = OrtModule.Tensor;

interface Frame {
  size: Size;
  outputs: Record<string, Tensor>;
}

interface Track {
  bank: Sam2MemoryBank;
  direction: 1 | -1;
  numFrames: number;
  previous: Uint8Array | null;
}

/** frames kept encoded (a frame's outputs are ~24 MB at SAM 2's sizes): the step's frame and the one before */
const KEPT_FRAMES = 2;

export class Sam2VideoRunner {
  private readonly frames = new Map<number, Frame>();
  private readonly tracks = new Map<number, Track>();

  private constructor(
    private readonly ort: Ort,
    readonly layout: Sam2VideoLayout,
    private readonly encoder: Session,
    private readonly decoder: Session,
    private readonly attention: Session,
    private readonly memoryEncoder: Session,
  ) {}

  /** Reads every file's names without loading it, tells the four graphs apart, and opens only those. */
  static async load(ort: Ort, files: readonly { name: string; bytes: Uint8Array }[], backend: BackendName): Promise<Sam2VideoRunner> {
    const ios: NamedIo[] = [];
    for (const f of files) {
      const scan = await scanOnnx(bytesSource(f.bytes));
      if (!scan.ok)
        throw new AppError('MODEL_SIGNATURE', `${f.name} is not a whole ONNX model (${scan.reason}: ${scan.detail}).`, SAM2_VIDEO_HINT);
      ios.push({ file: f.name, inputNames: scan.inputNames, outputNames: scan.outputNames });
    }
    const found = detectSam2VideoLayout(ios);
    if ('error' in found) throw new AppError('MODEL_SIGNATURE', found.error, found.hint);
    const l = found.layout;
    const open = (name: string) => createSession(ort, name, files.find((f) => f.name === name)!.bytes, backend);
    return new Sam2VideoRunner(
      ort,
      l,
      await open(l.encoder),
      await open(l.decoder),
      await open(l.memoryAttention),
      await open(l.memoryEncoder),
    );
  }

  private tensor(f: FeedArray): Tensor {
    return new this.ort.Tensor('float32', f.data, f.dims);
  }

  /** Encodes a frame (SAM 2's preprocessing of the whole frame), kept under its image id for the next steps. */
  async encodeFrame(imageId: number, image: { data: Uint8ClampedArray; width: number; height: number }): Promise<Size> {
    const input = new this.ort.Tensor('float32', sam2EncoderInput(image.data, image), [1, 3, 1024, 1024]);
    const outputs = await this.encoder.run({ input });
    const size = { width: image.width, height: image.height };
    this.frames.delete(imageId);
    this.frames.set(imageId, { size, outputs });
    while (this.frames.size > KEPT_FRAMES) this.frames.delete(this.frames.keys().next().value!);
    return size;
  }

  hasFrame(imageId: number): boolean {
    return this.frames.has(imageId);
  }

  /** A new, empty memory bank for the track (a run over a clip of `numFrames` frames in `direction`). */
  startTrack(trackId: number, numFrames: number, direction: 1 | -1): void {
    this.tracks.set(trackId, { bank: EMPTY_SAM2_BANK, direction, numFrames, previous: null });
  }

  dropTrack(trackId: number): void {
    this.tracks.delete(trackId);
  }

  private frame(imageId: number): Frame {
    const f = this.frames.get(imageId);
    if (!f) throw new AppError('INFERENCE', `Frame image ${imageId} was not encoded for the video memory model.`, 'Propagate again.');
    return f;
  }

  private track(trackId: number): Track {
    const t = this.tracks.get(trackId);
    if (!t) throw new AppError('INFERENCE', `Track ${trackId} has no memory bank in the video memory model.`, 'Propagate again.');
    return t;
  }

  private async decode(frame: Frame, imageEmbed: Tensor, prompt: { point_coords: FeedArray; point_labels: FeedArray }) {
    const out = await this.decoder.run({
      point_coords: this.tensor(prompt.point_coords),
      point_labels: this.tensor(prompt.point_labels),
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

  private async remember(track: Track, frameIndex: number, frame: Frame, cond: boolean, maskForMem: Tensor, objPtr: Float32Array) {
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

  /** The features the decoder sees: memory-conditioned, or with `no_mem_embed` when the bank has nothing for the frame. */
  private async conditioned(track: Track, frameIndex: number, frame: Frame): Promise<Tensor> {
    const mem = sam2AttentionFeeds(track.bank, frameIndex, {
      direction: track.direction,
      numFrames: track.numFrames,
      objPtrOffsets: this.layout.objPtrOffsets,
    });
    if (!mem) return frame.outputs['current_vision_feat']!;
    const feeds: Record<string, Tensor> = {
      current_vision_feat: frame.outputs['current_vision_feat']!,
      current_vision_pos_embed: frame.outputs['vision_pos_embed']!,
    };
    for (const [name, f] of Object.entries(mem.feeds)) feeds[name] = this.tensor(f);
    return (await this.attention.run(feeds))['fused_feat']!;
  }

  /** A person's mask on a frame (the start mask, a keyframe on the way): a conditioning frame whose output is the mask itself. */
  async addMask(trackId: number, frameIndex: number, imageId: number, rle: CocoRle): Promise<void> {
    const track = this.track(trackId);
    const frame = this.frame(imageId);
    const { width, height } = frame.size;
    if (rle.size[0] !== height || rle.size[1] !== width)
      throw new AppError('INFERENCE', `The mask is ${rle.size[1]}x${rle.size[0]}, the frame ${width}x${height}.`);
    const mask = maskFromRle(rle);
    const prompts = promptsFromMask(mask, width, height);
    if (!prompts) throw new AppError('INFERENCE', 'The mask is empty: nothing to follow.', 'Draw the object on the frame first.');
    const embed = await this.conditioned(track, frameIndex, frame);
    const f = sam2DecoderFeeds(prompts, frame.size);
    const d = await this.decode(frame, embed, { point_coords: f.point_coords, point_labels: f.point_labels });
    const maskForMem = new this.ort.Tensor('float32', sam2MaskForMemory(mask, frame.size), [1, 1, 1024, 1024]);
    await this.remember(track, frameIndex, frame, true, maskForMem, d.objPtr);
    track.previous = mask;
  }

  /** A frame without prompts: its mask from the memory alone (SAM 2's `propagate_in_video` step), put in the bank. */
  async step(trackId: number, frameIndex: number, imageId: number): Promise<Sam2VideoMask> {
    const track = this.track(trackId);
    const frame = this.frame(imageId);
    const embed = await this.conditioned(track, frameIndex, frame);
    const d = await this.decode(frame, embed, sam2NoPromptFeeds());
    const absent = d.objectScore !== null && d.objectScore <= 0;
    const mask = absent ? new Uint8Array(frame.size.width * frame.size.height) : sam2MaskFromLowRes(d.lowRes, 0, frame.size).mask;
    const flag = sam2VideoFlag(track.previous, mask, d.objectScore);
    await this.remember(track, frameIndex, frame, false, d.maskForMem, d.objPtr);
    track.previous = mask;
    const rle = rleFromMask(mask, frame.size.width, frame.size.height);
    return { rle, area: rleArea(rle), bbox: rleBbox(rle), score: d.objectScore, flag };
  }
}
