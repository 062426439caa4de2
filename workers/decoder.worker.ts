/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { AppError, encodeErrorForTransfer } from '../src/core/errors.ts';
import { LruCache } from '../src/core/lru.ts';
import { maskFillRgba, maskOverlayRgba, overlayScale, rgbFromHex } from '../src/core/mask/render.ts';
import { outlineRingsFromRle } from '../src/core/mask/polygon.ts';
import { maskFromRle, rleBbox, rleFromMask, type CocoRle } from '../src/core/mask/rle.ts';
import { checkModelSignature, type ModelManifest } from '../src/core/sam/manifest.ts';
import { maskAreaAndBbox, maskFromLowResLogits } from '../src/core/sam/postprocess.ts';
import { composeLiveMask, paintStroke } from '../src/core/mask/brush.ts';
import { resizeLongestSideShape } from '../src/core/geometry.ts';
import { samDecoderFeeds, type SamDecoderFeeds } from '../src/core/sam/prompts.ts';
import { createSession, fetchModel, loadOrt, type Ort } from './ort-runtime.ts';
import type {
  DecodeRequest,
  DecodeResult,
  DecoderApi,
  EditResult,
  EmbeddingSource,
  LiveMaskData,
  ProgressCallback,
  RenderedMask,
  RuntimeOptions,
} from './protocol.ts';
import type { Prompts } from '../src/core/sam/prompts.ts';
import { amgMaskFromLogits, postprocessSmallRegions } from '../src/core/sam/amg.ts';
import { pasteMask } from '../src/core/sam/roi.ts';

interface Entry {
  tensor: Tensor;
  width: number;
  height: number;
}

let ort: Ort | null = null;
let session: InferenceSession | null = null;
let manifest: ModelManifest | null = null;
let embeddings = new LruCache<number, Entry>(6);
/** batch work's embedding (a crop, or an image kept out of the interactive cache) */
let scratch: Entry | null = null;

/**
 * One `session.run` at a time: batch work (pre-annotation) runs between interactive decodes, and an
 * interactive decode waiting goes first (priority 0), so a click waits at most one batch decode.
 */
let running = false;
const waiting: { priority: number; start: () => void }[] = [];
async function exclusive<T>(priority: 0 | 1, fn: () => Promise<T>): Promise<T> {
  if (running) {
    await new Promise<void>((start) => {
      waiting.push({ priority, start });
      waiting.sort((a, b) => a.priority - b.priority);
    });
  }
  running = true;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next.start();
    else running = false;
  }
}

function entryOf(source: EmbeddingSource): Entry {
  const e = source === 'scratch' ? scratch : embeddings.get(source.imageId);
  if (!e)
    throw new AppError('INFERENCE', source === 'scratch' ? 'No batch embedding is set.' : `Image ${source.imageId} has no embedding.`);
  return e;
}

/**
 * Model-space mask logits, predicted IoU and low-res logits for prompts on an embedding (prompts in
 * the embedded region's px), with `maskInput` (previous low-res logits) fed back when given.
 */
async function runDecoder(
  e: Entry,
  prompts: Prompts,
  maskInput: Float32Array | null = null,
): Promise<{ logits: Float32Array; modelSize: { width: number; height: number }; score: number; lowRes: Float32Array | null }> {
  if (!ort || !session || !manifest) throw new AppError('MODEL_LOAD', 'The decoder is not loaded.');
  // the model upsamples to orig_im_size; asking for the model-space size (the default) keeps that
  // cheap, and the last resize to the image size is done in core without full-size logits
  const ms = resizeLongestSideShape(e, manifest.normalization.inputSize);
  const out = await session.run({
    image_embeddings: e.tensor,
    ...tensors(samDecoderFeeds(prompts, e, { inputSize: manifest.normalization.inputSize, maskInput })),
  });
  const logits = (await out['masks']!.getData()) as Float32Array;
  const score = ((await out['iou_predictions']!.getData()) as Float32Array)[0] ?? 0;
  const lowRes = out['low_res_masks'] ? ((await out['low_res_masks'].getData()) as Float32Array) : null;
  for (const t of Object.values(out)) t.dispose();
  if (logits.length !== ms.width * ms.height) {
    throw new AppError('MODEL_SIGNATURE', `The decoder returned ${logits.length} mask values, expected ${ms.width}x${ms.height}.`);
  }
  return { logits, modelSize: ms, score, lowRes };
}

/** The decoder's feeds as onnxruntime tensors. */
function tensors(f: SamDecoderFeeds): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, a] of Object.entries(f)) out[name] = new ort!.Tensor('float32', a.data, a.dims);
  return out;
}

/** The newest decoded mask, kept here so the main thread never holds or scans its pixels. */
interface Live {
  generation: number;
  imageId: number;
  /** model-space logits and their size; the full-size mask is made from them when first needed */
  logits: Float32Array;
  modelSize: { width: number; height: number };
  width: number;
  height: number;
  score: number;
  full: { mask: Uint8Array; area: number; bbox: [number, number, number, number] } | null;
}
let live: Live | null = null;

function fullMask(l: Live): NonNullable<Live['full']> {
  l.full ??= maskFromLowResLogits(l.logits, l.modelSize, l);
  return l.full;
}

/** The manual edit of the shown image: a base mask (an annotation being edited) and brush strokes. */
interface Edit {
  imageId: number;
  width: number;
  height: number;
  base: Uint8Array | null;
  manual: Int8Array | null;
}
let edit: Edit | null = null;
/**
 * Low-res logits of recent decodes by generation (256x256 floats each): the next click's mask_input,
 * and what undo/redo feed again to give back exactly the mask that was shown at a step.
 */
const LOW_RES_KEPT = 128;
const lowResByGeneration = new Map<number, { imageId: number; data: Float32Array }>();

function hasEdit(imageId: number): boolean {
  return !!edit && edit.imageId === imageId && (edit.base !== null || edit.manual !== null);
}

/** The live mask of the edit, with the SAM mask when `withSam`. */
function composed(e: Edit, withSam: boolean): Uint8Array {
  const sam = withSam && live && live.imageId === e.imageId ? fullMask(live).mask : null;
  return composeLiveMask(sam, e.base, e.manual, e.width * e.height);
}

function editResult(e: Edit, color: string, withSam: boolean): EditResult {
  const mask = composed(e, withSam);
  const { area, bbox } = maskAreaAndBbox(mask, e.width, e.height);
  if (area === 0 && !withSam) return { overlay: null, area, bbox };
  const overlay = toBitmap(maskOverlayRgba(mask, e.width, e.height, rgbFromHex(color), 110, overlayScale(e.width, e.height)));
  return Comlink.transfer({ overlay, area, bbox }, [overlay]);
}

function toBitmap(o: { data: Uint8ClampedArray<ArrayBuffer>; width: number; height: number }): ImageBitmap {
  const canvas = new OffscreenCanvas(o.width, o.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new AppError('INFERENCE', 'No 2D canvas in the decoder worker.');
  ctx.putImageData(new ImageData(o.data, o.width, o.height), 0, 0);
  return canvas.transferToImageBitmap();
}

/** The live overlay of a SAM mask (with the edit composed in, if any), and its area and box. */
function samOverlay(
  l: Live,
  color: string,
): { overlay: ImageBitmap; stats: { area: number; bbox: [number, number, number, number]; approximate: boolean } } {
  const rgb = rgbFromHex(color);
  const k = overlayScale(l.width, l.height);
  if (hasEdit(l.imageId)) {
    const mask = composed(edit!, true);
    const st = maskAreaAndBbox(mask, l.width, l.height);
    return {
      overlay: toBitmap(maskOverlayRgba(mask, l.width, l.height, rgb, 110, k)),
      stats: { area: st.area, bbox: st.bbox, approximate: false },
    };
  }
  if (k === 1) {
    const full = fullMask(l);
    return {
      overlay: toBitmap(maskOverlayRgba(full.mask, l.width, l.height, rgb, 110)),
      stats: { area: full.area, bbox: full.bbox, approximate: false },
    };
  }
  // a large image: the overlay is made at its own (smaller) size straight from the logits, so the
  // click is answered without building the full-size mask; area and box are estimated from it
  const ow = Math.ceil(l.width * k);
  const oh = Math.ceil(l.height * k);
  const small = maskFromLowResLogits(l.logits, l.modelSize, { width: ow, height: oh });
  const sx = l.width / ow;
  const sy = l.height / oh;
  const [bx, by, bw, bh] = small.bbox;
  return {
    overlay: toBitmap(maskOverlayRgba(small.mask, ow, oh, rgb, 110)),
    stats: {
      area: Math.round(small.area * sx * sy),
      bbox: [Math.round(bx * sx), Math.round(by * sy), Math.round(bw * sx), Math.round(bh * sy)],
      approximate: true,
    },
  };
}

async function decodeNow(req: DecodeRequest): Promise<DecodeResult> {
  try {
    const t0 = performance.now();
    if (!ort || !session || !manifest) throw new AppError('MODEL_LOAD', 'The decoder is not loaded.');
    const e = embeddings.get(req.imageId);
    if (!e) throw new AppError('INFERENCE', `Image ${req.imageId} has no embedding yet.`, 'Wait for "ready" and click again.');
    const prev = req.feedbackFrom === null ? undefined : lowResByGeneration.get(req.feedbackFrom);
    const feedback = prev && prev.imageId === req.imageId ? Float32Array.from(prev.data) : null;
    const { logits, modelSize: ms, score, lowRes } = await runDecoder(e, req.prompts, feedback);
    const decodeMs = performance.now() - t0;
    if (lowRes && lowRes.length === 256 * 256) {
      lowResByGeneration.set(req.generation, { imageId: req.imageId, data: lowRes });
      for (const g of lowResByGeneration.keys()) if (lowResByGeneration.size > LOW_RES_KEPT) lowResByGeneration.delete(g);
    }
    const l: Live = {
      generation: req.generation,
      imageId: req.imageId,
      logits,
      modelSize: ms,
      width: e.width,
      height: e.height,
      score,
      full: null,
    };
    live = l;
    const { overlay, stats } = samOverlay(l, req.color);
    const result: DecodeResult = {
      generation: req.generation,
      imageId: req.imageId,
      score,
      ...stats,
      overlay,
      decodeMs,
      totalMs: performance.now() - t0,
    };
    return Comlink.transfer(result, [overlay]);
  } catch (e) {
    throw encodeErrorForTransfer(e);
  }
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

  dropAll(): void {
    for (const id of embeddings.keys()) embeddings.get(id)?.tensor.dispose();
    embeddings = new LruCache<number, Entry>(embeddings.capacity, (_k, e) => e.tensor.dispose());
    live = null;
    edit = null;
    lowResByGeneration.clear();
  },

  decode(req: DecodeRequest): Promise<DecodeResult> {
    return exclusive(0, () => decodeNow(req));
  },

  hasEmbedding(imageId: number): boolean {
    return embeddings.get(imageId) !== undefined;
  },

  setScratch(embedding: Float32Array, width: number, height: number): void {
    if (!ort || !manifest) throw encodeErrorForTransfer(new AppError('MODEL_LOAD', 'The decoder is not loaded.'));
    scratch?.tensor.dispose();
    scratch = { tensor: new ort.Tensor('float32', embedding, manifest.embeddingShape), width, height };
  },

  batchMask(source, prompts, paste) {
    return exclusive(1, async () => {
      try {
        const e = entryOf(source);
        const r = await runDecoder(e, prompts);
        const m = maskFromLowResLogits(r.logits, r.modelSize, e);
        if (!paste) return { rle: rleFromMask(m.mask, e.width, e.height), area: m.area, bbox: m.bbox, score: r.score };
        const full = pasteMask(m.mask, paste.roi, paste);
        const { area, bbox } = maskAreaAndBbox(full, paste.width, paste.height);
        return { rle: rleFromMask(full, paste.width, paste.height), area, bbox, score: r.score };
      } catch (err) {
        throw encodeErrorForTransfer(err);
      }
    });
  },

  amgMask(source, point, crop, image, params) {
    return exclusive(1, async () => {
      try {
        const e = entryOf(source);
        const r = await runDecoder(e, { points: [{ x: point.x, y: point.y, positive: true }], box: null });
        return amgMaskFromLogits(r.logits, r.modelSize, r.score, point, crop, image, params);
      } catch (err) {
        throw encodeErrorForTransfer(err);
      }
    });
  },

  amgSmallRegions(masks, minArea, nmsThresh) {
    try {
      return postprocessSmallRegions(masks, minArea, nmsThresh);
    } catch (err) {
      throw encodeErrorForTransfer(err);
    }
  },

  /** COCO RLE of the live mask of `generation`, or null if a newer mask replaced it. */
  liveMaskRle(generation: number, withSam: boolean): LiveMaskData | null {
    if (withSam && (!live || live.generation !== generation)) return null;
    const score = withSam && live ? live.score : 0;
    if (edit && (!withSam || edit.imageId === live!.imageId) && hasEdit(edit.imageId)) {
      const mask = composed(edit, withSam);
      const { area, bbox } = maskAreaAndBbox(mask, edit.width, edit.height);
      return { rle: rleFromMask(mask, edit.width, edit.height), area, bbox, score };
    }
    if (!withSam || !live) return null;
    const { mask, area, bbox } = fullMask(live);
    return { rle: rleFromMask(mask, live.width, live.height), area, bbox, score };
  },

  recolorLive(imageId, color, withSam) {
    try {
      if (withSam && live && live.imageId === imageId) {
        const { overlay, stats } = samOverlay(live, color);
        return Comlink.transfer({ overlay, area: stats.area, bbox: stats.bbox }, [overlay]);
      }
      if (edit && edit.imageId === imageId) return editResult(edit, color, false);
      return { overlay: null, area: 0, bbox: [0, 0, 0, 0] };
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },

  clearLive(): void {
    live = null;
    edit = null;
  },

  editReset(imageId: number, width: number, height: number, base: CocoRle | null): void {
    edit = { imageId, width, height, base: base ? maskFromRle(base) : null, manual: null };
  },

  editStrokes(imageId, strokes, color, withSam) {
    try {
      if (!edit || edit.imageId !== imageId) throw new AppError('INFERENCE', 'No edit under way for this image.');
      edit.manual = strokes.length ? new Int8Array(edit.width * edit.height) : null;
      for (const st of strokes) paintStroke(edit.manual!, edit.width, edit.height, st);
      return editResult(edit, color, withSam);
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },

  editAddStroke(imageId, stroke, color, withSam) {
    try {
      if (!edit || edit.imageId !== imageId) throw new AppError('INFERENCE', 'No edit under way for this image.');
      edit.manual ??= new Int8Array(edit.width * edit.height);
      paintStroke(edit.manual, edit.width, edit.height, stroke);
      return editResult(edit, color, withSam);
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },

  async benchRaw(imageId: number, n: number): Promise<number[]> {
    try {
      if (!ort || !session || !manifest) throw new AppError('MODEL_LOAD', 'The decoder is not loaded.');
      const e = embeddings.get(imageId);
      if (!e) throw new AppError('INFERENCE', `Image ${imageId} has no embedding yet.`);
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        // a different point each run, like a user's clicks
        const feeds = tensors(
          samDecoderFeeds(
            { points: [{ x: (((i * 37) % 97) / 97) * e.width, y: (((i * 53) % 89) / 89) * e.height, positive: true }], box: null },
            e,
            { inputSize: manifest.normalization.inputSize },
          ),
        );
        const t0 = performance.now();
        const sess = session;
        const out = await exclusive(0, () => sess.run({ image_embeddings: e.tensor, ...feeds }));
        times.push(performance.now() - t0);
        for (const t of Object.values(out)) t.dispose();
      }
      return times;
    } catch (err) {
      throw encodeErrorForTransfer(err);
    }
  },

  /** Display of a stored mask: the fill over its box only (memory: a box, not the image), and its outline. */
  renderMask(rle: CocoRle, color: string): RenderedMask {
    try {
      const [x, y, w, h] = rleBbox(rle);
      const outline = outlineRingsFromRle(rle, 0.7);
      if (w === 0 || h === 0) return { bitmap: null, x, y, width: w, height: h, outline };
      const W = rle.size[1];
      const full = maskFromRle(rle);
      const crop = new Uint8Array(w * h);
      for (let r = 0; r < h; r++) crop.set(full.subarray((y + r) * W + x, (y + r) * W + x + w), r * w);
      const bitmap = toBitmap(maskFillRgba(crop, w, h, rgbFromHex(color), overlayScale(w, h)));
      return Comlink.transfer({ bitmap, x, y, width: w, height: h, outline }, [bitmap]);
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },
};

Comlink.expose(api);
