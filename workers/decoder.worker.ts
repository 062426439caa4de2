/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { AppError, encodeErrorForTransfer } from '../src/core/errors.ts';
import { LruCache } from '../src/core/lru.ts';
import { maskFillRgba, maskOverlayRgba, maskOverlayRgbaInto, overlayRectOf, overlayScale, rgbFromHex } from '../src/core/mask/render.ts';
import { outlineRingsFromRle } from '../src/core/mask/polygon.ts';
import { maskFromRle, rleBbox, rleFromMask, type CocoRle } from '../src/core/mask/rle.ts';
import { checkModelSignature, embeddingBytes, SAM2_HIGH_RES, type ModelManifest } from '../src/core/sam/manifest.ts';
import { checkSam2LowRes, sam2LowResOutput, sam2PromptFeeds } from '../src/core/sam/sam2.ts';
import { maskAreaAndBbox, maskFromLowResLogits, modelLogitsFromLowRes } from '../src/core/sam/postprocess.ts';
import { candidatePlane, decoderPick, rankCandidates, type MaskCandidate } from '../src/core/sam/candidates.ts';
import { CANDIDATE_OUTPUT_NAMES } from '../src/core/sam/manifest.ts';
import { feedbackForFrame, promptsInCrop, rectSize, wholeImage } from '../src/core/sam/zoomIn.ts';
import { composeLiveMask, LiveComposite, paintStroke } from '../src/core/mask/brush.ts';
import { resizeLongestSideShape } from '../src/core/geometry.ts';
import { samDecoderFeeds, type SamDecoderFeeds } from '../src/core/sam/prompts.ts';
import { createSession, fetchModel, loadOrt, type Ort } from './ort-runtime.ts';
import type {
  DecodeRequest,
  DecodeResult,
  DecoderApi,
  EditResult,
  HoverResult,
  EmbeddingSource,
  LiveMaskData,
  ProgressCallback,
  RenderedMask,
  RuntimeOptions,
} from './protocol.ts';
import type { Prompts } from '../src/core/sam/prompts.ts';
import { amgMaskFromLogits, postprocessSmallRegions } from '../src/core/sam/amg.ts';
import { pasteMask, type PixelRect } from '../src/core/sam/roi.ts';

interface Entry {
  tensor: Tensor;
  /** SAM 2's high-resolution features (empty for SAM 1 style models) */
  extra: Tensor[];
  width: number;
  height: number;
}

const disposeEntry = (e: Entry) => {
  e.tensor.dispose();
  for (const t of e.extra) t.dispose();
};

let ort: Ort | null = null;
let session: InferenceSession | null = null;
let manifest: ModelManifest | null = null;
/** the image embeddings, bounded in bytes (a SAM 2 image's tensors weigh ~4x a SAM 1 one's) */
let embeddings = new LruCache<number, Entry>(1, (_k, e) => disposeEntry(e));
let cacheBytes = 1;
/** zoom-in crops' embeddings, by image and crop; the engine says which to drop (it mirrors this set) */
const crops = new Map<string, Entry>();
function dropCrops(match: (key: string) => boolean): void {
  for (const [k, e] of crops)
    if (match(k)) {
      disposeEntry(e);
      crops.delete(k);
    }
}
const isSam2 = () => manifest?.family === 'sam2';

/** An embedding from the encoder as tensors (SAM 2's extra outputs with their shapes). */
function entryFrom(embedding: Float32Array, extra: Float32Array[], width: number, height: number): Entry {
  if (!ort || !manifest) throw encodeErrorForTransfer(new AppError('MODEL_LOAD', 'The decoder is not loaded.'));
  const o = ort;
  const want = isSam2() ? SAM2_HIGH_RES : [];
  if (extra.length !== want.length)
    throw encodeErrorForTransfer(
      new AppError('INFERENCE', `The embedding came with ${extra.length} extra tensors, expected ${want.length}.`),
    );
  return {
    tensor: new o.Tensor('float32', embedding, manifest.embeddingShape),
    extra: want.map((w, i) => new o.Tensor('float32', extra[i]!, [...w.dims])),
    width,
    height,
  };
}
const cropKey = (imageId: number, r: PixelRect) => `${imageId}:${r.x0},${r.y0},${r.x1},${r.y1}`;
/** whether the decoder outputs every mask and predicted IoU (see src/node/decoderCandidates.ts) */
let withCandidates = false;
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

interface DecoderRun {
  logits: Float32Array;
  modelSize: { width: number; height: number };
  score: number;
  lowRes: Float32Array | null;
  /** every mask's predicted IoU and low-res logits [4, 256, 256] (decoders with candidate outputs) */
  iousAll: Float32Array | null;
  lowResAll: Float32Array | null;
}

/**
 * Model-space mask logits, predicted IoU and low-res logits for prompts on an embedding (prompts in
 * the embedded region's px), with `maskInput` (previous low-res logits) fed back when given.
 */
async function runDecoder(e: Entry, prompts: Prompts, maskInput: Float32Array | null = null): Promise<DecoderRun> {
  if (!ort || !session || !manifest) throw new AppError('MODEL_LOAD', 'The decoder is not loaded.');
  if (isSam2()) return runSam2Decoder(e, prompts, maskInput);
  // the model upsamples to orig_im_size; asking for the model-space size (the default) keeps that
  // cheap, and the last resize to the image size is done in core without full-size logits
  const ms = resizeLongestSideShape(e, manifest.normalization.inputSize);
  runCount++;
  const out = await session.run({
    image_embeddings: e.tensor,
    ...tensors(samDecoderFeeds(prompts, e, { inputSize: manifest.normalization.inputSize, maskInput })),
  });
  const logits = (await out['masks']!.getData()) as Float32Array;
  const score = ((await out['iou_predictions']!.getData()) as Float32Array)[0] ?? 0;
  const lowRes = out['low_res_masks'] ? ((await out['low_res_masks'].getData()) as Float32Array) : null;
  const [iouName, lowResName] = CANDIDATE_OUTPUT_NAMES;
  const iousAll = out[iouName] ? ((await out[iouName].getData()) as Float32Array) : null;
  const lowResAll = out[lowResName] ? ((await out[lowResName].getData()) as Float32Array) : null;
  for (const t of Object.values(out)) t.dispose();
  if (logits.length !== ms.width * ms.height) {
    throw new AppError('MODEL_SIGNATURE', `The decoder returned ${logits.length} mask values, expected ${ms.width}x${ms.height}.`);
  }
  return { logits, modelSize: ms, score, lowRes, iousAll, lowResAll };
}

/**
 * SAM 2: the three candidates of its multi-mask output; the mask is the one of highest predicted IoU.
 * Its logits are the 256x256 low-res ones, resized straight to the image (SAM 2's own post-processing):
 * `modelSize` is then 256x256, and every later step treats them as it treats SAM 1's model-space logits.
 */
async function runSam2Decoder(e: Entry, prompts: Prompts, maskInput: Float32Array | null): Promise<DecoderRun> {
  runCount++;
  const out = await session!.run(sam2Feeds(e, prompts, maskInput));
  const lowName = sam2LowResOutput(session!.outputNames);
  const low = out[lowName]!;
  const iousAll = Float32Array.from((await out['iou_predictions']!.getData()) as Float32Array);
  const dims = [...low.dims];
  const lowResAll = Float32Array.from((await low.getData()) as Float32Array);
  for (const t of Object.values(out)) t.dispose();
  checkSam2LowRes(dims, lowName, iousAll.length, manifest!.decoderUrl);
  const best = decoderPick(iousAll, prompts, 'sam2');
  const lowRes = Float32Array.from(candidatePlane(lowResAll, best, 256 * 256));
  return { logits: lowRes, modelSize: SAM2_LOGITS_SIZE, score: iousAll[best]!, lowRes, iousAll, lowResAll };
}
const SAM2_LOGITS_SIZE = { width: 256, height: 256 };

/** A SAM 2 decoder's feeds: the embedding's three tensors and the prompts, as the loaded export takes them. */
function sam2Feeds(e: Entry, prompts: Prompts, maskInput: Float32Array | null): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = { image_embed: e.tensor };
  SAM2_HIGH_RES.forEach((h, i) => (feeds[h.name] = e.extra[i]!));
  const f = sam2PromptFeeds(session!.inputNames, prompts, e, { inputSize: manifest!.normalization.inputSize, maskInput });
  for (const [name, a] of Object.entries(f)) feeds[name] = new ort!.Tensor('float32', a.data, a.dims);
  return feeds;
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
  /** the image's size */
  width: number;
  height: number;
  /** the region the logits cover: the whole image, or a zoom-in crop (pasted back at full size) */
  frame: PixelRect;
  score: number;
  full: { mask: Uint8Array; area: number; bbox: [number, number, number, number] } | null;
}
let live: Live | null = null;

const isWhole = (l: Live) => l.frame.x0 === 0 && l.frame.y0 === 0 && l.frame.x1 === l.width && l.frame.y1 === l.height;

function fullMask(l: Live): NonNullable<Live['full']> {
  if (!l.full) {
    if (isWhole(l)) l.full = maskFromLowResLogits(l.logits, l.modelSize, l);
    else {
      const mask = pasteMask(maskFromLowResLogits(l.logits, l.modelSize, rectSize(l.frame)).mask, l.frame, l);
      l.full = { mask, ...maskAreaAndBbox(mask, l.width, l.height) };
    }
  }
  return l.full;
}

/**
 * The last decoder runs and what they were for: choosing another candidate of the shown mask, or
 * clicking where the hover preview was, decodes nothing.
 */
const RUNS_KEPT = 2;
const recentRuns: { key: string; run: DecoderRun }[] = [];
function keptRun(key: string): DecoderRun | null {
  return recentRuns.find((r) => r.key === key)?.run ?? null;
}
function keepRun(key: string, run: DecoderRun): void {
  const i = recentRuns.findIndex((r) => r.key === key);
  if (i >= 0) recentRuns.splice(i, 1);
  recentRuns.unshift({ key, run });
  recentRuns.length = Math.min(recentRuns.length, RUNS_KEPT);
}
const runKey = (imageId: number, prompts: Prompts, frame: PixelRect, feedbackFrom: number | null) =>
  JSON.stringify([imageId, prompts, frame, feedbackFrom]);
let runCount = 0;
/** hover requests up to this one are stale (a newer hover or a click came) */
let hoverStale = 0;
let hoverLatest = 0;

const PREVIEW_SIDE = 96;
/** fill opacity of the hover preview (the live mask's is 110 of 255) */
const HOVER_ALPHA = 60;

/**
 * Small previews of the candidates: each low-res mask over the union of their boxes (grown a
 * little), nearest-sampled to at most {@link PREVIEW_SIDE} px, in the mask colour.
 */
function candidatePreviews(
  run: DecoderRun,
  tokens: readonly number[],
  frame: PixelRect,
  color: string,
): { previews: ImageBitmap[]; box: [number, number, number, number] | null } {
  if (!run.lowResAll || tokens.length === 0) return { previews: [], box: null };
  const fs = rectSize(frame);
  // SAM 2's logits are the low-res ones themselves (one cell each)
  const cell = isSam2() ? 1 : manifest!.normalization.inputSize / 256;
  // image px per low-res cell
  const sx = (cell * fs.width) / run.modelSize.width;
  const sy = (cell * fs.height) / run.modelSize.height;
  const cw = Math.min(256, Math.ceil(run.modelSize.width / cell));
  const ch = Math.min(256, Math.ceil(run.modelSize.height / cell));
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const t of tokens) {
    const plane = candidatePlane(run.lowResAll, t, 256 * 256);
    for (let v = 0; v < ch; v++)
      for (let u = 0; u < cw; u++)
        if (plane[v * 256 + u]! > 0) {
          if (u < x0) x0 = u;
          if (u > x1) x1 = u;
          if (v < y0) y0 = v;
          if (v > y1) y1 = v;
        }
  }
  if (x1 < 0) return { previews: [], box: null };
  // grow by a fifth of the box and to a square-ish window, clipped to the frame
  const gx = Math.max(2, (x1 - x0 + 1) * 0.2);
  const gy = Math.max(2, (y1 - y0 + 1) * 0.2);
  const bx0 = Math.max(0, Math.floor((x0 - gx) * sx));
  const by0 = Math.max(0, Math.floor((y0 - gy) * sy));
  const bx1 = Math.min(fs.width, Math.ceil((x1 + 1 + gx) * sx));
  const by1 = Math.min(fs.height, Math.ceil((y1 + 1 + gy) * sy));
  const bw = Math.max(1, bx1 - bx0);
  const bh = Math.max(1, by1 - by0);
  const k = PREVIEW_SIDE / Math.max(bw, bh);
  const pw = Math.max(1, Math.round(bw * k));
  const ph = Math.max(1, Math.round(bh * k));
  const [r, g, b] = rgbFromHex(color);
  const previews = tokens.map((t) => {
    const plane = candidatePlane(run.lowResAll!, t, 256 * 256);
    const rgba = new Uint8ClampedArray(pw * ph * 4);
    for (let py = 0; py < ph; py++) {
      const v = Math.min(ch - 1, Math.floor((by0 + ((py + 0.5) * bh) / ph) / sy));
      for (let px = 0; px < pw; px++) {
        const u = Math.min(cw - 1, Math.floor((bx0 + ((px + 0.5) * bw) / pw) / sx));
        if (plane[v * 256 + u]! > 0) {
          const o = (py * pw + px) * 4;
          rgba[o] = r;
          rgba[o + 1] = g;
          rgba[o + 2] = b;
          rgba[o + 3] = 150;
        }
      }
    }
    return toBitmap({ data: rgba, width: pw, height: ph });
  });
  return { previews, box: [frame.x0 + bx0, frame.y0 + by0, bw, bh] };
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
const lowResByGeneration = new Map<number, { imageId: number; data: Float32Array; frame: PixelRect }>();

function hasEdit(imageId: number): boolean {
  return !!edit && edit.imageId === imageId && (edit.base !== null || edit.manual !== null);
}

/** The live mask of the edit, with the SAM mask when `withSam`. */
function composed(e: Edit, withSam: boolean): Uint8Array {
  const sam = withSam && live && live.imageId === e.imageId ? fullMask(live).mask : null;
  return composeLiveMask(sam, e.base, e.manual, e.width * e.height);
}

/**
 * The composed live mask of the edit and its overlay, kept between the pieces of strokes: a piece
 * composes and redraws only the pixels it touched and sends that patch of the overlay (a 24 MP photo
 * costs what the brush covers, not the whole image). Made again when the edit, the SAM mask under
 * it or the colour changes.
 */
interface EditView {
  /** which view a patch belongs to: it applies only over the overlay sent with the same id */
  id: number;
  edit: Edit;
  manual: Int8Array | null;
  live: Live | null;
  color: string;
  comp: LiveComposite;
  overlay: { data: Uint8ClampedArray<ArrayBuffer>; width: number; height: number };
}
let editView: EditView | null = null;
let editViews = 0;

function editResult(e: Edit, color: string, withSam: boolean, touched: PixelRect | null = null): EditResult {
  const l = withSam && live && live.imageId === e.imageId ? live : null;
  const sam = l ? fullMask(l).mask : null;
  const v = editView;
  if (touched && v && v.edit === e && v.manual === e.manual && v.live === l && v.color === color) {
    v.comp.update(sam, e.base, e.manual, touched);
    if (v.comp.area === 0 && !withSam) {
      editView = null;
      return { overlay: null, patch: null, area: 0, bbox: [0, 0, 0, 0] };
    }
    const rect = overlayRectOf(touched, e.width, e.height, v.overlay.width, v.overlay.height);
    maskOverlayRgbaInto(v.comp.mask, e.width, e.height, rgbFromHex(color), 110, v.overlay, rect);
    const w = rect.x1 - rect.x0;
    const h = rect.y1 - rect.y0;
    const data = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++)
      data.set(
        v.overlay.data.subarray(((rect.y0 + y) * v.overlay.width + rect.x0) * 4, ((rect.y0 + y) * v.overlay.width + rect.x1) * 4),
        y * w * 4,
      );
    const bitmap = toBitmap({ data, width: w, height: h });
    return Comlink.transfer(
      { overlay: null, patch: { bitmap, x: rect.x0, y: rect.y0, view: v.id }, area: v.comp.area, bbox: v.comp.bbox() },
      [bitmap],
    );
  }
  const comp = new LiveComposite(e.width, e.height, sam, e.base, e.manual);
  if (comp.area === 0 && !withSam) {
    editView = null;
    return { overlay: null, patch: null, area: 0, bbox: [0, 0, 0, 0] };
  }
  const data = maskOverlayRgba(comp.mask, e.width, e.height, rgbFromHex(color), 110, overlayScale(e.width, e.height));
  editView = { id: ++editViews, edit: e, manual: e.manual, live: l, color, comp, overlay: data };
  const overlay = toBitmap(data);
  return Comlink.transfer({ overlay, view: editView.id, patch: null, area: comp.area, bbox: comp.bbox() }, [overlay]);
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
  if (k === 1 || !isWhole(l)) {
    // a zoom-in crop's mask is pasted at full size first (the crop is small; its overlay is not)
    const full = fullMask(l);
    return {
      overlay: toBitmap(maskOverlayRgba(full.mask, l.width, l.height, rgb, 110, k)),
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
    // zoom-in: the crop's embedding when it is here (else the whole image: a click never waits for a crop)
    const cropEntry = req.crop ? crops.get(cropKey(req.imageId, req.crop)) : undefined;
    const frame = cropEntry ? req.crop! : wholeImage(e);
    const source = cropEntry ?? e;
    const prompts = cropEntry ? promptsInCrop(req.prompts, frame) : req.prompts;
    const key = runKey(req.imageId, req.prompts, frame, req.feedbackFrom);
    let run = keptRun(key);
    if (!run) {
      const prev = req.feedbackFrom === null ? undefined : lowResByGeneration.get(req.feedbackFrom);
      const fed =
        prev && prev.imageId === req.imageId
          ? feedbackForFrame(
              { logits: prev.data, frame: prev.frame },
              frame,
              wholeImage(e),
              req.cropFeedback,
              manifest.normalization.inputSize,
              isSam2() ? 'sam2' : 'sam',
            )
          : null;
      // a copy: the kept logits must stay as they are
      const feedback = fed && fed === prev?.data ? Float32Array.from(fed) : fed;
      run = await runDecoder(source, prompts, feedback);
    }
    keepRun(key, run);
    const decodeMs = performance.now() - t0;
    // SAM's candidates for an ambiguous prompt; the one shown is the annotator's choice or the decoder's pick
    const family = isSam2() ? 'sam2' : 'sam';
    const candidates: MaskCandidate[] = run.iousAll ? rankCandidates(run.iousAll, prompts, family) : [];
    const pick = run.iousAll ? decoderPick(run.iousAll, prompts, family) : null;
    const token = req.candidate !== null && candidates.some((c) => c.token === req.candidate) ? req.candidate : pick;
    let { logits, lowRes, score } = run;
    if (token !== null && token !== pick && run.lowResAll && run.iousAll) {
      lowRes = Float32Array.from(candidatePlane(run.lowResAll, token, 256 * 256));
      logits = isSam2() ? lowRes : modelLogitsFromLowRes(lowRes, run.modelSize, manifest.normalization.inputSize);
      score = run.iousAll[token]!;
    }
    if (lowRes && lowRes.length === 256 * 256) {
      lowResByGeneration.set(req.generation, { imageId: req.imageId, data: lowRes, frame });
      for (const g of lowResByGeneration.keys()) if (lowResByGeneration.size > LOW_RES_KEPT) lowResByGeneration.delete(g);
    }
    const l: Live = {
      generation: req.generation,
      imageId: req.imageId,
      logits,
      modelSize: run.modelSize,
      width: e.width,
      height: e.height,
      frame,
      score,
      full: null,
    };
    live = l;
    const { overlay, stats } = samOverlay(l, req.color);
    const shown = candidates.length > 1 ? candidates : [];
    const { previews, box } = candidatePreviews(
      run,
      shown.map((c) => c.token),
      frame,
      req.color,
    );
    const result: DecodeResult = {
      generation: req.generation,
      imageId: req.imageId,
      score,
      ...stats,
      overlay,
      decodeMs,
      totalMs: performance.now() - t0,
      candidates: shown,
      token: shown.length ? token : null,
      previews,
      previewBox: box,
      crop: cropEntry ? frame : null,
    };
    return Comlink.transfer(result, [overlay, ...previews]);
  } catch (e) {
    throw encodeErrorForTransfer(e);
  }
}

const api: DecoderApi = {
  async init(m: ModelManifest, opts: RuntimeOptions, cacheBytesWanted: number, onProgress?: ProgressCallback) {
    try {
      manifest = m;
      cacheBytes = Math.max(1, cacheBytesWanted);
      embeddings = new LruCache<number, Entry>(
        cacheBytes,
        (_k, e) => disposeEntry(e),
        () => embeddingBytes(m),
      );
      ort = await loadOrt(opts);
      const bytes = await fetchModel(m.decoderUrl, onProgress);
      session = await createSession(ort, m.decoderUrl, bytes, opts.backend);
      checkModelSignature('decoder', m.decoderUrl, session.inputNames, session.outputNames, m);
      // SAM 2's decoder always gives its three candidates
      withCandidates = m.family === 'sam2' || CANDIDATE_OUTPUT_NAMES.every((n) => session!.outputNames.includes(n));
      return { candidates: withCandidates };
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },

  setCrop(imageId, crop, embedding, extra) {
    const { width, height } = rectSize(crop);
    const entry = entryFrom(embedding, extra, width, height);
    dropCrops((k) => k === cropKey(imageId, crop));
    crops.set(cropKey(imageId, crop), entry);
  },

  dropCrop(imageId, crop) {
    dropCrops((k) => k === cropKey(imageId, crop));
  },

  /** Stores an image's embedding (transferred in) in the bounded cache. */
  warm(imageId) {
    return exclusive(1, async () => {
      try {
        const e = embeddings.get(imageId);
        if (!e) return 0;
        const t0 = performance.now();
        await runDecoder(e, { points: [{ x: e.width / 2, y: e.height / 2, positive: true }], box: null });
        return performance.now() - t0;
      } catch (err) {
        throw encodeErrorForTransfer(err);
      }
    });
  },

  setEmbedding(imageId, embedding, extra, width, height): void {
    const entry = entryFrom(embedding, extra, width, height);
    const old = embeddings.get(imageId);
    if (old) disposeEntry(old);
    embeddings.set(imageId, entry);
  },

  cachedImageIds(): number[] {
    return embeddings.keys();
  },

  memory() {
    let cropBytes = 0;
    if (manifest) cropBytes = (crops.size + (scratch ? 1 : 0)) * embeddingBytes(manifest);
    return { images: embeddings.size, bytes: embeddings.weight, capacity: cacheBytes, otherBytes: cropBytes };
  },

  dropEmbedding(imageId: number): void {
    const e = embeddings.get(imageId);
    if (e) disposeEntry(e);
    embeddings.delete(imageId);
    dropCrops((k) => k.startsWith(`${imageId}:`));
  },

  dropAll(): void {
    for (const id of embeddings.keys()) {
      const e = embeddings.get(id);
      if (e) disposeEntry(e);
    }
    const m = manifest;
    embeddings = new LruCache<number, Entry>(
      cacheBytes,
      (_k, e) => disposeEntry(e),
      () => (m ? embeddingBytes(m) : 1),
    );
    if (scratch) disposeEntry(scratch);
    scratch = null;
    dropCrops(() => true);
    recentRuns.length = 0;
    live = null;
    edit = null;
    editView = null;
    lowResByGeneration.clear();
  },

  decode(req: DecodeRequest): Promise<DecodeResult> {
    // a click goes before any hover preview still waiting
    hoverStale = hoverLatest;
    return exclusive(0, () => decodeNow(req));
  },

  hover(req) {
    hoverLatest = Math.max(hoverLatest, req.seq);
    return exclusive(0, async () => {
      try {
        if (req.seq <= hoverStale || req.seq < hoverLatest || !ort || !session || !manifest) return null;
        const e = embeddings.get(req.imageId);
        if (!e) return null;
        const t0 = performance.now();
        const prompts: Prompts = { points: [{ x: req.point.x, y: req.point.y, positive: true }], box: null };
        const key = runKey(req.imageId, prompts, wholeImage(e), null);
        const run = keptRun(key) ?? (await runDecoder(e, prompts, null));
        keepRun(key, run);
        const decodeMs = performance.now() - t0;
        // the mask drawn light: a preview, not a mask being drafted
        const l: Live = {
          generation: -1,
          imageId: req.imageId,
          logits: run.logits,
          modelSize: run.modelSize,
          width: e.width,
          height: e.height,
          frame: wholeImage(e),
          score: run.score,
          full: null,
        };
        const k = overlayScale(e.width, e.height);
        const ow = Math.ceil(e.width * k);
        const oh = Math.ceil(e.height * k);
        const small = maskFromLowResLogits(l.logits, l.modelSize, { width: ow, height: oh });
        const overlay = small.area > 0 ? toBitmap(maskOverlayRgba(small.mask, ow, oh, rgbFromHex(req.color), HOVER_ALPHA)) : null;
        const result: HoverResult = { imageId: req.imageId, seq: req.seq, point: req.point, overlay, score: run.score, decodeMs };
        return overlay ? Comlink.transfer(result, [overlay]) : result;
      } catch (err) {
        throw encodeErrorForTransfer(err);
      }
    });
  },

  cancelHover(seq) {
    hoverStale = Math.max(hoverStale, seq);
  },

  decoderRuns() {
    return runCount;
  },

  hasEmbedding(imageId: number): boolean {
    return embeddings.get(imageId) !== undefined;
  },

  setScratch(embedding, extra, width, height): void {
    const entry = entryFrom(embedding, extra, width, height);
    if (scratch) disposeEntry(scratch);
    scratch = entry;
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
      // an edit under way: its view made again in the colour (the SAM mask under it composed in)
      if (edit && edit.imageId === imageId) return editResult(edit, color, withSam);
      if (withSam && live && live.imageId === imageId) {
        const { overlay, stats } = samOverlay(live, color);
        return Comlink.transfer({ overlay, area: stats.area, bbox: stats.bbox }, [overlay]);
      }
      return { overlay: null, area: 0, bbox: [0, 0, 0, 0] };
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },

  clearLive(): void {
    live = null;
    edit = null;
    editView = null;
  },

  editReset(imageId: number, width: number, height: number, base: CocoRle | null): void {
    edit = { imageId, width, height, base: base ? maskFromRle(base) : null, manual: null };
    // the previous edit's view (a full-size mask and overlay) is of no use any more
    editView = null;
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
      const box = paintStroke(edit.manual, edit.width, edit.height, stroke);
      return editResult(edit, color, withSam, box ? { x0: box[0], y0: box[1], x1: box[2], y1: box[3] } : null);
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
        const prompts: Prompts = {
          points: [{ x: (((i * 37) % 97) / 97) * e.width, y: (((i * 53) % 89) / 89) * e.height, positive: true }],
          box: null,
        };
        const sess = session;
        const feeds = isSam2()
          ? sam2Feeds(e, prompts, null)
          : { image_embeddings: e.tensor, ...tensors(samDecoderFeeds(prompts, e, { inputSize: manifest.normalization.inputSize })) };
        const t0 = performance.now();
        const out = await exclusive(0, () => sess.run(feeds));
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
