import { rleFromMask } from '../../src/core/mask/rle.ts';
import { amgMaskFromLogits, postprocessSmallRegions, type AmgMask, type AmgParams, type BoxXyxy } from '../../src/core/sam/amg.ts';
import type { EmbeddingSource } from '../../src/core/sam/keys.ts';
import { maskAreaAndBbox, maskFromLowResLogits } from '../../src/core/sam/postprocess.ts';
import type { Prompts } from '../../src/core/sam/prompts.ts';
import { pasteMask, type PixelRect } from '../../src/core/sam/roi.ts';
import type { BatchMask } from '../protocol.ts';
import type { EmbeddingStore } from './embeddings.ts';
import type { DecoderModel } from './model.ts';
import type { Exclusive } from './scheduler.ts';

/**
 * Batch work's decodes (pre-annotation, segment everything): each runs after any interactive decode
 * waiting, and its mask leaves the worker as RLE only.
 */
export class BatchDecoder {
  constructor(
    private readonly model: DecoderModel,
    private readonly store: EmbeddingStore,
    private readonly exclusive: Exclusive,
  ) {}

  /** A mask for prompts on a batch embedding, pasted into its image when the embedding is a crop (`paste`). */
  mask(source: EmbeddingSource, prompts: Prompts, paste: { roi: PixelRect; width: number; height: number } | null): Promise<BatchMask> {
    return this.exclusive.run(1, async () => {
      const e = this.store.source(source);
      const r = await this.model.run(e, prompts);
      const m = maskFromLowResLogits(r.logits, r.modelSize, e);
      if (!paste) return { rle: rleFromMask(m.mask, e.width, e.height), area: m.area, bbox: m.bbox, score: r.score };
      const full = pasteMask(m.mask, paste.roi, paste);
      const { area, bbox } = maskAreaAndBbox(full, paste.width, paste.height);
      return { rle: rleFromMask(full, paste.width, paste.height), area, bbox, score: r.score };
    });
  }

  /** Segment everything: one grid point of a crop (crop px) -> a kept mask in image px, or null (filtered). */
  amgMask(
    source: EmbeddingSource,
    point: { x: number; y: number },
    crop: BoxXyxy,
    image: { width: number; height: number },
    params: AmgParams,
  ): Promise<AmgMask | null> {
    return this.exclusive.run(1, async () => {
      const e = this.store.source(source);
      const r = await this.model.run(e, { points: [{ x: point.x, y: point.y, positive: true }], box: null });
      return amgMaskFromLogits(r.logits, r.modelSize, r.score, point, crop, image, params);
    });
  }

  /** Segment everything's last step: small holes and islands removed, NMS again. */
  smallRegions(masks: AmgMask[], minArea: number, nmsThresh: number): AmgMask[] {
    return postprocessSmallRegions(masks, minArea, nmsThresh);
  }
}
