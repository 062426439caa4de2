/**
 * The in-app batch pre-annotation: images one after another, each image's masks handed over as soon
 * as the image is done (nothing is lost when the run is paused, cancelled or the page closes later).
 * All pixel work runs in the workers (encoder: image and crop embeddings; decoder: SAM masks as RLE,
 * segment-everything filters); this loop only sequences calls, so the page stays responsive. The
 * encodes are background jobs of the engine: they wait while the user works on the shown image.
 */
import { appErrorFromUnknown } from '../core/errors.ts';
import type { Size } from '../core/geometry.ts';
import {
  preannotateImage,
  type PreannotateBackend,
  type PreannotateMode,
  type PreannotateOptions,
  type PreannotateWork,
  type ProducedMask,
} from '../core/sam/preannotateImage.ts';
import type { EmbeddingSource } from '../../workers/protocol.ts';
import type { InferenceEngine } from './engine.ts';
import type { BatchHoldup } from './engine/types.ts';

export type { PreannotateMode, PreannotateOptions, ProducedMask };

/** One image's work. */
export interface PreannotateItem extends PreannotateWork {
  imageId: number;
}

export interface PreannotateProgress {
  state: 'running' | 'waiting' | 'paused' | 'done' | 'cancelled' | 'error';
  imagesDone: number;
  imagesTotal: number;
  masks: number;
  /** prompts (boxes, objects, grid points) of the image under way */
  step: { imageId: number; done: number; total: number } | null;
  /** active ms (pauses excluded) */
  elapsedMs: number;
  etaMs: number | null;
  error: string | null;
  /** segment everything: ms per image */
  imageMs: number[];
  /** what the image under way is at: its embedding being made, or its masks */
  phase: 'encoding' | 'masks' | null;
  /** why it waits (state 'waiting'): the annotator is at work (their clicks come first), or another encode runs */
  holdup: BatchHoldup | null;
}

export interface PreannotateCallbacks {
  onProgress(p: PreannotateProgress): void;
  /** an image is done: its masks, and the pending boxes they replace */
  onImageDone(imageId: number, masks: ProducedMask[], consumedBoxIds: number[]): void;
}

/** A running batch: pause, resume, cancel; `finished` settles with the last progress. */
export class PreannotateRun {
  private paused = false;
  private cancelled = false;
  private resumeWaiters: (() => void)[] = [];
  private readonly progress: PreannotateProgress;
  private activeMs = 0;
  private activeSince = performance.now();
  readonly finished: Promise<PreannotateProgress>;

  constructor(
    private readonly engine: InferenceEngine,
    private readonly items: readonly PreannotateItem[],
    private readonly options: PreannotateOptions,
    private readonly callbacks: PreannotateCallbacks,
  ) {
    this.progress = {
      state: 'running',
      imagesDone: 0,
      imagesTotal: items.length,
      masks: 0,
      step: null,
      elapsedMs: 0,
      etaMs: null,
      error: null,
      phase: null,
      holdup: null,
      imageMs: [],
    };
    this.finished = this.run();
  }

  pause(): void {
    if (this.paused || this.isOver()) return;
    this.paused = true;
    this.activeMs += performance.now() - this.activeSince;
    this.emit({ state: 'paused' });
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.activeSince = performance.now();
    for (const w of this.resumeWaiters.splice(0)) w();
    this.emit({ state: 'running' });
  }

  cancel(): void {
    if (this.isOver()) return;
    this.cancelled = true;
    this.resume();
  }

  private isOver(): boolean {
    return this.progress.state === 'done' || this.progress.state === 'cancelled' || this.progress.state === 'error';
  }

  private elapsed(): number {
    return this.activeMs + (this.paused ? 0 : performance.now() - this.activeSince);
  }

  private emit(patch: Partial<PreannotateProgress>): void {
    Object.assign(this.progress, patch);
    const el = this.elapsed();
    this.progress.elapsedMs = el;
    const p = this.progress;
    // the share of the whole job done, counting the steps of the image under way
    const frac = (p.imagesDone + (p.step && p.step.total ? p.step.done / p.step.total : 0)) / Math.max(1, p.imagesTotal);
    p.etaMs = frac > 0 && frac < 1 ? (el / frac) * (1 - frac) : frac >= 1 ? 0 : null;
    this.callbacks.onProgress({ ...p, step: p.step ? { ...p.step } : null, imageMs: [...p.imageMs] });
  }

  /** Waits while paused; true when the run is cancelled. */
  private async checkpoint(): Promise<boolean> {
    while (this.paused && !this.cancelled) await new Promise<void>((r) => this.resumeWaiters.push(r));
    return this.cancelled;
  }

  /** An embedding for batch decodes (the whole image, or a crop), waiting for the user to pause. */
  private async embedding(
    item: PreannotateItem,
    crop: { x0: number; y0: number; x1: number; y1: number } | null,
  ): Promise<EmbeddingSource | null> {
    this.emit({ phase: 'encoding' });
    const r = await this.engine.batchEmbedding(
      item.imageId,
      crop,
      () => this.cancelled,
      (holdup) => {
        // the engine says when it holds the encode back, and why; a paused run stays paused
        if (this.cancelled || this.isOver()) return;
        this.emit({ state: this.paused ? 'paused' : holdup ? 'waiting' : 'running', holdup });
      },
    );
    if (!this.cancelled) this.emit({ state: this.paused ? 'paused' : 'running', holdup: null, phase: 'masks' });
    return r ? r.source : null;
  }

  private async run(): Promise<PreannotateProgress> {
    try {
      for (const item of this.items) {
        if (await this.checkpoint()) break;
        const t0 = performance.now();
        const out = await this.runImage(item);
        if (!out) break;
        this.progress.imagesDone++;
        this.progress.masks += out.masks.length;
        if (this.options.mode === 'everything') this.progress.imageMs.push(performance.now() - t0);
        this.callbacks.onImageDone(item.imageId, out.masks, out.consumed);
        this.emit({ step: null });
      }
      this.activeMs = this.elapsed();
      this.paused = true; // freezes the clock
      this.emit({ state: this.cancelled ? 'cancelled' : 'done', step: null, phase: null, holdup: null });
    } catch (e) {
      this.activeMs = this.elapsed();
      this.paused = true;
      const err = appErrorFromUnknown(e);
      this.emit({ state: 'error', error: `${err.message}${err.hint ? ` ${err.hint}` : ''}`, phase: null, holdup: null });
    }
    return { ...this.progress };
  }

  /** One image's masks, or null when cancelled half-way (that image's partial masks are dropped). */
  private runImage(item: PreannotateItem): Promise<{ masks: ProducedMask[]; consumed: number[] } | null> {
    const size: Size = { width: item.width, height: item.height };
    const stop = () => this.cancelled;
    const backend: PreannotateBackend<EmbeddingSource> = {
      embed: (crop) => this.embedding(item, crop),
      mask: (source, prompts, paste) => this.engine.batchMask(source, prompts, paste, stop),
      amgMask: (source, point, crop, _image, params) => this.engine.amgMask(source, point, crop, size, params, stop),
      amgMasks: (source, points, crop, _image, params) => this.engine.amgMasks(source, points, crop, size, params, stop),
      masks: (source, prompts) => this.engine.batchMasks(source, prompts, stop),
      ...(this.options.pointsPerBatch ? { pointsPerBatch: this.options.pointsPerBatch } : {}),
      smallRegions: (masks, minArea, nms) => this.engine.amgSmallRegions(masks, minArea, nms),
      checkpoint: () => this.checkpoint(),
      onStep: (done, total) => this.emit({ step: { imageId: item.imageId, done, total } }),
    };
    return preannotateImage(item, this.options, backend);
  }
}
