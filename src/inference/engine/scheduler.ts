import { appErrorFromUnknown } from '../../core/errors.ts';
import type { PixelRect } from '../../core/sam/roi.ts';
import type { EncodeResult } from '../../../workers/protocol.ts';
import type { ModelHost } from './host.ts';
import type { ImageStates } from './images.ts';
import type { BlobOf, EngineEvents } from './types.ts';
import { transferred } from './util.ts';

/** How long the user must be idle before the next image is encoded ahead of time. */
export const PREFETCH_IDLE_MS = 1500;

/**
 * Images shown less than this apart are a scrub (frame steps with a held key, a clip playing, a person stepping
 * through frames decoded on demand, 150-450 ms a step): the encode under
 * way is not stopped for each of them (stopping ends the encoder worker, and the next one loads the model again on
 * the cores the page needs); the image shown last is encoded once they have stayed this long on it, or at once
 * when the person clicks or paints on it.
 */
export const SETTLE_MS = 600;

/** What an encode job is for: an image's embedding, a zoom-in crop of an image, or a batch job's embedding. */
export type EncodeTarget = { kind: 'image'; imageId: number } | { kind: 'crop'; imageId: number } | { kind: 'batch'; jobId: number };

export interface EncodeJob {
  target: EncodeTarget;
  cancelled: boolean;
  /** called when the job is stopped (its worker is ended, so its call would never settle) */
  onCancel?: () => void;
}

/** The image a job works for (null: batch work). */
const imageOf = (t: EncodeTarget): number | null => (t.kind === 'batch' ? null : t.imageId);

/**
 * Encoding, one job at a time: the shown image first, the next image only while the user is idle,
 * and a background job stopped (its encoder worker ended) the moment the user needs the cores.
 */
export class EncodeScheduler {
  /** the encode under way */
  job: EncodeJob | null = null;
  /** the shown image and the one to encode ahead of time */
  current: number | null = null;
  private next: number | null = null;
  /** when the user last clicked, painted or was shown another image */
  lastInteraction = 0;
  /** when the user last clicked or painted (their own input, not an image shown to them) */
  lastInput = 0;
  /** While set, nothing is encoded ahead of time (benchmarks of the decoder alone). */
  holdBackground = false;
  private prefetchTimer: ReturnType<typeof setTimeout> | null = null;
  /** when the shown image last changed, and until when the shown images are a scrub (see SETTLE_MS) */
  private lastShown = -Infinity;
  private settleUntil = 0;

  constructor(
    private readonly host: ModelHost,
    private readonly images: ImageStates,
    private readonly events: EngineEvents,
    private readonly blobOf: BlobOf,
    /** whether a click's decode is running */
    private readonly decodeRunning: () => boolean,
    private readonly times: { encoder: number[]; warm: number[] },
  ) {}

  show(current: number | null, next: number | null): void {
    // a newly shown image is looked at before it is clicked: count that as activity, so the next
    // image is not encoded right away only to be stopped by the first click
    if (current !== this.current) {
      const now = performance.now();
      this.lastInteraction = now;
      if (now - this.lastShown < SETTLE_MS) this.settleUntil = now + SETTLE_MS;
      this.lastShown = now;
    }
    this.current = current;
    this.next = next;
    this.pump();
  }

  /** No image is shown any more (another project). */
  forgetShown(): void {
    this.current = null;
    this.next = null;
  }

  /** User input on an image: a background encode for anything else gives way at once. */
  noteActivity(imageId: number): void {
    this.lastInteraction = this.lastInput = performance.now();
    // a click or a stroke on the image stepped to: no more waiting for the steps to settle
    const settling = imageId === this.current && this.settleUntil > this.lastInput;
    this.settleUntil = 0;
    if (this.job && !this.worksFor(imageId)) this.cancelJob();
    if (settling) this.pump();
  }

  /** Whether the job under way works for `imageId` (its own encode or a crop of it). */
  worksFor(imageId: number | null): boolean {
    return !!this.job && imageOf(this.job.target) === imageId;
  }

  cancelJob(): void {
    const job = this.job;
    if (!job || !this.host.encoder) return;
    job.cancelled = true;
    job.onCancel?.();
    this.host.endEncoder();
    const imageId = imageOf(job.target);
    if (imageId !== null && this.images.get(imageId) === 'encoding') this.images.set(imageId, 'pending');
    this.job = null;
  }

  /** Makes a job the one under way; `end` it when done. */
  begin(target: EncodeTarget): EncodeJob {
    const job: EncodeJob = { target, cancelled: false };
    this.job = job;
    return job;
  }

  end(job: EncodeJob): void {
    if (this.job === job) this.job = null;
  }

  /**
   * The encode of a job (of a crop of the image when `crop` is given), on the encoder worker (spawned
   * if there is none): null when the job is cancelled meanwhile (its worker ended, the call would
   * never settle).
   */
  async encode(job: EncodeJob, src: { name: string; read(): Promise<Blob> }, crop?: PixelRect): Promise<EncodeResult | null> {
    const stopped = new Promise<null>((resolve) => (job.onCancel = () => resolve(null)));
    const enc = this.host.ensureEncoder();
    await Promise.race([enc.ready, stopped]);
    if (job.cancelled) return null;
    // (a frame of a stored video is decoded now)
    const blob = await Promise.race([src.read(), stopped]);
    if (!blob || job.cancelled) return null;
    const r = await Promise.race([enc.api.encode(blob, src.name, crop), stopped]);
    return job.cancelled ? null : r;
  }

  pump(): void {
    if (this.host.modelError || !this.host.decoder || !this.host.choice) return;
    if (this.prefetchTimer) {
      clearTimeout(this.prefetchTimer);
      this.prefetchTimer = null;
    }
    const settling = this.settleUntil - performance.now();
    if (this.job) {
      // a background job gives way at once when the shown image needs its embedding (once a scrub has settled)
      if (!this.worksFor(this.current) && this.images.needsEncoding(this.current)) {
        if (settling > 0) {
          this.prefetchTimer = setTimeout(() => this.pump(), settling);
          return;
        }
        this.cancelJob();
      } else return;
    }
    if (this.images.needsEncoding(this.current)) {
      if (settling > 0) this.prefetchTimer = setTimeout(() => this.pump(), settling);
      else void this.runJob(this.current);
      return;
    }
    if (this.images.needsEncoding(this.next) && !this.holdBackground) {
      const wait = this.lastInteraction + PREFETCH_IDLE_MS - performance.now();
      if (wait > 0 || this.decodeRunning()) {
        this.prefetchTimer = setTimeout(() => this.pump(), Math.max(wait, 100));
        return;
      }
      void this.runJob(this.next);
    }
  }

  private async runJob(imageId: number): Promise<void> {
    const src = this.blobOf(imageId);
    if (!src) return;
    const job = this.begin({ kind: 'image', imageId });
    this.images.set(imageId, 'encoding');
    try {
      const r = await this.encode(job, src);
      if (!r) return;
      await this.host.decoderReady;
      await this.host.decoder!.setEmbedding(imageId, ...transferred(r), r.width, r.height);
      // the annotator now aims at the shown image: the next image's encode waits until they are idle
      // (a background encode slows the first clicks down, and stopping it frees the cores only late)
      if (imageId === this.current) this.lastInteraction = performance.now();
      // the first click on the image is then as fast as the later ones (a click made meanwhile goes first)
      if (imageId === this.current)
        void this.host.decoder!.warm(imageId).then(
          (ms) => this.times.warm.push(ms),
          () => undefined,
        );
      this.images.set(imageId, 'ready');
      this.times.encoder.push(r.ms);
      this.events.onEncoded?.(imageId, r.ms, imageId !== this.current);
      await this.syncCache();
    } catch (e) {
      if (job.cancelled) return;
      const err = appErrorFromUnknown(e);
      if (err.code === 'MODEL_LOAD' || err.code === 'MODEL_FETCH' || err.code === 'MODEL_SIGNATURE') {
        // the model's fault, not the image's: said once, as the model's error
        this.images.set(imageId, 'error');
        this.host.modelFailed(err);
      } else this.images.set(imageId, 'error', err);
    } finally {
      this.end(job);
      if (!job.cancelled) this.pump();
    }
  }

  /** Embeddings pushed out of the decoder's LRU cache go back to 'pending'. */
  private async syncCache(): Promise<void> {
    const decoder = this.host.decoder;
    if (!decoder) return;
    this.images.keepOnly(new Set(await decoder.cachedImageIds()));
    await this.host.reportMemory();
  }
}
