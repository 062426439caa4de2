/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import type { InferenceSession } from 'onnxruntime-web';
import { AppError, encodeErrorForTransfer } from '../src/core/errors.ts';
import { checkEmbeddingShape, checkModelSignature, SAM2_HIGH_RES, type ModelManifest } from '../src/core/sam/manifest.ts';
import { encoderInputFromRgba } from '../src/core/sam/preprocess.ts';
import { sam2EncoderInput } from '../src/core/sam/sam2.ts';
import { cropRgba, type PixelRect } from '../src/core/sam/roi.ts';
import { decodeRgba } from './decodeRgba.ts';
import { createSession, fetchModel, loadOrt, sessionBackend, type Ort, type SessionBackend } from './ort-runtime.ts';
import type { EncodeResult, EncoderApi, ProgressCallback, RuntimeOptions } from './protocol.ts';

let ort: Ort | null = null;
let session: InferenceSession | null = null;
let manifest: ModelManifest | null = null;

/** The last decoded image: batch jobs encode several crops of one image in a row. */
let lastDecoded: { key: string; data: Uint8ClampedArray; width: number; height: number } | null = null;

const api: EncoderApi = {
  async init(m: ModelManifest, opts: RuntimeOptions, onProgress?: ProgressCallback): Promise<SessionBackend> {
    try {
      manifest = m;
      ort = await loadOrt(opts);
      const bytes = await fetchModel(m.encoderUrl, onProgress);
      session = await createSession(ort, m.encoderUrl, bytes, opts.backend);
      checkModelSignature('encoder', m.encoderUrl, session.inputNames, session.outputNames, m);
      return sessionBackend(session);
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },

  /** Embedding of one image file; the result's buffer is transferred. */
  async encode(blob: Blob, name: string, crop?: PixelRect): Promise<EncodeResult> {
    try {
      if (!ort || !session || !manifest) throw new AppError('MODEL_LOAD', 'The encoder is not loaded.');
      const key = `${name}\u0000${blob.size}`;
      const img = lastDecoded?.key === key ? lastDecoded : { key, ...(await decodeRgba(blob, name)) };
      lastDecoded = crop ? img : null;
      let { data, width, height } = img;
      if (crop) {
        if (crop.x0 < 0 || crop.y0 < 0 || crop.x1 > width || crop.y1 > height || crop.x1 <= crop.x0 || crop.y1 <= crop.y0) {
          throw new AppError('INFERENCE', `The crop ${crop.x0},${crop.y0}-${crop.x1},${crop.y1} is outside ${name} (${width}x${height}).`);
        }
        data = new Uint8ClampedArray(cropRgba(data, { width, height }, crop));
        width = crop.x1 - crop.x0;
        height = crop.y1 - crop.y0;
      }
      const t0 = performance.now();
      const s = manifest.normalization.inputSize;
      const sam2 = manifest.family === 'sam2';
      // SAM 2: the whole image resized to the square, ImageNet normalization on 0–1 values (its own transforms)
      const input = sam2
        ? sam2EncoderInput(data, { width, height }, s)
        : encoderInputFromRgba(data, { width, height }, manifest.normalization);
      const out = await session.run({ [manifest.encoderInput]: new ort.Tensor('float32', input, [1, 3, s, s]) });
      const t = out[manifest.encoderOutput];
      if (!t) throw new AppError('MODEL_SIGNATURE', `${manifest.encoderUrl} gave no output ${manifest.encoderOutput}.`);
      checkEmbeddingShape(t.dims, manifest, manifest.encoderUrl);
      const embedding = (await t.getData()) as Float32Array;
      // SAM 2's high-resolution features go with the embedding (the decoder takes all three)
      const extra: Float32Array[] = [];
      if (sam2)
        for (const want of SAM2_HIGH_RES) {
          const h = out[want.name];
          if (!h || h.dims.length !== want.dims.length || h.dims.some((d, i) => d !== want.dims[i]))
            throw new AppError(
              'MODEL_SIGNATURE',
              `${manifest.encoderUrl} gave ${h ? `${want.name} of shape [${h.dims.join(', ')}]` : `no ${want.name}`}, expected [${want.dims.join(', ')}].`,
              'Use a SAM 2 / 2.1 image encoder export with a 1024 x 1024 input.',
            );
          extra.push((await h.getData()) as Float32Array);
        }
      const ms = performance.now() - t0;
      return Comlink.transfer({ embedding, extra, width, height, ms }, [embedding.buffer, ...extra.map((x) => x.buffer)]);
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },
};

Comlink.expose(api);
