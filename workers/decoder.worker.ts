/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { AppError, encodeErrorForTransfer } from '../src/core/errors.ts';
import { LruCache } from '../src/core/lru.ts';
import { maskOverlayRgba, overlayScale, rgbFromHex } from '../src/core/mask/render.ts';
import { maskFromRle, rleFromMask, type CocoRle } from '../src/core/mask/rle.ts';
import { checkModelSignature, type ModelManifest } from '../src/core/sam/manifest.ts';
import { maskAreaAndBbox, maskFromLogits } from '../src/core/sam/postprocess.ts';
import { decoderPromptFeeds } from '../src/core/sam/prompts.ts';
import { createSession, fetchModel, loadOrt, type Ort } from './ort-runtime.ts';
import type { DecodeRequest, DecodeResult, DecoderApi, LiveMaskData, ProgressCallback, RuntimeOptions } from './protocol.ts';

interface Entry {
  tensor: Tensor;
  width: number;
  height: number;
}

let ort: Ort | null = null;
let session: InferenceSession | null = null;
let manifest: ModelManifest | null = null;
let embeddings = new LruCache<number, Entry>(6);

/** The newest decoded mask, kept here so the main thread never holds or scans its pixels. */
let live: { generation: number; imageId: number; mask: Uint8Array; width: number; height: number; score: number } | null = null;

function toBitmap(o: { data: Uint8ClampedArray<ArrayBuffer>; width: number; height: number }): ImageBitmap {
  const canvas = new OffscreenCanvas(o.width, o.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new AppError('INFERENCE', 'No 2D canvas in the decoder worker.');
  ctx.putImageData(new ImageData(o.data, o.width, o.height), 0, 0);
  return canvas.transferToImageBitmap();
}

const api: DecoderApi = {
  async init(m: ModelManifest, opts: RuntimeOptions, cacheSize: number, onProgress?: ProgressCallback): Promise<void> {
    try {
      manifest = m;
      embeddings = new LruCache<number, Entry>(cacheSize, (_k, e) => e.tensor.dispose());
      ort = await loadOrt(opts);
      const bytes = await fetchModel(m.decoderUrl, onProgress);
      session = await createSession(ort, m.decoderUrl, bytes, opts.backend);
      checkModelSignature('decoder', m.decoderUrl, session.inputNames, session.outputNames, m);
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },

  /** Stores an image's embedding (transferred in) in the bounded cache. */
  setEmbedding(imageId: number, embedding: Float32Array, width: number, height: number): void {
    if (!ort || !manifest) throw encodeErrorForTransfer(new AppError('MODEL_LOAD', 'The decoder is not loaded.'));
    embeddings.set(imageId, { tensor: new ort.Tensor('float32', embedding, manifest.embeddingShape), width, height });
  },

  cachedImageIds(): number[] {
    return embeddings.keys();
  },

  dropEmbedding(imageId: number): void {
    embeddings.get(imageId)?.tensor.dispose();
    embeddings.delete(imageId);
  },

  async decode(req: DecodeRequest): Promise<DecodeResult> {
    try {
      const t0 = performance.now();
      if (!ort || !session || !manifest) throw new AppError('MODEL_LOAD', 'The decoder is not loaded.');
      const e = embeddings.get(req.imageId);
      if (!e) throw new AppError('INFERENCE', `Image ${req.imageId} has no embedding yet.`, 'Wait for "ready" and click again.');
      const f = decoderPromptFeeds(req.prompts, e, manifest.normalization.inputSize);
      const out = await session.run({
        image_embeddings: e.tensor,
        point_coords: new ort.Tensor('float32', f.coords, [1, f.count, 2]),
        point_labels: new ort.Tensor('float32', f.labels, [1, f.count]),
        mask_input: new ort.Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
        has_mask_input: new ort.Tensor('float32', new Float32Array([0]), [1]),
        orig_im_size: new ort.Tensor('float32', new Float32Array([e.height, e.width]), [2]),
      });
      const decodeMs = performance.now() - t0;
      const logits = (await out['masks']!.getData()) as Float32Array;
      const score = ((await out['iou_predictions']!.getData()) as Float32Array)[0] ?? 0;
      for (const t of Object.values(out)) t.dispose();
      if (logits.length !== e.width * e.height) {
        throw new AppError('MODEL_SIGNATURE', `The decoder returned ${logits.length} mask values for a ${e.width}x${e.height} image.`);
      }
      const mask = maskFromLogits(logits);
      live = { generation: req.generation, imageId: req.imageId, mask, width: e.width, height: e.height, score };
      const { area, bbox } = maskAreaAndBbox(mask, e.width, e.height);
      const overlay = toBitmap(maskOverlayRgba(mask, e.width, e.height, rgbFromHex(req.color), 110, overlayScale(e.width, e.height)));
      const result: DecodeResult = {
        generation: req.generation,
        imageId: req.imageId,
        score,
        area,
        bbox,
        overlay,
        decodeMs,
        totalMs: performance.now() - t0,
      };
      return Comlink.transfer(result, [overlay]);
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },

  /** COCO RLE of the live mask of `generation`, or null if a newer mask replaced it. */
  liveMaskRle(generation: number): LiveMaskData | null {
    if (!live || live.generation !== generation) return null;
    const { area, bbox } = maskAreaAndBbox(live.mask, live.width, live.height);
    return { rle: rleFromMask(live.mask, live.width, live.height), area, bbox, score: live.score };
  },

  clearLive(): void {
    live = null;
  },

  /** Display overlay of a stored mask (e.g. an accepted annotation). */
  renderRle(rle: CocoRle, color: string, fillAlpha: number): ImageBitmap {
    try {
      const [h, w] = rle.size;
      const bmp = toBitmap(maskOverlayRgba(maskFromRle(rle), w, h, rgbFromHex(color), fillAlpha, overlayScale(w, h)));
      return Comlink.transfer(bmp, [bmp]);
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },
};

Comlink.expose(api);
