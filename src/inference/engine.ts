/**
 * The main-thread side of the model, composed of its parts (src/inference/engine/):
 * - host.ts: the two workers (encoder, decoder), model start-up and switches, progress and failures
 * - images.ts: each image's embedding status
 * - scheduler.ts: encoding, one job at a time, the shown image first (and encode-with-cancel)
 * - interactive.ts: clicks' decodes (the newest wins) and hover previews
 * - crops.ts: zoom-in crops' embeddings
 * - batch.ts: batch work (pre-annotation, segment everything), giving way to the annotator
 */
import type { AmgMask, AmgParams, BoxXyxy } from '../core/sam/amg.ts';
import type { Stroke } from '../core/mask/brush.ts';
import type { CocoRle } from '../core/mask/rle.ts';
import type { EmbeddingSource } from '../core/sam/keys.ts';
import type { ModelManifest } from '../core/sam/manifest.ts';
import type { Prompts } from '../core/sam/prompts.ts';
import type { PixelRect } from '../core/sam/roi.ts';
import { DEFAULT_ZOOM_IN, type ZoomInOptions } from '../core/sam/zoomIn.ts';
import type { BatchMask, TrackMask, DecodeResult, EditResult, EmbeddingMemory, HoverResult, RenderedMask } from '../../workers/protocol.ts';
import type { BackendChoice } from './backend.ts';
import { BatchRunner } from './engine/batch.ts';
import { CropEncodes } from './engine/crops.ts';
import { ModelHost, type PreferredBackend } from './engine/host.ts';
import { ImageStates } from './engine/images.ts';
import { InteractiveDecodes } from './engine/interactive.ts';
import { EncodeScheduler } from './engine/scheduler.ts';
import type { BatchHoldup, BlobOf, EmbeddingStatus, EngineEvents } from './engine/types.ts';
import { errorOf } from './engine/util.ts';

export type { EmbeddingStatus, EngineEvents } from './engine/types.ts';
export { EMBEDDING_CACHE_BYTES } from './engine/host.ts';
export { PREFETCH_IDLE_MS } from './engine/scheduler.ts';
export { BATCH_DECODE_IDLE_MS } from './engine/batch.ts';
export { CROPS_KEPT } from './engine/crops.ts';

/**
 * The main-thread side of the model: two workers (encoder, decoder), encoding scheduled so that the
 * shown image comes first, the next image is encoded only while the user is idle, and a background
 * encode is stopped the moment the user asks for a decode (on 2 cores both would otherwise share
 * the CPU and the click would wait). Decodes are coalesced: the newest request wins.
 */
export class InferenceEngine {
  /** Encoder run times (ms, preprocessing included) of this session, for benchmarks. */
  readonly encoderTimes: number[] = [];
  /** Decoder warm-up runs of this session (ms). */
  readonly warmTimes: number[] = [];
  /** Zoom-in crop encodes of this session (ms, preprocessing included). */
  readonly cropTimes: number[] = [];
  private readonly host: ModelHost;
  private readonly images: ImageStates;
  private readonly scheduler: EncodeScheduler;
  private readonly decodes: InteractiveDecodes;
  private readonly crops: CropEncodes;
  private readonly batch: BatchRunner;

  constructor(blobOf: BlobOf, events: EngineEvents) {
    this.host = new ModelHost(events);
    this.images = new ImageStates(blobOf, events);
    this.scheduler = new EncodeScheduler(this.host, this.images, events, blobOf, () => this.decodes.running, {
      encoder: this.encoderTimes,
      warm: this.warmTimes,
    });
    this.decodes = new InteractiveDecodes(this.host, this.images, this.scheduler, (id) => this.whenReady(id));
    this.crops = new CropEncodes(this.host, this.scheduler, blobOf, this.cropTimes);
    this.batch = new BatchRunner(this.host, this.images, this.scheduler, this.decodes, blobOf, this.encoderTimes);
  }

  get backend(): BackendChoice | null {
    return this.host.choice;
  }

  /** Whether the decoder offers SAM's mask candidates (null while it loads). */
  get hasCandidates(): boolean | null {
    return this.host.candidateOutputs;
  }

  /** The model in use (null before `start`). */
  get model(): ModelManifest | null {
    return this.host.manifest;
  }

  /** bytes of image embeddings the decoder keeps (`?cacheMb=` overrides) */
  get cacheBytes(): number {
    return this.host.cacheBytes;
  }

  set cacheBytes(bytes: number) {
    this.host.cacheBytes = bytes;
  }

  /** the backend and threads asked for (the page's URL); kept for every model switch */
  get preferred(): { backend: PreferredBackend; threads: number | undefined } {
    return this.host.preferred;
  }

  set preferred(p: { backend: PreferredBackend; threads: number | undefined }) {
    this.host.preferred = p;
  }

  /** the decoder's backend on WebGPU by name (`?decoderBackend=webgpu|wasm`), instead of measuring both once */
  set decoderBackend(b: 'webgpu' | 'wasm' | null) {
    this.host.decoderBackend = b;
  }

  async start(manifest: ModelManifest, preferred: PreferredBackend = 'auto', threads?: number): Promise<void> {
    if (await this.host.start(manifest, preferred, threads)) this.scheduler.pump();
  }

  /**
   * Another model: both workers are ended, every embedding, crop and warm run of the model before is
   * dropped (embeddings of two models never mix), the images go back to 'pending' and the new model
   * loads. A decode waiting settles as null; the caller stops batch work first.
   */
  async switchModel(manifest: ModelManifest): Promise<void> {
    this.host.epoch++;
    this.scheduler.cancelJob();
    this.host.unload();
    this.crops.clearAll();
    this.images.backToPending();
    // a decode under way on the old decoder never settles (its worker is gone): its caller gets null
    this.decodes.abandon();
    await this.start(manifest, this.preferred.backend, this.preferred.threads);
  }

  embeddingStatus(imageId: number): EmbeddingStatus {
    return this.images.get(imageId) ?? 'pending';
  }

  /** The shown image and the one to encode ahead of time. */
  show(current: number | null, next: number | null): void {
    this.scheduler.show(current, next);
  }

  /** Forgets every image (another project is opened): background work stops, embeddings are dropped. */
  resetImages(): void {
    this.scheduler.cancelJob();
    this.crops.clear();
    this.images.clear();
    this.scheduler.forgetShown();
    void this.host.decoder?.dropAll();
    void this.host.reportMemory();
  }

  /** Forgets an image (removed from the project). */
  forget(imageId: number): void {
    this.images.delete(imageId);
    this.crops.forgetImage(imageId);
    void this.host.decoder?.dropEmbedding(imageId);
    void this.host.reportMemory();
  }

  /** The file of an image that was 'missing' has been opened: encode it when needed. */
  fileAttached(imageId: number): void {
    if (this.images.get(imageId) === 'missing') this.images.delete(imageId);
    this.scheduler.pump();
  }

  /** What the embeddings take now (null before the decoder is loaded). */
  memory(): Promise<EmbeddingMemory | null> {
    return this.host.memory();
  }

  /** Resolves when the model is loaded and `imageId`'s embedding is in the decoder; rejects on error. */
  whenReady(imageId: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const { modelError, choice, decoder } = this.host;
        if (modelError) return reject(errorOf(modelError));
        const s = this.images.get(imageId);
        if (s === 'error') {
          const e = this.images.error(imageId);
          return reject(e ? errorOf(e) : new Error(`Image ${imageId} could not be encoded.`));
        }
        if (s === 'missing') return reject(new Error(`The file of image ${imageId} is not open: open it with the image input.`));
        if (s === 'ready' && choice && decoder) return resolve();
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
    return this.decodes.decode({ imageId, generation, prompts, color, feedbackFrom, candidate, crop, cropFeedback });
  }

  /** User input on the shown image (a click, a stroke): a background encode gives way at once. */
  noteActivity(imageId: number): void {
    this.scheduler.noteActivity(imageId);
  }

  /** Resolves once no decode is running or waiting. */
  settled(): Promise<void> {
    return this.decodes.settled();
  }

  /** The live mask is gone (prompts cleared, another image): the worker forgets its SAM mask and edit. */
  invalidate(_generation: number): void {
    void this.host.decoder?.clearLive();
  }

  async liveMaskRle(generation: number, withSam = true) {
    return (await this.host.decoder?.liveMaskRle(generation, withSam)) ?? null;
  }

  /** Starts the manual edit of an image (brush/eraser), optionally on an existing mask. */
  async editReset(imageId: number, width: number, height: number, base: CocoRle | null): Promise<void> {
    await this.host.decoderReady;
    await this.host.decoder!.editReset(imageId, width, height, base);
  }

  async editStrokes(imageId: number, strokes: Stroke[], color: string, withSam: boolean): Promise<EditResult> {
    await this.host.decoderReady;
    return this.host.decoder!.editStrokes(imageId, strokes, color, withSam);
  }

  async recolorLive(imageId: number, color: string, withSam: boolean): Promise<EditResult> {
    await this.host.decoderReady;
    return this.host.decoder!.recolorLive(imageId, color, withSam);
  }

  async editAddStroke(imageId: number, stroke: Stroke, color: string, withSam: boolean): Promise<EditResult> {
    await this.host.decoderReady;
    return this.host.decoder!.editAddStroke(imageId, stroke, color, withSam);
  }

  /**
   * Hover preview at an image point (see the decoder's `hover`): only when the image is ready and no
   * click's decode is running or waiting, never while a batch job runs; a click made meanwhile goes
   * first (the preview is then dropped).
   */
  hover(imageId: number, point: { x: number; y: number }, color: string): Promise<HoverResult | null> {
    return this.decodes.hover(imageId, point, color);
  }

  /** Hover previews asked for and not started are dropped (the pointer moved on or left). */
  cancelHover(): void {
    this.decodes.cancelHover();
  }

  /** Decoder runs so far (for tests and benchmarks). */
  async decoderRuns(): Promise<number> {
    await this.host.decoderReady;
    return this.host.decoder ? this.host.decoder.decoderRuns() : 0;
  }

  /** Whether a zoom-in crop's embedding is in the decoder (a decode on it needs no wait). */
  cropReady(imageId: number, roi: PixelRect): boolean {
    return this.crops.isReady(imageId, roi);
  }

  /**
   * Encodes a crop of the shown image for zoom-in refinement, in the background: after the image's
   * own encode, before any image ahead of time (which gives way). Clicks on the image meanwhile are
   * decoded on the whole image and do not stop it; showing another image does. Resolves to whether
   * the crop's embedding is now in the decoder.
   */
  prepareCrop(imageId: number, roi: PixelRect): Promise<boolean> {
    return this.crops.prepare(imageId, roi);
  }

  /** Benchmark reference: the decoder's `session.run` alone, in its worker, on an image's embedding. */
  async benchDecoderRaw(imageId: number, n: number): Promise<number[]> {
    await this.whenReady(imageId);
    // like a user's clicks: no background encode competes with the measured runs
    this.scheduler.holdBackground = true;
    this.scheduler.noteActivity(imageId);
    try {
      return await this.host.decoder!.benchRaw(imageId, n);
    } finally {
      this.scheduler.holdBackground = false;
      this.scheduler.lastInteraction = performance.now();
      this.scheduler.pump();
    }
  }

  /**
   * Batch work (pre-annotation): an embedding of an image or of a crop of it (image px) for the batch
   * calls below, held in the decoder for this batch job so the interactive cache is left alone (see
   * BatchRunner.embedding). `shouldStop` ends the wait (a cancelled batch).
   */
  batchEmbedding(
    imageId: number,
    crop: PixelRect | null,
    shouldStop: () => boolean,
    onHold: (holdup: BatchHoldup | null) => void = () => undefined,
  ): Promise<{ source: EmbeddingSource; width: number; height: number } | null> {
    return this.batch.embedding(imageId, crop, shouldStop, onHold);
  }

  /** A batch job's mask for prompts on a batch embedding (see the decoder worker's `batchMask`). */
  batchMask(
    source: EmbeddingSource,
    prompts: Prompts,
    paste: { roi: PixelRect; width: number; height: number } | null,
    shouldStop: () => boolean = () => false,
  ): Promise<BatchMask> {
    return this.batch.mask(source, prompts, paste, shouldStop);
  }

  /** Video propagation: the mask on a frame (its batch embedding) that follows the previous frame's mask. */
  trackMask(source: EmbeddingSource, previous: CocoRle, shouldStop: () => boolean = () => false): Promise<TrackMask> {
    return this.batch.track(source, previous, shouldStop);
  }

  /** Video: the masks between two keyframes' masks by interpolation (in the decoder worker: no long task here). */
  async interpolateMasks(a: CocoRle, b: CocoRle, between: number): Promise<BatchMask[]> {
    const decoder = this.host.decoder;
    if (!decoder) throw new Error('decoder not started');
    await this.host.decoderReady;
    return decoder.interpolateMasks(a, b, between);
  }

  amgMask(
    source: EmbeddingSource,
    point: { x: number; y: number },
    crop: BoxXyxy,
    image: { width: number; height: number },
    params: AmgParams,
    shouldStop: () => boolean = () => false,
  ): Promise<AmgMask | null> {
    return this.batch.amgMask(source, point, crop, image, params, shouldStop);
  }

  /** Segment everything: several grid points in one call of the batched decoder. */
  amgMasks(
    source: EmbeddingSource,
    points: { x: number; y: number }[],
    crop: BoxXyxy,
    image: { width: number; height: number },
    params: AmgParams,
    shouldStop: () => boolean = () => false,
  ): Promise<(AmgMask | null)[]> {
    return this.batch.amgMasks(source, points, crop, image, params, shouldStop);
  }

  /** A batch job's masks for several prompts on a whole image's batch embedding (the batched decoder). */
  batchMasks(source: EmbeddingSource, prompts: Prompts[], shouldStop: () => boolean = () => false): Promise<BatchMask[]> {
    return this.batch.masks(source, prompts, shouldStop);
  }

  amgSmallRegions(masks: AmgMask[], minArea: number, nmsThresh: number): Promise<AmgMask[]> {
    return this.batch.smallRegions(masks, minArea, nmsThresh);
  }

  async renderMask(rle: CocoRle, color: string): Promise<RenderedMask> {
    const decoder = this.host.decoder;
    if (!decoder) throw new Error('decoder not started');
    await this.host.decoderReady;
    return decoder.renderMask(rle, color);
  }
}
