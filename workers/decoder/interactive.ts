import * as Comlink from 'comlink';
import { AppError } from '../../src/core/errors.ts';
import { candidatePlane, decoderPick, rankCandidates, type MaskCandidate } from '../../src/core/sam/candidates.ts';
import { modelLogitsFromLowRes } from '../../src/core/sam/postprocess.ts';
import type { Prompts } from '../../src/core/sam/prompts.ts';
import type { PixelRect } from '../../src/core/sam/roi.ts';
import { feedbackForFrame, promptsInCrop, wholeImage } from '../../src/core/sam/zoomIn.ts';
import type { DecodeRequest, DecodeResult, HoverRequest, HoverResult } from '../protocol.ts';
import type { EmbeddingStore } from './embeddings.ts';
import type { LiveMask } from './live.ts';
import type { DecoderModel, DecoderRun } from './model.ts';
import { candidatePreviews, hoverOverlay } from './previews.ts';
import type { Exclusive } from './scheduler.ts';

/**
 * The last decoder runs and what they were for: choosing another candidate of the shown mask, or
 * clicking where the hover preview was, decodes nothing.
 */
const RUNS_KEPT = 2;
/**
 * Low-res logits of recent decodes by generation (256x256 floats each): the next click's mask_input,
 * and what undo/redo feed again to give back exactly the mask that was shown at a step.
 */
const LOW_RES_KEPT = 128;

const runKey = (imageId: number, prompts: Prompts, frame: PixelRect, feedbackFrom: number | null) =>
  JSON.stringify([imageId, prompts, frame, feedbackFrom]);

/** The annotator's decodes: clicks (with mask feedback, candidates and zoom-in crops), hover previews and warm-ups. */
export class Interactive {
  private readonly recentRuns: { key: string; run: DecoderRun }[] = [];
  private readonly lowResByGeneration = new Map<number, { imageId: number; data: Float32Array; frame: PixelRect }>();
  /** hover requests up to this one are stale (a newer hover or a click came) */
  private hoverStale = 0;
  private hoverLatest = 0;

  constructor(
    private readonly model: DecoderModel,
    private readonly store: EmbeddingStore,
    private readonly live: LiveMask,
    private readonly exclusive: Exclusive,
  ) {}

  decode(req: DecodeRequest): Promise<DecodeResult> {
    // a click goes before any hover preview still waiting
    this.hoverStale = this.hoverLatest;
    return this.exclusive.run(0, () => this.decodeNow(req));
  }

  hover(req: HoverRequest): Promise<HoverResult | null> {
    this.hoverLatest = Math.max(this.hoverLatest, req.seq);
    return this.exclusive.run(0, async () => {
      if (req.seq <= this.hoverStale || req.seq < this.hoverLatest || !this.model.isLoaded) return null;
      const e = this.store.image(req.imageId);
      if (!e) return null;
      const t0 = performance.now();
      const prompts: Prompts = { points: [{ x: req.point.x, y: req.point.y, positive: true }], box: null };
      const key = runKey(req.imageId, prompts, wholeImage(e), null);
      const run = this.keptRun(key) ?? (await this.model.run(e, prompts, null));
      this.keepRun(key, run);
      const decodeMs = performance.now() - t0;
      // the mask drawn light: a preview, not a mask being drafted
      const overlay = hoverOverlay(run, e.width, e.height, req.color);
      const result: HoverResult = { imageId: req.imageId, seq: req.seq, point: req.point, overlay, score: run.score, decodeMs };
      return overlay ? Comlink.transfer(result, [overlay]) : result;
    });
  }

  cancelHover(seq: number): void {
    this.hoverStale = Math.max(this.hoverStale, seq);
  }

  /** One decoder run on an image's embedding, its result dropped (after any click waiting); ms taken. */
  warm(imageId: number): Promise<number> {
    return this.exclusive.run(1, async () => {
      const e = this.store.image(imageId);
      if (!e) return 0;
      const t0 = performance.now();
      await this.model.run(e, { points: [{ x: e.width / 2, y: e.height / 2, positive: true }], box: null });
      return performance.now() - t0;
    });
  }

  /** Forgets the kept runs and logits (the embeddings they were made on are gone). */
  reset(): void {
    this.recentRuns.length = 0;
    this.lowResByGeneration.clear();
  }

  private keptRun(key: string): DecoderRun | null {
    return this.recentRuns.find((r) => r.key === key)?.run ?? null;
  }

  private keepRun(key: string, run: DecoderRun): void {
    const i = this.recentRuns.findIndex((r) => r.key === key);
    if (i >= 0) this.recentRuns.splice(i, 1);
    this.recentRuns.unshift({ key, run });
    this.recentRuns.length = Math.min(this.recentRuns.length, RUNS_KEPT);
  }

  private async decodeNow(req: DecodeRequest): Promise<DecodeResult> {
    const t0 = performance.now();
    const { manifest } = this.model.loaded();
    const sam2 = this.model.isSam2;
    const e = this.store.image(req.imageId);
    if (!e) throw new AppError('INFERENCE', `Image ${req.imageId} has no embedding yet.`, 'Wait for "ready" and click again.');
    // zoom-in: the crop's embedding when it is here (else the whole image: a click never waits for a crop)
    const cropEntry = req.crop ? this.store.crop(req.imageId, req.crop) : undefined;
    const frame = cropEntry ? req.crop! : wholeImage(e);
    const source = cropEntry ?? e;
    const prompts = cropEntry ? promptsInCrop(req.prompts, frame) : req.prompts;
    const key = runKey(req.imageId, req.prompts, frame, req.feedbackFrom);
    let run = this.keptRun(key);
    if (!run) {
      const prev = req.feedbackFrom === null ? undefined : this.lowResByGeneration.get(req.feedbackFrom);
      const fed =
        prev && prev.imageId === req.imageId
          ? feedbackForFrame(
              { logits: prev.data, frame: prev.frame },
              frame,
              wholeImage(e),
              req.cropFeedback,
              manifest.normalization.inputSize,
              sam2 ? 'sam2' : 'sam',
            )
          : null;
      // a copy: the kept logits must stay as they are
      const feedback = fed && fed === prev?.data ? Float32Array.from(fed) : fed;
      run = await this.model.run(source, prompts, feedback);
    }
    this.keepRun(key, run);
    const decodeMs = performance.now() - t0;
    // SAM's candidates for an ambiguous prompt; the one shown is the annotator's choice or the decoder's pick
    const family = sam2 ? 'sam2' : 'sam';
    const candidates: MaskCandidate[] = run.iousAll ? rankCandidates(run.iousAll, prompts, family) : [];
    const pick = run.iousAll ? decoderPick(run.iousAll, prompts, family) : null;
    const token = req.candidate !== null && candidates.some((c) => c.token === req.candidate) ? req.candidate : pick;
    let { logits, lowRes, score } = run;
    if (token !== null && token !== pick && run.lowResAll && run.iousAll) {
      lowRes = Float32Array.from(candidatePlane(run.lowResAll, token, 256 * 256));
      logits = sam2 ? lowRes : modelLogitsFromLowRes(lowRes, run.modelSize, manifest.normalization.inputSize);
      score = run.iousAll[token]!;
    }
    if (lowRes && lowRes.length === 256 * 256) {
      const kept = this.lowResByGeneration;
      kept.set(req.generation, { imageId: req.imageId, data: lowRes, frame });
      for (const g of kept.keys()) if (kept.size > LOW_RES_KEPT) kept.delete(g);
    }
    const { overlay, stats } = this.live.show(
      {
        generation: req.generation,
        imageId: req.imageId,
        logits,
        modelSize: run.modelSize,
        width: e.width,
        height: e.height,
        frame,
        score,
        full: null,
      },
      req.color,
    );
    const shown = candidates.length > 1 ? candidates : [];
    // SAM 2's logits are the low-res ones themselves (one cell each)
    const cell = sam2 ? 1 : manifest.normalization.inputSize / 256;
    const { previews, box } = candidatePreviews(
      run,
      shown.map((c) => c.token),
      frame,
      req.color,
      cell,
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
  }
}
