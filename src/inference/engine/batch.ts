import type { AmgMask, AmgParams, BoxXyxy } from '../../core/sam/amg.ts';
import { batchSource, type EmbeddingSource } from '../../core/sam/keys.ts';
import type { Prompts } from '../../core/sam/prompts.ts';
import type { PixelRect } from '../../core/sam/roi.ts';
import type { BatchMask, TrackMask } from '../../../workers/protocol.ts';
import type { CocoRle } from '../../core/mask/rle.ts';
import type { ModelHost } from './host.ts';
import type { ImageStates } from './images.ts';
import type { InteractiveDecodes } from './interactive.ts';
import { PREFETCH_IDLE_MS, type EncodeScheduler } from './scheduler.ts';
import type { BatchHoldup, BlobOf } from './types.ts';
import { errorOf, sleep, transferred } from './util.ts';

/** How long after the user's last click or stroke batch decodes wait before going on. */
export const BATCH_DECODE_IDLE_MS = 500;

/**
 * Batch work (pre-annotation, segment everything) on the shared workers, always giving way to the
 * annotator: its encodes are background jobs, its decodes wait for the user to pause.
 */
export class BatchRunner {
  /** batch embeddings made so far: each is its job's, named by this id in the decoder */
  private jobs = 0;

  constructor(
    private readonly host: ModelHost,
    private readonly images: ImageStates,
    private readonly scheduler: EncodeScheduler,
    private readonly decodes: InteractiveDecodes,
    private readonly blobOf: BlobOf,
    private readonly encoderTimes: number[],
  ) {}

  /**
   * An embedding of an image or of a crop of it (image px), held in the decoder for this job alone,
   * so the interactive cache is left alone. The encode starts only when the shown image is encoded
   * and the user has been idle for {@link PREFETCH_IDLE_MS}, it is stopped the moment the user clicks
   * or paints (as prefetching is), and it is retried when they pause. `shouldStop` ends the wait.
   */
  async embedding(
    imageId: number,
    crop: PixelRect | null,
    shouldStop: () => boolean,
    onHold: (holdup: BatchHoldup | null) => void = () => undefined,
  ): Promise<{ source: EmbeddingSource; width: number; height: number } | null> {
    const { host, scheduler } = this;
    // says why the encode waits, when that changes: the annotator at work, an encode for them, or nothing
    let said: BatchHoldup | null | undefined;
    const hold = (h: BatchHoldup | null) => {
      if (h !== said) onHold((said = h));
    };
    // a batch started while the model is still being set up waits for it
    while (!host.decoderReady && !host.modelError && !shouldStop()) await sleep(100);
    if (host.modelError) throw errorOf(host.modelError);
    if (shouldStop()) return null;
    await host.encoderLoaded.promise;
    await host.decoderReady;
    const src = this.blobOf(imageId);
    if (!src) throw new Error(`The file of image ${imageId} is not open: open it with the image input.`);
    const jobId = ++this.jobs;
    for (;;) {
      for (;;) {
        if (shouldStop()) break;
        if (host.modelError) throw errorOf(host.modelError);
        const now = performance.now();
        // the annotator's own clicks and strokes; the shown image (its encode, and a moment after it is shown
        // or ready, for the first click) is an image for them, not their input
        const user = this.decodes.busy || now - scheduler.lastInput < PREFETCH_IDLE_MS;
        const encoder =
          !!scheduler.job || this.images.needsEncoding(scheduler.current) || now - scheduler.lastInteraction < PREFETCH_IDLE_MS;
        if (!user && !encoder) break;
        hold(user ? 'user' : 'encoder');
        await sleep(100);
      }
      if (shouldStop()) return null;
      hold(null);
      const job = scheduler.begin({ kind: 'batch', jobId });
      try {
        const r = await scheduler.encode(job, src, crop ?? undefined);
        if (!r) continue;
        await host.decoder!.setScratch(jobId, ...transferred(r), r.width, r.height);
        this.encoderTimes.push(r.ms);
        return { source: batchSource(jobId), width: r.width, height: r.height };
      } catch (e) {
        // a worker ended by a click rejects the call under way: try again when the user pauses
        if (job.cancelled) continue;
        throw e;
      } finally {
        scheduler.end(job);
        scheduler.pump();
      }
    }
  }

  /**
   * Batch decodes give way to the user: while they click or paint (and for {@link BATCH_DECODE_IDLE_MS}
   * after), none is started, so their decodes and strokes never queue behind one.
   */
  private async turn(shouldStop: () => boolean): Promise<void> {
    while (!shouldStop() && (this.decodes.busy || performance.now() - this.scheduler.lastInteraction < BATCH_DECODE_IDLE_MS)) {
      await sleep(50);
    }
  }

  /** A batch job's mask for prompts on a batch embedding (see the decoder worker's `batchMask`). */
  async mask(
    source: EmbeddingSource,
    prompts: Prompts,
    paste: { roi: PixelRect; width: number; height: number } | null,
    shouldStop: () => boolean,
  ): Promise<BatchMask> {
    await this.turn(shouldStop);
    return this.host.decoder!.batchMask(source, prompts, paste);
  }

  /** Video propagation's mask on a frame's batch embedding, following the previous frame's mask. */
  async track(source: EmbeddingSource, previous: CocoRle, shouldStop: () => boolean): Promise<TrackMask> {
    await this.turn(shouldStop);
    return this.host.decoder!.trackMask(source, previous);
  }

  async amgMask(
    source: EmbeddingSource,
    point: { x: number; y: number },
    crop: BoxXyxy,
    image: { width: number; height: number },
    params: AmgParams,
    shouldStop: () => boolean,
  ): Promise<AmgMask | null> {
    await this.turn(shouldStop);
    return this.host.decoder!.amgMask(source, point, crop, image, params);
  }

  /** Segment everything on the batched decoder (see the decoder worker's `amgMasks`). */
  async amgMasks(
    source: EmbeddingSource,
    points: { x: number; y: number }[],
    crop: BoxXyxy,
    image: { width: number; height: number },
    params: AmgParams,
    shouldStop: () => boolean,
  ): Promise<(AmgMask | null)[]> {
    await this.turn(shouldStop);
    return this.host.decoder!.amgMasks(source, points, crop, image, params);
  }

  /** Masks for several prompts on a whole image's batch embedding (see the decoder worker's `batchMasks`). */
  async masks(source: EmbeddingSource, prompts: Prompts[], shouldStop: () => boolean): Promise<BatchMask[]> {
    await this.turn(shouldStop);
    return this.host.decoder!.batchMasks(source, prompts);
  }

  async smallRegions(masks: AmgMask[], minArea: number, nmsThresh: number): Promise<AmgMask[]> {
    return this.host.decoder!.amgSmallRegions(masks, minArea, nmsThresh);
  }
}
