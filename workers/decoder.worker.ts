/// <reference lib="webworker" />
/**
 * The decoder worker: composes its parts and exposes them as the `DecoderApi` (see protocol.ts).
 * - decoder/model.ts: onnxruntime start-up, the session and every decoder run
 * - decoder/embeddings.ts: images' (bounded), zoom-in crops' and batch work's embeddings
 * - decoder/scheduler.ts: one `session.run` at a time, clicks first
 * - decoder/interactive.ts: clicks, hover previews and warm-ups
 * - decoder/live.ts: the live mask, composed with the brush edit, and its overlays
 * - decoder/bitmap.ts, decoder/previews.ts: drawing (stored masks, candidates, hover)
 * - decoder/batch.ts: pre-annotation and segment-everything decodes
 * - decoder/bench.ts: the decoder alone, for benchmarks
 * Every method's errors cross to the page with their code and hint (decoder/errors.ts).
 */
import * as Comlink from 'comlink';
import { benchRaw } from './decoder/bench.ts';
import { BatchDecoder } from './decoder/batch.ts';
import { renderMask } from './decoder/bitmap.ts';
import { EmbeddingStore } from './decoder/embeddings.ts';
import { withTransferableErrors } from './decoder/errors.ts';
import { Interactive } from './decoder/interactive.ts';
import { LiveMask } from './decoder/live.ts';
import { DecoderModel } from './decoder/model.ts';
import { Exclusive } from './decoder/scheduler.ts';
import type { DecoderApi } from './protocol.ts';

function decoderApi(): DecoderApi {
  const model = new DecoderModel();
  const store = new EmbeddingStore(model);
  const exclusive = new Exclusive();
  const live = new LiveMask();
  const interactive = new Interactive(model, store, live, exclusive);
  const batch = new BatchDecoder(model, store, exclusive);

  return {
    init(m, opts, cacheBytes, onProgress) {
      store.configure(m, cacheBytes);
      return model.load(m, opts, onProgress);
    },
    setCrop: (imageId, crop, embedding, extra) => store.setCrop(imageId, crop, embedding, extra),
    dropCrop: (imageId, crop) => store.dropCrop(imageId, crop),
    setEmbedding: (imageId, embedding, extra, width, height) => store.setImage(imageId, embedding, extra, width, height),
    memory: () => store.memory(),
    warm: (imageId) => interactive.warm(imageId),
    cachedImageIds: () => store.imageIds(),
    dropEmbedding: (imageId) => store.dropImage(imageId),
    dropAll() {
      store.clear();
      interactive.reset();
      live.clear();
    },
    decode: (req) => interactive.decode(req),
    hover: (req) => interactive.hover(req),
    cancelHover: (seq) => interactive.cancelHover(seq),
    decoderRuns: () => model.runs,
    liveMaskRle: (generation, withSam) => live.rle(generation, withSam),
    clearLive: () => live.clear(),
    recolorLive: (imageId, color, withSam) => live.recolor(imageId, color, withSam),
    editReset: (imageId, width, height, base) => live.editReset(imageId, width, height, base),
    editStrokes: (imageId, strokes, color, withSam) => live.editStrokes(imageId, strokes, color, withSam),
    editAddStroke: (imageId, stroke, color, withSam) => live.editAddStroke(imageId, stroke, color, withSam),
    renderMask: (rle, color) => renderMask(rle, color),
    hasEmbedding: (imageId) => store.image(imageId) !== undefined,
    setScratch: (jobId, embedding, extra, width, height) => store.setBatch(jobId, embedding, extra, width, height),
    batchMask: (source, prompts, paste) => batch.mask(source, prompts, paste),
    trackMask: (source, previous) => batch.track(source, previous),
    interpolateMasks: (a, b, between) => batch.interpolate(a, b, between),
    amgMask: (source, point, crop, image, params) => batch.amgMask(source, point, crop, image, params),
    amgMasks: (source, points, crop, image, params) => batch.amgMasks(source, points, crop, image, params),
    batchMasks: (source, prompts) => batch.masks(source, prompts),
    amgSmallRegions: (masks, minArea, nmsThresh) => batch.smallRegions(masks, minArea, nmsThresh),
    benchRaw: (imageId, n) => benchRaw(model, store, exclusive, imageId, n),
  };
}

Comlink.expose(withTransferableErrors(decoderApi()));
