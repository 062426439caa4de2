import { LRUCache } from 'lru-cache';
import { cropKey, isCropOf } from '../../core/sam/keys.ts';
import type { PixelRect } from '../../core/sam/roi.ts';
import type { ModelHost } from './host.ts';
import type { EncodeScheduler } from './scheduler.ts';
import type { BlobOf } from './types.ts';
import { sleep, transferred } from './util.ts';

/** How many zoom-in crops' embeddings the decoder keeps (undo/redo within a few objects needs no encode). */
export const CROPS_KEPT = 4;

/**
 * Zoom-in crops of the shown image, encoded in the background: after the image's own encode, before
 * any image ahead of time (which gives way). The decoder holds exactly the crops kept here: the
 * oldest one is dropped there when a new one comes.
 */
export class CropEncodes {
  /** crops whose embeddings are in the decoder, by key (looked up without reordering: the first in goes first) */
  private readonly ready: LRUCache<string, { imageId: number; roi: PixelRect }>;
  private readonly jobs = new Map<string, Promise<boolean>>();

  constructor(
    private readonly host: ModelHost,
    private readonly scheduler: EncodeScheduler,
    private readonly blobOf: BlobOf,
    private readonly times: number[],
  ) {
    this.ready = new LRUCache({
      max: CROPS_KEPT,
      dispose: (c, _key, reason) => {
        if (reason === 'evict') void this.host.decoder!.dropCrop(c.imageId, c.roi);
      },
    });
  }

  /** Whether a crop's embedding is in the decoder (a decode on it needs no wait). */
  isReady(imageId: number, roi: PixelRect): boolean {
    return this.ready.has(cropKey(imageId, roi));
  }

  /**
   * Encodes a crop of the shown image. Clicks on the image meanwhile are decoded on the whole image
   * and do not stop it; showing another image does. Resolves to whether the crop's embedding is now
   * in the decoder.
   */
  prepare(imageId: number, roi: PixelRect): Promise<boolean> {
    const key = cropKey(imageId, roi);
    if (this.ready.has(key)) return Promise.resolve(true);
    let p = this.jobs.get(key);
    if (!p) {
      p = this.run(imageId, roi, key).finally(() => this.jobs.delete(key));
      this.jobs.set(key, p);
    }
    return p;
  }

  /** Forgets the crops the decoder held (it dropped them itself: another project or model). */
  clear(): void {
    this.ready.clear();
  }

  /** Another model: crops being encoded for the model before are forgotten too. */
  clearAll(): void {
    this.ready.clear();
    this.jobs.clear();
  }

  /** Forgets an image's crops (the decoder drops them with its embedding). */
  forgetImage(imageId: number): void {
    for (const key of [...this.ready.keys()]) if (isCropOf(key, imageId)) this.ready.delete(key);
  }

  private async run(imageId: number, roi: PixelRect, key: string): Promise<boolean> {
    const { host, scheduler } = this;
    await host.decoderReady;
    await host.encoderLoaded.promise;
    for (;;) {
      if (host.modelError || scheduler.current !== imageId) return false;
      if (!scheduler.job) break;
      // work for another image (ahead of time, a batch) gives way; the shown image's own encode does not
      if (!scheduler.worksFor(imageId)) scheduler.cancelJob();
      else await sleep(50);
    }
    const src = this.blobOf(imageId);
    if (!src) return false;
    const job = scheduler.begin({ kind: 'crop', imageId });
    try {
      const r = await scheduler.encode(job, src, roi);
      if (!r) return false;
      await host.decoder!.setCrop(imageId, roi, ...transferred(r));
      // the oldest crop beyond CROPS_KEPT is dropped in the decoder too
      this.ready.set(key, { imageId, roi });
      this.times.push(r.ms);
      return true;
    } catch (e) {
      if (job.cancelled) return false;
      throw e;
    } finally {
      scheduler.end(job);
      scheduler.pump();
    }
  }
}
