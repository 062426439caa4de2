/**
 * SAM 2 / 2.1's video memory path in onnxruntime-web (issue 29): the four graphs of pagarcia/sam2-onnx-cpp's
 * layout (src/core/video/sam2VideoLayout.ts) told apart by their names, driven by the runner every runtime
 * shares (src/core/video/sam2VideoRunner.ts). Frames are encoded here from their files and one memory bank per
 * track is kept here: pixels, features and memories never leave the worker; masks come and go as RLE.
 */
import type * as OrtModule from 'onnxruntime-web';
import { AppError } from '../../src/core/errors.ts';
import type { Size } from '../../src/core/geometry.ts';
import { maskFromRle, rleArea, rleBbox, rleFromMask, type CocoRle } from '../../src/core/mask/rle.ts';
import { bytesSource, scanOnnx } from '../../src/core/sam/onnxScan.ts';
import { detectSam2VideoLayout, SAM2_VIDEO_HINT, type NamedIo, type Sam2VideoLayout } from '../../src/core/video/sam2VideoLayout.ts';
import { Sam2VideoMemory, type Sam2VideoFrame, type Sam2VideoTrack } from '../../src/core/video/sam2VideoRunner.ts';
import { createSession, type Ort } from '../ort-runtime.ts';
import type { BackendName, Sam2VideoMask } from '../protocol.ts';

type Tensor = OrtModule.Tensor;

/** frames kept encoded (a frame's outputs are ~24 MB at SAM 2's sizes): the step's frame and the one before */
const KEPT_FRAMES = 2;

export class Sam2VideoRunner {
  private readonly frames = new Map<number, Sam2VideoFrame<Tensor>>();
  private readonly tracks = new Map<number, Sam2VideoTrack>();

  private constructor(private readonly memory: Sam2VideoMemory<Tensor>) {}

  get layout(): Sam2VideoLayout {
    return this.memory.layout;
  }

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
    const memory = new Sam2VideoMemory<Tensor>(l, {
      encoder: await open(l.encoder),
      decoder: await open(l.decoder),
      attention: await open(l.memoryAttention),
      memoryEncoder: await open(l.memoryEncoder),
      tensor: (data, dims) => new ort.Tensor('float32', data, dims),
    });
    return new Sam2VideoRunner(memory);
  }

  /** Encodes a frame (SAM 2's preprocessing of the whole frame), kept under its image id for the next steps. */
  async encodeFrame(imageId: number, image: { data: Uint8ClampedArray; width: number; height: number }): Promise<Size> {
    const frame = await this.memory.encodeFrame(image);
    this.frames.delete(imageId);
    this.frames.set(imageId, frame);
    while (this.frames.size > KEPT_FRAMES) this.frames.delete(this.frames.keys().next().value!);
    return frame.size;
  }

  hasFrame(imageId: number): boolean {
    return this.frames.has(imageId);
  }

  /** A new, empty memory bank for the track (a run over a clip of `numFrames` frames in `direction`). */
  startTrack(trackId: number, numFrames: number, direction: 1 | -1): void {
    this.tracks.set(trackId, Sam2VideoMemory.track(numFrames, direction));
  }

  dropTrack(trackId: number): void {
    this.tracks.delete(trackId);
  }

  private frame(imageId: number): Sam2VideoFrame<Tensor> {
    const f = this.frames.get(imageId);
    if (!f) throw new AppError('INFERENCE', `Frame image ${imageId} was not encoded for the video memory model.`, 'Propagate again.');
    return f;
  }

  private track(trackId: number): Sam2VideoTrack {
    const t = this.tracks.get(trackId);
    if (!t) throw new AppError('INFERENCE', `Track ${trackId} has no memory bank in the video memory model.`, 'Propagate again.');
    return t;
  }

  /** A person's mask on a frame (the start mask, a keyframe on the way): a conditioning frame whose output is the mask itself. */
  async addMask(trackId: number, frameIndex: number, imageId: number, rle: CocoRle): Promise<void> {
    const track = this.track(trackId);
    const frame = this.frame(imageId);
    const { width, height } = frame.size;
    if (rle.size[0] !== height || rle.size[1] !== width)
      throw new AppError('INFERENCE', `The mask is ${rle.size[1]}x${rle.size[0]}, the frame ${width}x${height}.`);
    await this.memory.addMask(track, frameIndex, frame, maskFromRle(rle));
  }

  /** A frame without prompts: its mask from the memory alone (SAM 2's `propagate_in_video` step), put in the bank. */
  async step(trackId: number, frameIndex: number, imageId: number): Promise<Sam2VideoMask> {
    const frame = this.frame(imageId);
    const r = await this.memory.propagate(this.track(trackId), frameIndex, frame);
    const rle = rleFromMask(r.mask, frame.size.width, frame.size.height);
    return { rle, area: rleArea(rle), bbox: rleBbox(rle), score: r.objectScore, flag: r.flag };
  }
}
