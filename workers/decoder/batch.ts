import { maskFromRle, rleFromMask, type CocoRle } from '../../src/core/mask/rle.ts';
import { candidatePlane } from '../../src/core/sam/candidates.ts';
import { sam2MaskFromLowRes } from '../../src/core/sam/sam2.ts';
import { frameFlag, mostConsistent, promptsFromMask } from '../../src/core/video/propagate.ts';
import { interpolateBetween } from '../../src/core/video/interpolate.ts';
import {
  amgMaskFromLogits,
  amgMaskFromLowRes,
  postprocessSmallRegions,
  type AmgMask,
  type AmgParams,
  type BoxXyxy,
} from '../../src/core/sam/amg.ts';
import type { EmbeddingSource } from '../../src/core/sam/keys.ts';
import { maskAreaAndBbox, maskFromLowResLogits, modelLogitsFromLowRes } from '../../src/core/sam/postprocess.ts';
import type { Prompts } from '../../src/core/sam/prompts.ts';
import { pasteMask, type PixelRect } from '../../src/core/sam/roi.ts';
import type { BatchMask, TrackMask } from '../protocol.ts';
import type { EmbeddingStore } from './embeddings.ts';
import type { DecoderModel, Entry } from './model.ts';
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

  /**
   * Video propagation's step on one frame (its batch embedding, the whole frame): the previous frame's
   * mask gives the prompts (src/core/video/propagate.ts), of SAM's candidates the one most consistent
   * with the previous mask is taken, and the frame is flagged where the object is lost or changes
   * abruptly. Each candidate's mask comes from its low-res logits, as the CLI computes it (the same
   * frames and first mask give the same masks in both).
   */
  track(source: EmbeddingSource, previous: CocoRle): Promise<TrackMask> {
    return this.exclusive.run(1, async () => {
      const e = this.store.source(source);
      const image = { width: e.width, height: e.height };
      const prev = maskFromRle(previous);
      if (prev.length !== e.width * e.height)
        throw new Error(`the previous mask is ${previous.size[1]}x${previous.size[0]}, the frame ${e.width}x${e.height}`);
      const prompts = promptsFromMask(prev, e.width, e.height);
      if (!prompts)
        return {
          rle: rleFromMask(prev.fill(0), e.width, e.height),
          area: 0,
          bbox: [0, 0, 0, 0],
          score: 0,
          flag: 'lost',
          prompts: { points: [], box: null },
        };
      const r = await this.model.run(e, prompts);
      const sam2 = this.model.isSam2;
      const inputSize = this.model.loaded().manifest.normalization.inputSize;
      const candidates: { mask: Uint8Array; score: number }[] = [];
      if (r.iousAll && r.lowResAll) {
        for (let token = 0; token < r.iousAll.length; token++) {
          const mask = sam2
            ? sam2MaskFromLowRes(r.lowResAll, token, image).mask
            : maskFromLowResLogits(
                modelLogitsFromLowRes(candidatePlane(r.lowResAll, token, 256 * 256), r.modelSize, inputSize),
                r.modelSize,
                image,
              ).mask;
          candidates.push({ mask, score: r.iousAll[token]! });
        }
      } else candidates.push({ mask: maskFromLowResLogits(r.logits, r.modelSize, e).mask, score: r.score });
      const best = candidates[mostConsistent(candidates, prev)]!;
      const { area, bbox } = maskAreaAndBbox(best.mask, e.width, e.height);
      return {
        rle: rleFromMask(best.mask, e.width, e.height),
        area,
        bbox,
        score: best.score,
        flag: frameFlag(prev, best.mask, best.score),
        prompts,
      };
    });
  }

  /** The masks of the `between` frames between two keyframes' masks, by interpolation (no model). */
  interpolate(a: CocoRle, b: CocoRle, between: number): BatchMask[] {
    const [h, w] = a.size;
    if (b.size[0] !== h || b.size[1] !== w)
      throw new Error(`the keyframes' masks differ in size (${w}x${h} and ${b.size[1]}x${b.size[0]})`);
    return interpolateBetween(maskFromRle(a), maskFromRle(b), w, h, between + 1).map((m) => {
      const { area, bbox } = maskAreaAndBbox(m, w, h);
      return { rle: rleFromMask(m, w, h), area, bbox, score: 0 };
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

  /**
   * Segment everything on a batched decoder: several grid points of a crop (crop px) in one call, each
   * point's kept mask in image px or null. Without a batched decoder, one call per point.
   */
  async amgMasks(
    source: EmbeddingSource,
    points: { x: number; y: number }[],
    crop: BoxXyxy,
    image: { width: number; height: number },
    params: AmgParams,
  ): Promise<(AmgMask | null)[]> {
    // the batched decoder's first download and compile wait here, not in the turn that clicks share
    await this.model.batchSession();
    const r = await this.exclusive.run(1, () =>
      this.model.runBatch(
        this.store.source(source),
        points.map((p) => ({ points: [{ x: p.x, y: p.y, positive: true }], box: null })),
      ),
    );
    if (!r) {
      const out: (AmgMask | null)[] = [];
      for (const p of points) out.push(await this.amgMask(source, p, crop, image, params));
      return out;
    }
    return points.map((p, i) =>
      amgMaskFromLowRes(r.lowRes.subarray(i * 65536, (i + 1) * 65536), r.modelSize, r.inputSize, r.ious[i]!, p, crop, image, params),
    );
  }

  /**
   * Masks for several prompts on an image's whole embedding in one call of the batched decoder (every
   * prompt with the same number of points), as RLE; without a batched decoder, one call each.
   */
  async masks(source: EmbeddingSource, prompts: Prompts[]): Promise<BatchMask[]> {
    await this.model.batchSession();
    let e: Entry | null = null;
    const r = await this.exclusive.run(1, () => this.model.runBatch((e = this.store.source(source)), prompts));
    if (!r || !e) {
      const out: BatchMask[] = [];
      for (const p of prompts) out.push(await this.mask(source, p, null));
      return out;
    }
    const size = { width: (e as Entry).width, height: (e as Entry).height };
    return prompts.map((_, i) => {
      const logits = modelLogitsFromLowRes(r.lowRes.subarray(i * 65536, (i + 1) * 65536), r.modelSize, r.inputSize);
      const m = maskFromLowResLogits(logits, r.modelSize, size);
      return { rle: rleFromMask(m.mask, size.width, size.height), area: m.area, bbox: m.bbox, score: r.ious[i]! };
    });
  }

  /** Segment everything's last step: small holes and islands removed, NMS again. */
  smallRegions(masks: AmgMask[], minArea: number, nmsThresh: number): AmgMask[] {
    return postprocessSmallRegions(masks, minArea, nmsThresh);
  }
}
