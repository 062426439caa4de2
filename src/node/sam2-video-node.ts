/**
 * SAM 2 / 2.1's video memory path in onnxruntime-node (issue 29): the four graphs of pagarcia/sam2-onnx-cpp's
 * layout (src/core/video/sam2VideoLayout.ts) loaded from files, told apart by their names, and driven by the one
 * runner every runtime shares (src/core/video/sam2VideoRunner.ts, where the steps are described).
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../core/errors.ts';
import { scanOnnx, type ByteSource } from '../core/sam/onnxScan.ts';
import {
  detectSam2VideoLayout,
  SAM2_VIDEO_HINT,
  sam2VideoModelId,
  type NamedIo,
  type Sam2VideoLayout,
} from '../core/video/sam2VideoLayout.ts';
import { Sam2VideoMemory, type Sam2VideoFrame as Frame } from '../core/video/sam2VideoRunner.ts';

export type { Sam2VideoStep, Sam2VideoTrack } from '../core/video/sam2VideoRunner.ts';
/** One frame's encoder outputs, shared by every object on it. */
export type Sam2VideoFrame = Frame<ort.Tensor>;

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

export class NodeSam2Video extends Sam2VideoMemory<ort.Tensor> {
  private constructor(
    layout: Sam2VideoLayout,
    sessions: {
      encoder: ort.InferenceSession;
      decoder: ort.InferenceSession;
      attention: ort.InferenceSession;
      memoryEncoder: ort.InferenceSession;
    },
    /** what annotations record as `model`: `sam2-video:` and the graphs' folder (an export's folder names its model) */
    readonly modelId: string,
  ) {
    super(layout, { ...sessions, tensor: (data, dims) => new ort.Tensor('float32', data, dims) });
  }

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
    return new NodeSam2Video(
      l,
      {
        encoder: await open(l.encoder),
        decoder: await open(l.decoder),
        attention: await open(l.memoryAttention),
        memoryEncoder: await open(l.memoryEncoder),
      },
      sam2VideoModelId(resolve(l.encoder)),
    );
  }
}
