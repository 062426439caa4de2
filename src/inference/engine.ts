import * as Comlink from 'comlink';
import { appErrorFromUnknown, type AppErrorData } from '../core/errors.ts';
import type { CocoRle } from '../core/mask/rle.ts';
import type { ModelManifest } from '../core/sam/manifest.ts';
import type { Prompts } from '../core/sam/prompts.ts';
import type {
  BatchMask,
  DecodeResult,
  DecoderApi,
  EditResult,
  EmbeddingSource,
  EmbeddingMemory,
  EncoderApi,
  HoverResult,
  RenderedMask,
} from '../../workers/protocol.ts';
import type { AmgMask, AmgParams, BoxXyxy } from '../core/sam/amg.ts';
import type { PixelRect } from '../core/sam/roi.ts';
import { DEFAULT_ZOOM_IN, type ZoomInOptions } from '../core/sam/zoomIn.ts';
import type { Stroke } from '../core/mask/brush.ts';
import { chooseBackend, type BackendChoice } from './backend.ts';

/** 'missing': the image is in the project (e.g. named by an imported COCO file) but its file is not open. */
export type EmbeddingStatus = 'pending' | 'encoding' | 'ready' | 'error' | 'missing';

export interface EngineEvents {
  onModelProgress(p: { loaded: number; total: number }): void;
  /** `candidates`: whether the decoder offers SAM's mask candidates */
  onModelReady(choice: BackendChoice, candidates: boolean): void;
  onModelError(err: AppErrorData): void;
  onEmbeddingStatus(imageId: number, status: EmbeddingStatus, err?: AppErrorData): void;
  onEncoded?(imageId: number, ms: number, prefetch: boolean): void;
  /** what the embeddings take now (after each encode, drop or model switch) */
  onMemory?(m: EmbeddingMemory): void;
}

/** How long the user must be idle before the next image is encoded ahead of time. */
export const PREFETCH_IDLE_MS = 1500;
/**
 * Bytes of image embeddings the decoder keeps: 16 images of a SAM 1 style model (4 MiB each), 3 of
 * SAM 2 (16 MiB each with its high-resolution features), so the shown image and the next both fit.
 */
export const EMBEDDING_CACHE_BYTES = 64 << 20;
/** How long after the user's last click or stroke batch decodes wait before going on. */
export const BATCH_DECODE_IDLE_MS = 500;

interface EncoderHandle {
  worker: Worker;
  api: Comlink.Remote<EncoderApi>;
  ready: Promise<void>;
}

interface EncodeJob {
  /** -1 for batch work (pre-annotation) */
  imageId: number;
  cancelled: boolean;
  /** called when the job is stopped (its worker is ended, so its call would never settle) */
  onCancel?: () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The main-thread side of the model: two workers (encoder, decoder), encoding scheduled so that the
 * shown image comes first, the next image is encoded only while the user is idle, and a background
 * encode is stopped the moment the user asks for a decode (on 2 cores both would otherwise share
 * the CPU and the click would wait). Decodes are coalesced: the newest request wins.
 */
export class InferenceEngine {
  private manifest: ModelManifest | null = null;
  private choice: BackendChoice | null = null;
  private encoder: EncoderHandle | null = null;
  private decoderWorker: Worker | null = null;
  private decoder: Comlink.Remote<DecoderApi> | null = null;
  private decoderReady: Promise<void> | null = null;
  /** whether the decoder returns every mask candidate (null until it is loaded) */
  private candidateOutputs: boolean | null = null;
  /** zoom-in crops whose embeddings are in the decoder, oldest first (the worker holds exactly these) */
  private readonly readyCrops: string[] = [];
  private readonly cropJobs = new Map<string, Promise<boolean>>();
  private readonly status = new Map<number, EmbeddingStatus>();
  private readonly errors = new Map<number, AppErrorData>();
  private job: EncodeJob | null = null;
  private current: number | null = null;
  private next: number | null = null;
  private lastInteraction = 0;
  private prefetchTimer: ReturnType<typeof setTimeout> | null = null;
  private decodeInFlight: Promise<unknown> | null = null;
  private inFlightResolve: ((r: DecodeResult | null) => void) | null = null;
  private pendingDecode: {
    req: Parameters<DecoderApi['decode']>[0];
    resolve: (r: DecodeResult | null) => void;
    reject: (e: unknown) => void;
  } | null = null;
  private modelError: AppErrorData | null = null;
  private readonly progress = { encoder: { loaded: 0, total: 0 }, decoder: { loaded: 0, total: 0 } };
  private modelReady = false;
  /** settles with the first encoder worker that loads (or fails to load) the model */
  private encoderLoaded = deferred();

  constructor(
    private readonly blobOf: (imageId: number) => { blob: Blob; name: string } | undefined,
    private readonly events: EngineEvents,
  ) {}

  get backend(): BackendChoice | null {
    return this.choice;
  }

  /** Whether the decoder offers SAM's mask candidates (null while it loads). */
  get hasCandidates(): boolean | null {
    return this.candidateOutputs;
  }

  /** The model in use (null before `start`). */
  get model(): ModelManifest | null {
    return this.manifest;
  }

  /** bytes of image embeddings the decoder keeps (`?cacheMb=` overrides) */
  cacheBytes = EMBEDDING_CACHE_BYTES;
  /** the backend and threads asked for (the page's URL); kept for every model switch */
  preferred: { backend: 'auto' | 'wasm' | 'webgpu'; threads: number | undefined } = { backend: 'auto', threads: undefined };
  /** bumped by every model switch: work of the model before settles as nothing */
  private epoch = 0;

  async start(manifest: ModelManifest, preferred: 'auto' | 'wasm' | 'webgpu' = 'auto', threads?: number): Promise<void> {
    this.manifest = manifest;
    this.preferred = { backend: preferred, threads };
    const epoch = this.epoch;
    try {
      this.choice ??= await chooseBackend(preferred, threads);
      if (epoch !== this.epoch) return;
      const decoderWorker = new Worker(new URL('../../workers/decoder.worker.ts', import.meta.url), {
        type: 'module',
        name: 'sam-decoder',
      });
      this.decoderWorker = decoderWorker;
      decoderWorker.addEventListener('error', (e) => this.workerFailed('decoder', e));
      this.decoder = Comlink.wrap<DecoderApi>(decoderWorker);
      this.decoderReady = this.decoder
        .init(
          manifest,
          this.runtimeOptions(),
          this.cacheBytes,
          Comlink.proxy((loaded: number, total: number) => this.reportProgress('decoder', loaded, total)),
        )
        .then((r) => {
          this.candidateOutputs = r.candidates;
        });
      // a job may already have spawned one (and a cancelled job may have ended it)
      this.encoder ??= this.spawnEncoder();
      await Promise.all([this.decoderReady, this.encoderLoaded.promise]);
      if (epoch !== this.epoch) return;
      this.modelReady = true;
      this.events.onModelReady(this.choice, this.candidateOutputs ?? false);
      this.pump();
    } catch (e) {
      if (epoch !== this.epoch) return;
      this.modelFailed(appErrorFromUnknown(e));
      throw e;
    }
  }

  /**
   * Another model: both workers are ended, every embedding, crop and warm run of the model before is
   * dropped (embeddings of two models never mix), the images go back to 'pending' and the new model
   * loads. A decode waiting settles as null; the caller stops batch work first.
   */
  async switchModel(manifest: ModelManifest): Promise<void> {
    this.epoch++;
    this.cancelJob();
    this.encoder?.worker.terminate();
    this.encoder = null;
    this.decoderWorker?.terminate();
    this.decoderWorker = null;
    this.decoder = null;
    this.decoderReady = null;
    this.candidateOutputs = null;
    this.readyCrops.length = 0;
    this.cropJobs.clear();
    this.errors.clear();
    for (const [id, st] of this.status) if (st !== 'missing') this.setStatus(id, 'pending');
    this.modelError = null;
    this.modelReady = false;
    this.progress.encoder = { loaded: 0, total: 0 };
    this.progress.decoder = { loaded: 0, total: 0 };
    this.encoderLoaded = deferred();
    // a decode under way on the old decoder never settles (its worker is gone): its caller gets null
    if (this.pendingDecode) this.pendingDecode.resolve(null);
    this.pendingDecode = null;
    this.inFlightResolve?.(null);
    this.decodeInFlight = null;
    await this.start(manifest, this.preferred.backend, this.preferred.threads);
  }

  /** The model cannot be used: said once (the first cause), whichever worker or image met it first. */
  private modelFailed(err: AppErrorData): void {
    if (this.modelError) return;
    this.modelError = err;
    this.events.onModelError(err);
  }

  private runtimeOptions() {
    if (!this.choice) throw new Error('backend not chosen');
    return { backend: this.choice.backend, numThreads: this.choice.numThreads, ortBase: new URL('ort/', document.baseURI).href };
  }

  private reportProgress(which: 'encoder' | 'decoder', loaded: number, total: number): void {
    // the other file still downloading after one failed: the status stays "failed"
    if (this.modelError) return;
    this.progress[which] = { loaded, total };
    const p = this.progress;
    this.events.onModelProgress({ loaded: p.encoder.loaded + p.decoder.loaded, total: p.encoder.total + p.decoder.total });
  }

  private spawnEncoder(): EncoderHandle {
    const reportProgress = !this.modelReady;
    if (!this.manifest) throw new Error('engine not started');
    const worker = new Worker(new URL('../../workers/encoder.worker.ts', import.meta.url), { type: 'module', name: 'sam-encoder' });
    worker.addEventListener('error', (e) => this.workerFailed('encoder', e));
    const api = Comlink.wrap<EncoderApi>(worker);
    const ready = api.init(
      this.manifest,
      this.runtimeOptions(),
      reportProgress ? Comlink.proxy((loaded: number, total: number) => this.reportProgress('encoder', loaded, total)) : undefined,
    );
    ready.then(this.encoderLoaded.resolve, this.encoderLoaded.reject);
    return { worker, api, ready };
  }

  /** A worker that failed to start or crashed (e.g. out of memory) would leave every call hanging. */
  private workerFailed(which: 'encoder' | 'decoder', e: ErrorEvent): void {
    e.preventDefault();
    const err: AppErrorData = {
      code: 'MODEL_LOAD',
      message: `The ${which} worker stopped: ${e.message || 'it could not be started or ran out of memory'}.`,
      hint: 'Reload the page; with very large images, close other tabs to free memory.',
    };
    this.modelFailed(err);
  }

  embeddingStatus(imageId: number): EmbeddingStatus {
    return this.status.get(imageId) ?? 'pending';
  }

  private setStatus(imageId: number, s: EmbeddingStatus, err?: AppErrorData): void {
    this.status.set(imageId, s);
    if (err) this.errors.set(imageId, err);
    this.events.onEmbeddingStatus(imageId, s, err);
  }

  /** The shown image and the one to encode ahead of time. */
  show(current: number | null, next: number | null): void {
    // a newly shown image is looked at before it is clicked: count that as activity, so the next
    // image is not encoded right away only to be stopped by the first click
    if (current !== this.current) this.lastInteraction = performance.now();
    this.current = current;
    this.next = next;
    this.pump();
  }

  /** Forgets every image (another project is opened): background work stops, embeddings are dropped. */
  resetImages(): void {
    this.cancelJob();
    this.readyCrops.length = 0;
    this.status.clear();
    this.errors.clear();
    this.current = null;
    this.next = null;
    void this.decoder?.dropAll();
    void this.reportMemory();
  }

  /** Forgets an image (removed from the project). */
  forget(imageId: number): void {
    this.status.delete(imageId);
    for (let i = this.readyCrops.length - 1; i >= 0; i--) if (this.readyCrops[i]!.startsWith(`${imageId}:`)) this.readyCrops.splice(i, 1);
    void this.decoder?.dropEmbedding(imageId);
    void this.reportMemory();
  }

  private needsEncoding(id: number | null): id is number {
    if (id === null) return false;
    const s = this.status.get(id);
    if (s !== undefined && s !== 'pending') return false;
    if (!this.blobOf(id)) {
      this.setStatus(id, 'missing');
      return false;
    }
    return true;
  }

  /** The file of an image that was 'missing' has been opened: encode it when needed. */
  fileAttached(imageId: number): void {
    if (this.status.get(imageId) === 'missing') this.status.delete(imageId);
    this.pump();
  }

  private cancelJob(): void {
    if (!this.job || !this.encoder) return;
    this.job.cancelled = true;
    this.job.onCancel?.();
    this.encoder.worker.terminate();
    this.encoder = null;
    if (this.status.get(this.job.imageId) === 'encoding') this.setStatus(this.job.imageId, 'pending');
    this.job = null;
  }

  private pump(): void {
    if (this.modelError || !this.decoder || !this.choice) return;
    if (this.prefetchTimer) {
      clearTimeout(this.prefetchTimer);
      this.prefetchTimer = null;
    }
    if (this.job) {
      // a background job gives way at once when the shown image needs its embedding
      if (this.job.imageId !== this.current && this.needsEncoding(this.current)) this.cancelJob();
      else return;
    }
    if (this.needsEncoding(this.current)) {
      void this.runJob(this.current);
      return;
    }
    if (this.needsEncoding(this.next) && !this.holdBackground) {
      const wait = this.lastInteraction + PREFETCH_IDLE_MS - performance.now();
      if (wait > 0 || this.decodeInFlight) {
        this.prefetchTimer = setTimeout(() => this.pump(), Math.max(wait, 100));
        return;
      }
      void this.runJob(this.next);
    }
  }

  private async runJob(imageId: number): Promise<void> {
    const src = this.blobOf(imageId);
    if (!src) return;
    const job: EncodeJob = { imageId, cancelled: false };
    this.job = job;
    this.setStatus(imageId, 'encoding');
    try {
      this.encoder ??= this.spawnEncoder();
      const enc = this.encoder;
      await enc.ready;
      if (job.cancelled) return;
      const r = await enc.api.encode(src.blob, src.name);
      if (job.cancelled) return;
      await this.decoderReady;
      await this.decoder!.setEmbedding(imageId, ...transferred(r), r.width, r.height);
      // the annotator now aims at the shown image: the next image's encode waits until they are idle
      // (a background encode slows the first clicks down, and stopping it frees the cores only late)
      if (imageId === this.current) this.lastInteraction = performance.now();
      // the first click on the image is then as fast as the later ones (a click made meanwhile goes first)
      if (imageId === this.current)
        void this.decoder!.warm(imageId).then(
          (ms) => this.warmTimes.push(ms),
          () => undefined,
        );
      this.setStatus(imageId, 'ready');
      this.encoderTimes.push(r.ms);
      this.events.onEncoded?.(imageId, r.ms, imageId !== this.current);
      await this.syncCache();
    } catch (e) {
      if (job.cancelled) return;
      const err = appErrorFromUnknown(e);
      if (err.code === 'MODEL_LOAD' || err.code === 'MODEL_FETCH' || err.code === 'MODEL_SIGNATURE') {
        // the model's fault, not the image's: said once, as the model's error
        this.setStatus(imageId, 'error');
        this.modelFailed(err);
      } else this.setStatus(imageId, 'error', err);
    } finally {
      if (this.job === job) this.job = null;
      if (!job.cancelled) this.pump();
    }
  }

  /** Embeddings pushed out of the decoder's LRU cache go back to 'pending'. */
  private async syncCache(): Promise<void> {
    if (!this.decoder) return;
    const cached = new Set(await this.decoder.cachedImageIds());
    for (const [id, s] of this.status) if (s === 'ready' && !cached.has(id)) this.setStatus(id, 'pending');
    await this.reportMemory();
  }

  /** What the embeddings take now (null before the decoder is loaded). */
  async memory(): Promise<EmbeddingMemory | null> {
    if (!this.decoder || !this.decoderReady) return null;
    await this.decoderReady;
    return this.decoder.memory();
  }

  private async reportMemory(): Promise<void> {
    const m = await this.memory().catch(() => null);
    if (m) this.events.onMemory?.(m);
  }

  /** Resolves when the model is loaded and `imageId`'s embedding is in the decoder; rejects on error. */
  whenReady(imageId: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.modelError) return reject(new Error(`${this.modelError.message} ${this.modelError.hint}`.trim()));
        const s = this.status.get(imageId);
        if (s === 'error') {
          const e = this.errors.get(imageId);
          return reject(new Error(e ? `${e.message} ${e.hint}`.trim() : `Image ${imageId} could not be encoded.`));
        }
        if (s === 'missing') return reject(new Error(`The file of image ${imageId} is not open: open it with the image input.`));
        if (s === 'ready' && this.choice && this.decoder) return resolve();
        setTimeout(check, 50);
      };
      check();
    });
  }

  /**
   * Decodes a mask for the prompts. At most one decode runs; a request made while one runs replaces
   * any older waiting request (which resolves to null). Whether a reply is still wanted is the mask
   * session's call (its generation check is the only one).
   */
  decode(
    imageId: number,
    generation: number,
    prompts: Prompts,
    color: string,
    feedbackFrom: number | null = null,
    candidate: number | null = null,
    crop: PixelRect | null = null,
    cropFeedback: ZoomInOptions['cropFeedback'] = DEFAULT_ZOOM_IN.cropFeedback,
  ): Promise<DecodeResult | null> {
    this.noteActivity(imageId);
    const req = { imageId, generation, prompts, color, feedbackFrom, candidate, crop, cropFeedback };
    return new Promise((resolve, reject) => {
      if (this.pendingDecode) this.pendingDecode.resolve(null);
      this.pendingDecode = { req, resolve, reject };
      if (!this.decodeInFlight) this.runPendingDecode();
    });
  }

  private runPendingDecode(): void {
    const p = this.pendingDecode;
    if (!p || !this.decoder) return;
    this.pendingDecode = null;
    const decoder = this.decoder;
    const epoch = this.epoch;
    this.inFlightResolve = p.resolve;
    // a click made while the image is still being encoded is answered as soon as it is ready
    this.decodeInFlight = this.whenReady(p.req.imageId)
      .then(() => decoder.decode(p.req))
      .then(
        (r) => p.resolve(r),
        (e: unknown) => p.reject(appErrorFromUnknown(e)),
      )
      .finally(() => {
        // the model was switched meanwhile: the new one's decodes run on their own
        if (epoch !== this.epoch) return;
        this.inFlightResolve = null;
        this.decodeInFlight = null;
        this.lastInteraction = performance.now();
        if (this.pendingDecode) this.runPendingDecode();
        else this.pump();
      });
  }

  /** User input on the shown image (a click, a stroke): a background encode gives way at once. */
  noteActivity(imageId: number): void {
    this.lastInteraction = performance.now();
    if (this.job && this.job.imageId !== imageId) this.cancelJob();
  }

  /** Resolves once no decode is running or waiting. */
  async settled(): Promise<void> {
    while (this.decodeInFlight || this.pendingDecode) await (this.decodeInFlight ?? new Promise((r) => setTimeout(r, 10)));
  }

  /** The live mask is gone (prompts cleared, another image): the worker forgets its SAM mask and edit. */
  invalidate(_generation: number): void {
    void this.decoder?.clearLive();
  }

  async liveMaskRle(generation: number, withSam = true) {
    return (await this.decoder?.liveMaskRle(generation, withSam)) ?? null;
  }

  /** Starts the manual edit of an image (brush/eraser), optionally on an existing mask. */
  async editReset(imageId: number, width: number, height: number, base: CocoRle | null): Promise<void> {
    await this.decoderReady;
    await this.decoder!.editReset(imageId, width, height, base);
  }

  async editStrokes(imageId: number, strokes: Stroke[], color: string, withSam: boolean): Promise<EditResult> {
    await this.decoderReady;
    return this.decoder!.editStrokes(imageId, strokes, color, withSam);
  }

  async recolorLive(imageId: number, color: string, withSam: boolean): Promise<EditResult> {
    await this.decoderReady;
    return this.decoder!.recolorLive(imageId, color, withSam);
  }

  async editAddStroke(imageId: number, stroke: Stroke, color: string, withSam: boolean): Promise<EditResult> {
    await this.decoderReady;
    return this.decoder!.editAddStroke(imageId, stroke, color, withSam);
  }

  /** Encoder run times (ms, preprocessing included) of this session, for benchmarks. */
  readonly encoderTimes: number[] = [];
  /** Decoder warm-up runs of this session (ms). */
  readonly warmTimes: number[] = [];
  private hoverSeq = 0;

  /**
   * Hover preview at an image point (see the decoder's `hover`): only when the image is ready and no
   * click's decode is running or waiting, never while a batch job runs; a click made meanwhile goes
   * first (the preview is then dropped).
   */
  hover(imageId: number, point: { x: number; y: number }, color: string): Promise<HoverResult | null> {
    if (!this.decoder || !this.modelReady || this.modelError || this.status.get(imageId) !== 'ready') return Promise.resolve(null);
    if (this.decodeInFlight || this.pendingDecode || this.job?.imageId === -1) return Promise.resolve(null);
    this.noteActivity(imageId);
    const seq = ++this.hoverSeq;
    return this.decoder.hover({ imageId, seq, point, color });
  }

  /** Hover previews asked for and not started are dropped (the pointer moved on or left). */
  cancelHover(): void {
    void this.decoder?.cancelHover(this.hoverSeq);
  }

  /** Decoder runs so far (for tests and benchmarks). */
  async decoderRuns(): Promise<number> {
    await this.decoderReady;
    return this.decoder ? this.decoder.decoderRuns() : 0;
  }

  /** Zoom-in crop encodes of this session (ms, preprocessing included). */
  readonly cropTimes: number[] = [];

  /** Whether a zoom-in crop's embedding is in the decoder (a decode on it needs no wait). */
  cropReady(imageId: number, roi: PixelRect): boolean {
    return this.readyCrops.includes(cropKey(imageId, roi));
  }

  /**
   * Encodes a crop of the shown image for zoom-in refinement, in the background: after the image's
   * own encode, before any image ahead of time (which gives way). Clicks on the image meanwhile are
   * decoded on the whole image and do not stop it; showing another image does. Resolves to whether
   * the crop's embedding is now in the decoder.
   */
  prepareCrop(imageId: number, roi: PixelRect): Promise<boolean> {
    const key = cropKey(imageId, roi);
    if (this.readyCrops.includes(key)) return Promise.resolve(true);
    let p = this.cropJobs.get(key);
    if (!p) {
      p = this.runCropJob(imageId, roi, key).finally(() => this.cropJobs.delete(key));
      this.cropJobs.set(key, p);
    }
    return p;
  }

  private async runCropJob(imageId: number, roi: PixelRect, key: string): Promise<boolean> {
    await this.decoderReady;
    await this.encoderLoaded.promise;
    for (;;) {
      if (this.modelError || this.current !== imageId) return false;
      if (!this.job) break;
      // work for another image (ahead of time, a batch) gives way; the shown image's own encode does not
      if (this.job.imageId !== imageId) this.cancelJob();
      else await sleep(50);
    }
    const src = this.blobOf(imageId);
    if (!src) return false;
    const job: EncodeJob = { imageId, cancelled: false };
    this.job = job;
    try {
      const stopped = new Promise<null>((resolve) => (job.onCancel = () => resolve(null)));
      this.encoder ??= this.spawnEncoder();
      const enc = this.encoder;
      await Promise.race([enc.ready, stopped]);
      if (job.cancelled) return false;
      const r = await Promise.race([enc.api.encode(src.blob, src.name, roi), stopped]);
      if (!r || job.cancelled) return false;
      await this.decoder!.setCrop(imageId, roi, ...transferred(r));
      this.readyCrops.push(key);
      while (this.readyCrops.length > CROPS_KEPT) {
        const old = this.readyCrops.shift()!;
        void this.decoder!.dropCrop(...cropOfKey(old));
      }
      this.cropTimes.push(r.ms);
      return true;
    } catch (e) {
      if (job.cancelled) return false;
      throw e;
    } finally {
      if (this.job === job) this.job = null;
      this.pump();
    }
  }

  /** Benchmark reference: the decoder's `session.run` alone, in its worker, on an image's embedding. */
  async benchDecoderRaw(imageId: number, n: number): Promise<number[]> {
    await this.whenReady(imageId);
    // like a user's clicks: no background encode competes with the measured runs
    this.holdBackground = true;
    this.noteActivity(imageId);
    try {
      return await this.decoder!.benchRaw(imageId, n);
    } finally {
      this.holdBackground = false;
      this.lastInteraction = performance.now();
      this.pump();
    }
  }

  /**
   * Batch work (pre-annotation): an embedding of an image or of a crop of it (image px) for the batch
   * calls below, put in the decoder's scratch slot so the interactive cache is left alone. The encode
   * is a background job: it starts only when the shown image is encoded and the user has been idle
   * for {@link PREFETCH_IDLE_MS}, it is stopped the moment the user clicks or paints (as prefetching
   * is), and it is retried when they pause. `shouldStop` ends the wait (a cancelled batch).
   */
  async batchEmbedding(
    imageId: number,
    crop: PixelRect | null,
    shouldStop: () => boolean,
  ): Promise<{ source: EmbeddingSource; width: number; height: number } | null> {
    // a batch started while the model is still being set up waits for it
    while (!this.decoderReady && !this.modelError && !shouldStop()) await sleep(100);
    const failed = this.modelError as AppErrorData | null;
    if (failed) throw new Error(`${failed.message} ${failed.hint}`.trim());
    if (shouldStop()) return null;
    await this.encoderLoaded.promise;
    await this.decoderReady;
    const src = this.blobOf(imageId);
    if (!src) throw new Error(`The file of image ${imageId} is not open: open it with the image input.`);
    for (;;) {
      while (
        !shouldStop() &&
        (this.modelError ||
          this.job ||
          this.decodeInFlight ||
          this.pendingDecode ||
          this.needsEncoding(this.current) ||
          performance.now() - this.lastInteraction < PREFETCH_IDLE_MS)
      ) {
        if (this.modelError) throw new Error(`${this.modelError.message} ${this.modelError.hint}`.trim());
        await sleep(100);
      }
      if (shouldStop()) return null;
      const job: EncodeJob = { imageId: -1, cancelled: false };
      this.job = job;
      try {
        const stopped = new Promise<null>((resolve) => (job.onCancel = () => resolve(null)));
        this.encoder ??= this.spawnEncoder();
        const enc = this.encoder;
        await Promise.race([enc.ready, stopped]);
        if (job.cancelled) continue;
        const r = await Promise.race([enc.api.encode(src.blob, src.name, crop ?? undefined), stopped]);
        if (!r || job.cancelled) continue;
        await this.decoder!.setScratch(...transferred(r), r.width, r.height);
        this.encoderTimes.push(r.ms);
        return { source: 'scratch', width: r.width, height: r.height };
      } catch (e) {
        // a worker ended by a click rejects the call under way: try again when the user pauses
        if (job.cancelled) continue;
        throw e;
      } finally {
        if (this.job === job) this.job = null;
        this.pump();
      }
    }
  }

  /**
   * Batch decodes give way to the user: while they click or paint (and for {@link BATCH_DECODE_IDLE_MS}
   * after), none is started, so their decodes and strokes never queue behind one.
   */
  private async batchTurn(shouldStop: () => boolean): Promise<void> {
    while (
      !shouldStop() &&
      (this.decodeInFlight || this.pendingDecode || performance.now() - this.lastInteraction < BATCH_DECODE_IDLE_MS)
    ) {
      await sleep(50);
    }
  }

  /** A batch job's mask for prompts on a batch embedding (see the decoder worker's `batchMask`). */
  async batchMask(
    source: EmbeddingSource,
    prompts: Prompts,
    paste: { roi: PixelRect; width: number; height: number } | null,
    shouldStop: () => boolean = () => false,
  ): Promise<BatchMask> {
    await this.batchTurn(shouldStop);
    return this.decoder!.batchMask(source, prompts, paste);
  }

  async amgMask(
    source: EmbeddingSource,
    point: { x: number; y: number },
    crop: BoxXyxy,
    image: { width: number; height: number },
    params: AmgParams,
    shouldStop: () => boolean = () => false,
  ): Promise<AmgMask | null> {
    await this.batchTurn(shouldStop);
    return this.decoder!.amgMask(source, point, crop, image, params);
  }

  async amgSmallRegions(masks: AmgMask[], minArea: number, nmsThresh: number): Promise<AmgMask[]> {
    return this.decoder!.amgSmallRegions(masks, minArea, nmsThresh);
  }

  /** While set, nothing is encoded ahead of time (benchmarks of the decoder alone). */
  private holdBackground = false;

  async renderMask(rle: CocoRle, color: string): Promise<RenderedMask> {
    if (!this.decoder) throw new Error('decoder not started');
    await this.decoderReady;
    return this.decoder.renderMask(rle, color);
  }
}

/** How many zoom-in crops' embeddings the decoder keeps (undo/redo within a few objects needs no encode). */
export const CROPS_KEPT = 4;

function cropKey(imageId: number, r: PixelRect): string {
  return `${imageId}:${r.x0},${r.y0},${r.x1},${r.y1}`;
}

function cropOfKey(key: string): [number, PixelRect] {
  const [id, rest] = key.split(':') as [string, string];
  const [x0, y0, x1, y1] = rest.split(',').map(Number) as [number, number, number, number];
  return [Number(id), { x0, y0, x1, y1 }];
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // settled by whichever comes first; later calls are no-ops on a settled promise
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** An encode's tensors for the decoder, their buffers transferred (not copied). */
function transferred(r: { embedding: Float32Array; extra: Float32Array[] }): [Float32Array, Float32Array[]] {
  const embedding = Comlink.transfer(r.embedding, [r.embedding.buffer, ...r.extra.map((x) => x.buffer)]);
  return [embedding, r.extra];
}
