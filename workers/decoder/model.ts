import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { AppError } from '../../src/core/errors.ts';
import { resizeLongestSideShape } from '../../src/core/geometry.ts';
import { candidatePlane, decoderPick } from '../../src/core/sam/candidates.ts';
import { CANDIDATE_OUTPUT_NAMES, checkModelSignature, SAM2_HIGH_RES, type ModelManifest } from '../../src/core/sam/manifest.ts';
import { samBatchFeeds, samDecoderFeeds, type FeedArray, type Prompts } from '../../src/core/sam/prompts.ts';
import { checkSam2LowRes, sam2LowResOutput, sam2PromptFeeds } from '../../src/core/sam/sam2.ts';
import { fasterBackend, median } from '../../src/core/sam/backendRace.ts';
import { createSession, fetchModel, loadOrt, sessionBackend, type Ort, type SessionBackend } from '../ort-runtime.ts';
import type { ProgressCallback, RuntimeOptions, RuntimeReport } from '../protocol.ts';

/** An embedding as the decoder takes it. */
export interface Entry {
  tensor: Tensor;
  /** SAM 2's high-resolution features (empty for SAM 1 style models) */
  extra: Tensor[];
  width: number;
  height: number;
}

export const disposeEntry = (e: Entry): void => {
  e.tensor.dispose();
  for (const t of e.extra) t.dispose();
};

export interface DecoderRun {
  logits: Float32Array;
  modelSize: { width: number; height: number };
  score: number;
  lowRes: Float32Array | null;
  /** every mask's predicted IoU and low-res logits [4, 256, 256] (decoders with candidate outputs) */
  iousAll: Float32Array | null;
  lowResAll: Float32Array | null;
}

const SAM2_LOGITS_SIZE = { width: 256, height: 256 };

/**
 * The decoder model of this worker: onnxruntime, the session and the manifest once loaded. Every
 * decoder run goes through it (it counts them).
 */
export class DecoderModel {
  private ort: Ort | null = null;
  private session: InferenceSession | null = null;
  manifest: ModelManifest | null = null;
  /** decoder runs so far (clicks, hover previews, warm-ups, batch work) */
  runs = 0;
  /** the batched decoder, loaded when batch work first asks for it (null: the model has none) */
  private batched: Promise<InferenceSession | null> | null = null;
  private backend: RuntimeOptions['backend'] = 'wasm';

  /** Loads the decoder; resolves to whether it has the candidate outputs (all masks and IoUs). */
  async load(m: ModelManifest, opts: RuntimeOptions, onProgress?: ProgressCallback): Promise<{ candidates: boolean } & SessionBackend> {
    this.manifest = m;
    this.backend = opts.backend;
    this.batched = null;
    this.ort = await loadOrt(opts);
    const bytes = await fetchModel(m.decoderUrl, onProgress);
    let session = await createSession(this.ort, m.decoderUrl, bytes, opts.decoderBackend ?? opts.backend);
    this.session = session;
    checkModelSignature('decoder', m.decoderUrl, session.inputNames, session.outputNames, m);
    let timed: RuntimeReport['timed'];
    // on WebGPU, small decoders often run faster on WASM: both are timed once and the faster kept
    let webgpuFailed: string | null = null;
    if (sessionBackend(session).backend === 'webgpu' && !opts.decoderBackend) {
      const wasm = await createSession(this.ort, m.decoderUrl, bytes, 'wasm');
      let gpuMs: number[] | null = null;
      try {
        gpuMs = await this.timeRuns(session);
      } catch (e) {
        // made but not runnable on WebGPU: the WASM session it was timed against takes over
        webgpuFailed = e instanceof Error ? e.message : String(e);
      }
      const wasmMs = await this.timeRuns(wasm);
      const kept = gpuMs ? fasterBackend(gpuMs, wasmMs) : 'wasm';
      if (gpuMs) timed = { webgpuMs: median(gpuMs), wasmMs: median(wasmMs) };
      const dropped = kept === 'wasm' ? session : wasm;
      if (kept === 'wasm') session = this.session = wasm;
      await dropped.release();
    }
    this.backend = sessionBackend(session).backend;
    // SAM 2's decoder always gives its three candidates
    return {
      candidates: m.family === 'sam2' || CANDIDATE_OUTPUT_NAMES.every((n) => session.outputNames.includes(n)),
      ...sessionBackend(session),
      ...(webgpuFailed ? { webgpuFailed } : {}),
      ...(timed ? { timed } : {}),
    };
  }

  /** A few runs of a session on a blank embedding and one click (ms each, after a first run that warms it up). */
  private async timeRuns(session: InferenceSession): Promise<number[]> {
    const { manifest } = this.loaded();
    const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
    const extra = this.isSam2 ? SAM2_HIGH_RES.map((h) => new Float32Array(size(h.dims))) : [];
    const e = this.entry(new Float32Array(size(manifest.embeddingShape)), extra, 1024, 768);
    const feeds = this.feeds(e, { points: [{ x: 400, y: 300, positive: true }], box: null }, null);
    const ms: number[] = [];
    try {
      for (let k = 0; k < 4; k++) {
        const t0 = performance.now();
        const out = await session.run(feeds);
        for (const t of Object.values(out)) t.dispose();
        if (k > 0) ms.push(performance.now() - t0);
      }
    } finally {
      for (const t of Object.values(feeds)) t.dispose();
      disposeEntry(e);
    }
    return ms;
  }

  get isLoaded(): boolean {
    return !!(this.ort && this.session && this.manifest);
  }

  get isSam2(): boolean {
    return this.manifest?.family === 'sam2';
  }

  /** The loaded model's parts; throws when it is not loaded. */
  loaded(): { ort: Ort; session: InferenceSession; manifest: ModelManifest } {
    const { ort, session, manifest } = this;
    if (!ort || !session || !manifest) throw new AppError('MODEL_LOAD', 'The decoder is not loaded.');
    return { ort, session, manifest };
  }

  /** An embedding from the encoder as tensors (SAM 2's extra outputs with their shapes). */
  entry(embedding: Float32Array, extra: Float32Array[], width: number, height: number): Entry {
    const { ort, manifest } = this;
    if (!ort || !manifest) throw new AppError('MODEL_LOAD', 'The decoder is not loaded.');
    const want = this.isSam2 ? SAM2_HIGH_RES : [];
    if (extra.length !== want.length)
      throw new AppError('INFERENCE', `The embedding came with ${extra.length} extra tensors, expected ${want.length}.`);
    return {
      tensor: new ort.Tensor('float32', embedding, manifest.embeddingShape),
      extra: want.map((w, i) => new ort.Tensor('float32', extra[i]!, [...w.dims])),
      width,
      height,
    };
  }

  /**
   * Model-space mask logits, predicted IoU and low-res logits for prompts on an embedding (prompts in
   * the embedded region's px), with `maskInput` (previous low-res logits) fed back when given.
   */
  async run(e: Entry, prompts: Prompts, maskInput: Float32Array | null = null): Promise<DecoderRun> {
    const { session, manifest } = this.loaded();
    if (this.isSam2) return this.runSam2(e, prompts, maskInput);
    // the model upsamples to orig_im_size; asking for the model-space size (the default) keeps that
    // cheap, and the last resize to the image size is done in core without full-size logits
    const ms = resizeLongestSideShape(e, manifest.normalization.inputSize);
    this.runs++;
    const out = await session.run(this.feeds(e, prompts, maskInput));
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

  /** The batched decoder's session (loaded on first use), or null when the model has none. */
  batchSession(): Promise<InferenceSession | null> {
    const { ort, manifest } = this.loaded();
    const url = manifest.batchedDecoderUrl;
    if (!url || this.isSam2) return Promise.resolve(null);
    this.batched ??= (async () => {
      const session = await createSession(ort, url, await fetchModel(url), this.backend);
      if (!session.outputNames.includes('low_res_masks') || session.inputNames.includes('orig_im_size'))
        throw new AppError('MODEL_SIGNATURE', `${url} is not a batched SAM decoder (outputs ${session.outputNames.join(', ')}).`);
      return session;
    })().catch((e: unknown) => {
      // batch work goes on with one prompt per call; a click is never held up by this
      console.warn(`The batched decoder could not be loaded (${e instanceof Error ? e.message : String(e)}): one prompt per call.`);
      return null;
    });
    return this.batched;
  }

  /**
   * The decoder's pick for several prompts in one call of the batched decoder (every prompt with the
   * same number of points): predicted IoUs [B] and low-res logits [B, 256, 256], with the model-space
   * size they resize to. Null when the model has no batched decoder.
   */
  async runBatch(
    e: Entry,
    prompts: Prompts[],
  ): Promise<{ ious: Float32Array; lowRes: Float32Array; modelSize: { width: number; height: number }; inputSize: number } | null> {
    const session = await this.batchSession();
    if (!session) return null;
    const { ort, manifest } = this.loaded();
    const inputSize = manifest.normalization.inputSize;
    this.runs++;
    const out = await session.run({ image_embeddings: e.tensor, ...tensors(ort, samBatchFeeds(prompts, e, inputSize)) }, [
      'iou_predictions',
      'low_res_masks',
    ]);
    const ious = Float32Array.from((await out['iou_predictions']!.getData()) as Float32Array);
    const lowRes = Float32Array.from((await out['low_res_masks']!.getData()) as Float32Array);
    for (const t of Object.values(out)) t.dispose();
    if (lowRes.length !== prompts.length * 256 * 256)
      throw new AppError('MODEL_SIGNATURE', `The batched decoder returned ${lowRes.length} low-res values for ${prompts.length} prompts.`);
    return { ious, lowRes, modelSize: resizeLongestSideShape(e, inputSize), inputSize };
  }

  /**
   * SAM 2: the three candidates of its multi-mask output; the mask is the one of highest predicted IoU.
   * Its logits are the 256x256 low-res ones, resized straight to the image (SAM 2's own post-processing):
   * `modelSize` is then 256x256, and every later step treats them as it treats SAM 1's model-space logits.
   */
  private async runSam2(e: Entry, prompts: Prompts, maskInput: Float32Array | null): Promise<DecoderRun> {
    const { session, manifest } = this.loaded();
    this.runs++;
    const out = await session.run(this.feeds(e, prompts, maskInput));
    const lowName = sam2LowResOutput(session.outputNames);
    const low = out[lowName]!;
    const iousAll = Float32Array.from((await out['iou_predictions']!.getData()) as Float32Array);
    const dims = [...low.dims];
    const lowResAll = Float32Array.from((await low.getData()) as Float32Array);
    for (const t of Object.values(out)) t.dispose();
    checkSam2LowRes(dims, lowName, iousAll.length, manifest.decoderUrl);
    const best = decoderPick(iousAll, prompts, 'sam2');
    const lowRes = Float32Array.from(candidatePlane(lowResAll, best, 256 * 256));
    return { logits: lowRes, modelSize: SAM2_LOGITS_SIZE, score: iousAll[best]!, lowRes, iousAll, lowResAll };
  }

  /** The decoder's feeds for prompts on an embedding, as the loaded export takes them. */
  feeds(e: Entry, prompts: Prompts, maskInput: Float32Array | null): Record<string, Tensor> {
    const { ort, session, manifest } = this.loaded();
    const inputSize = manifest.normalization.inputSize;
    if (!this.isSam2) return { image_embeddings: e.tensor, ...tensors(ort, samDecoderFeeds(prompts, e, { inputSize, maskInput })) };
    // SAM 2: the embedding's three tensors and the prompts
    const feeds: Record<string, Tensor> = { image_embed: e.tensor };
    SAM2_HIGH_RES.forEach((h, i) => (feeds[h.name] = e.extra[i]!));
    return Object.assign(feeds, tensors(ort, sam2PromptFeeds(session.inputNames, prompts, e, { inputSize, maskInput })));
  }
}

/** Feeds as onnxruntime tensors. */
function tensors(ort: Ort, f: Record<string, FeedArray>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, a] of Object.entries(f)) out[name] = new ort.Tensor('float32', a.data, a.dims);
  return out;
}
