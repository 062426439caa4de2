/// <reference lib="webworker" />
/**
 * SAM 2 / 2.1's video memory worker (issue 29): the four graphs of pagarcia/sam2-onnx-cpp's layout in
 * onnxruntime-web (the runtime set up as the model's workers set it up, workers/ort-runtime.ts) and one
 * memory bank per track (workers/sam2video/runner.ts, NodeSam2Video's browser copy). Exposed as the
 * `Sam2VideoApi` (protocol.ts); errors cross with their code and hint.
 */
import * as Comlink from 'comlink';
import { AppError } from '../src/core/errors.ts';
import { withTransferableErrors } from './decoder/errors.ts';
import { decodeRgba } from './decodeRgba.ts';
import { fetchModel, loadOrt } from './ort-runtime.ts';
import type { Sam2VideoApi } from './protocol.ts';
import { Sam2VideoRunner } from './sam2video/runner.ts';

let runner: Sam2VideoRunner | null = null;

function loaded(): Sam2VideoRunner {
  if (!runner) throw new AppError('MODEL_LOAD', 'No SAM 2 video memory model is loaded.', 'Add one in Models.');
  return runner;
}

/** One run at a time: a track's steps are sequential anyway, and the four sessions are shared. */
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => undefined);
  return next;
}

const api: Sam2VideoApi = {
  async load(sources, opts) {
    runner = null;
    const ort = await loadOrt(opts);
    const files = await Promise.all(
      sources.map(async (s) => ({
        name: s.name,
        bytes: 'file' in s ? new Uint8Array(await s.file.arrayBuffer()) : await fetchModel(s.url),
      })),
    );
    runner = await Sam2VideoRunner.load(ort, files, opts.backend);
    return { ...runner.layout };
  },
  encodeFrame: (imageId, blob, name) =>
    serial(async () => {
      const r = loaded();
      return r.encodeFrame(imageId, await decodeRgba(blob, name));
    }),
  startTrack: async (trackId, numFrames, direction) => loaded().startTrack(trackId, numFrames, direction),
  addMask: (trackId, frame, imageId, rle) => serial(() => loaded().addMask(trackId, frame, imageId, rle)),
  track: (trackId, frame, imageId) => serial(() => loaded().step(trackId, frame, imageId)),
  dropTrack: async (trackId) => runner?.dropTrack(trackId),
};

Comlink.expose(withTransferableErrors(api));
