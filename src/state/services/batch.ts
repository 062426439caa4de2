/**
 * Pre-annotation in the app: the batch's state (progress only, no pixels) and the actions that
 * start, pause, resume and cancel it. Finished images land in the project as proposals to review.
 */
import { maskPngImageKeys } from '../../core/coco/maskPng.ts';
import { isMachineSource } from '../../core/coco/merge.ts';
import { fileStem } from '../../core/export/files.ts';
import { DEFAULT_AMG_PARAMS, checkAmgParams, type AmgParams } from '../../core/sam/amg.ts';
import { parseClassMap } from '../../core/sam/classMap.ts';
import { DEFAULT_COARSE_OPTIONS, type CoarseOptions, type CoarsePrompt } from '../../core/sam/coarse.ts';
import { DEFAULT_BOX_PLAN, type BoxPlanOptions } from '../../core/sam/roi.ts';
import { PreannotateRun, type PreannotateItem, type PreannotateMode, type PreannotateProgress } from '../../inference/preannotate.ts';
import { coarsePromptsFromPngs } from '../../io/exporter.ts';
import type { AppStore } from '../store/store.ts';
import type { InferenceEngine } from '../../inference/engine.ts';

export interface PreannotateRequest {
  mode: PreannotateMode;
  /** 'all' images of the project (default) or only the shown one */
  scope?: 'all' | 'current';
  boxPlan?: Partial<BoxPlanOptions>;
  amg?: Partial<AmgParams>;
  /** coarse mode: the label PNGs (matched to images by name) and how to read them */
  coarseFiles?: { blob: Blob; name: string }[];
  coarse?: Partial<Pick<CoarseOptions, 'kind' | 'prompt' | 'minArea' | 'findPointTimes' | 'positivePoints' | 'negativePoints'>>;
  /** coarse mode: class id -> category name, e.g. "1=person, 2=car" */
  classMap?: string;
  /** category name of segment-everything masks (default: the current category) */
  everythingCategory?: string;
  /**
   * Coarse and segment-everything modes skip images that already have machine-made masks (a run
   * interrupted by a reload resumes where it stopped); `redo` runs them again.
   */
  redo?: boolean;
  /** prompts per call of the batched decoder (default 4, DEFAULT_POINTS_PER_BATCH; 1: one decoder call per prompt) */
  pointsPerBatch?: number;
}

export interface BatchDeps {
  store: AppStore;
  engine: InferenceEngine;
  images: { has(id: number): boolean };
}

/** Runs one pre-annotation batch at a time on the engine; its progress is the store's `batch`. */
export class BatchRunner {
  private current: PreannotateRun | null = null;
  /** the run under way until it has finished (cancelled, failed or done) */
  private unfinished: PreannotateRun | null = null;
  private readonly store: AppStore;
  /** the coarse label PNGs picked in the panel (kept for the next run; files stay out of the store) */
  private coarse: { blob: Blob; name: string }[] = [];

  constructor(private readonly deps: BatchDeps) {
    this.store = deps.store;
  }

  /** The label PNGs chosen for coarse mode (the panel's file input; the automation's coarse runs). */
  coarseFiles(): { blob: Blob; name: string }[] {
    return this.coarse;
  }

  setCoarseFiles(files: { blob: Blob; name: string }[]): void {
    this.coarse = files;
  }

  /** Whether a run is under way (running, waiting or paused): from its start, not from its first progress report. */
  running(): boolean {
    return this.unfinished !== null;
  }

  /**
   * Starts a pre-annotation batch; resolves when it has started (or says why it cannot). The run's end
   * is `whenFinished()`.
   */
  async start(req: PreannotateRequest): Promise<{ ok: true; images: number } | { ok: false; error: string }> {
    const store = this.store.getState();
    const fail = (error: string, hint = '') => {
      store.notify('error', error, hint);
      return { ok: false as const, error };
    };
    if (this.running()) return fail('A pre-annotation is already running.', 'Pause or cancel it first.');
    if (store.model.status === 'error')
      return fail('The model could not be loaded, so nothing can be pre-annotated.', store.model.error?.hint ?? '');
    const project = store.project;
    const scopeIds =
      req.scope === 'current' ? (store.currentImageId === null ? [] : [store.currentImageId]) : project.images.map((im) => im.id);
    const images = project.images.filter((im) => scopeIds.includes(im.id) && this.deps.images.has(im.id));
    const missing = project.images.filter((im) => scopeIds.includes(im.id) && !this.deps.images.has(im.id)).map((im) => im.fileName);
    if (missing.length) {
      store.notify(
        'warning',
        `${missing.length} image(s) are left out: their files are not open.`,
        `Open them with “Open images” and run again: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`,
      );
    }
    const amg: AmgParams = { ...DEFAULT_AMG_PARAMS, ...req.amg };
    try {
      checkAmgParams(amg);
    } catch (e) {
      return fail(`Segment everything: ${(e as Error).message}.`);
    }
    const margin = req.boxPlan?.margin ?? DEFAULT_BOX_PLAN.margin;
    if (!(margin >= 0 && margin <= 5)) return fail(`ROI margin ${margin}: expected a share of the box between 0 and 5 (0.15 = 15 %).`);
    let items: PreannotateItem[] = [];
    if (req.mode === 'box' || req.mode === 'box-crop' || req.mode === 'auto-box') {
      for (const im of images) {
        const boxes = project.pendingBoxes.filter((b) => b.imageId === im.id);
        if (boxes.length) items.push({ imageId: im.id, width: im.width, height: im.height, boxes });
      }
      if (!items.length)
        return fail(
          'No boxes are waiting to become masks.',
          'Import a COCO file with bbox-only annotations (or draw boxes first), then run again.',
        );
    }
    const alreadyDone = new Set(project.annotations.filter((a) => isMachineSource(a.source)).map((a) => a.imageId));
    const skipDone = (list: typeof images) => {
      if (req.redo) return list;
      const kept = list.filter((im) => !alreadyDone.has(im.id));
      if (kept.length < list.length) {
        store.notify(
          'info',
          `${list.length - kept.length} image(s) already have machine-made masks and are skipped.`,
          'Tick “again” to run them anew.',
        );
      }
      return kept;
    };
    if (req.mode === 'coarse') {
      const files = req.coarseFiles ?? [];
      if (!files.length)
        return fail(
          'Choose the coarse model’s label PNGs first.',
          'One PNG per image, named like the image; pixel value = class (or instance) id.',
        );
      let classNames: Map<number, string>;
      try {
        classNames = parseClassMap(req.classMap ?? '');
      } catch (e) {
        return fail(`Class map: ${(e as Error).message}.`, 'Write it as 1=person, 2=car.');
      }
      const byKey = new Map(images.map((im) => [fileStem(im.fileName).toLowerCase(), im]));
      const pairs: { file: { blob: Blob; name: string }; im: (typeof images)[number] }[] = [];
      const errors: string[] = [];
      for (const file of files) {
        const im = maskPngImageKeys(file.name)
          .map((k) => byKey.get(k))
          .find((x) => x);
        if (im) pairs.push({ file, im });
        else errors.push(`${file.name}: no image of that name`);
      }
      // images already pre-annotated are left out before their label maps are read
      const todo = new Set(skipDone(pairs.map((p) => p.im)).map((im) => im.id));
      const wanted = pairs.filter((p) => todo.has(p.im.id));
      const options = { ...DEFAULT_COARSE_OPTIONS, ...req.coarse };
      const results = await coarsePromptsFromPngs(
        wanted.map((p) => p.file.blob),
        options,
      );
      const values = new Set<number>();
      const perImage: { im: (typeof images)[number]; prompts: CoarsePrompt[] }[] = [];
      results.forEach((r, i) => {
        const { file, im } = wanted[i]!;
        if (!r.ok) errors.push(`${file.name}: ${r.error}`);
        else if (r.width !== im.width || r.height !== im.height)
          errors.push(`${file.name} is ${r.width}x${r.height} px, ${im.fileName} is ${im.width}x${im.height}`);
        else {
          perImage.push({ im, prompts: r.prompts });
          for (const p of r.prompts) values.add(p.value);
        }
      });
      if (errors.length) {
        store.notify(
          'warning',
          `${errors.length} label PNG(s) were left out.`,
          errors.slice(0, 4).join('; ') + (errors.length > 4 ? '; …' : ''),
        );
      }
      if (pairs.length && !wanted.length)
        return fail('Every image with a label PNG already has machine-made masks.', 'Tick “again” to run them anew.');
      if (!perImage.length) return fail('None of the label PNGs could be used.', errors.slice(0, 2).join('; '));
      const nameOf = (v: number) =>
        classNames.get(v) ??
        (options.kind === 'instance'
          ? (this.store.getState().project.categories.find((c) => c.id === store.currentCategoryId)?.name ?? 'object')
          : `class ${v}`);
      const ids = this.store.getState().ensureCategories([...new Set([...values].map(nameOf))]);
      items = perImage.map(({ im, prompts }) => ({
        imageId: im.id,
        width: im.width,
        height: im.height,
        coarse: prompts.map((p) => ({ ...p, categoryId: ids.get(nameOf(p.value))! })),
      }));
    } else if (req.mode === 'everything') {
      items = skipDone(images).map((im) => ({ imageId: im.id, width: im.width, height: im.height }));
      if (!items.length)
        return fail(
          images.length ? 'Every image already has machine-made masks.' : 'Open images first.',
          images.length ? 'Tick “again” to run them anew.' : '',
        );
    }
    let everythingCategoryId = this.store.getState().currentCategoryId;
    if (req.everythingCategory)
      everythingCategoryId = this.store.getState().ensureCategories([req.everythingCategory]).get(req.everythingCategory)!;

    this.store.getState().setBatch({ mode: req.mode, progress: null });
    // the callbacks refer to the run they belong to (called only after it is made)
    const run: PreannotateRun = new PreannotateRun(
      this.deps.engine,
      items,
      {
        mode: req.mode,
        boxPlan: { ...DEFAULT_BOX_PLAN, ...req.boxPlan },
        amg,
        everythingCategoryId,
        ...(req.pointsPerBatch ? { pointsPerBatch: Math.max(1, Math.min(256, Math.trunc(req.pointsPerBatch))) } : {}),
      },
      {
        onProgress: (p) => {
          if (this.current === run) this.store.getState().setBatch({ progress: p });
        },
        // a run abandoned (another project opened) must not add to the project now shown
        onImageDone: (imageId, masks, consumed) => {
          if (this.current === run) this.store.getState().addProposals(imageId, masks, consumed);
        },
      },
    );
    this.current = run;
    this.unfinished = run;
    void run.finished.finally(() => {
      if (this.unfinished === run) this.unfinished = null;
    });
    void run.finished.then((p) => {
      if (this.current !== run) return;
      const s = this.store.getState();
      const secs = (p.elapsedMs / 1000).toFixed(1);
      if (p.state === 'done')
        s.notify(
          'info',
          `Pre-annotation done: ${p.masks} proposals on ${p.imagesDone} image(s) in ${secs} s.`,
          'Review them: Enter accepts, Delete rejects, N goes to the next.',
        );
      else if (p.state === 'cancelled')
        s.notify(
          'info',
          `Pre-annotation cancelled after ${p.imagesDone} of ${p.imagesTotal} image(s); their ${p.masks} proposals are kept.`,
        );
      else if (p.state === 'error')
        s.notify(
          'error',
          `Pre-annotation stopped: ${p.error}`,
          `The ${p.masks} proposals made before are kept; run it again for the rest.`,
        );
    });
    return { ok: true, images: items.length };
  }

  pause(): void {
    this.current?.pause();
  }

  resume(): void {
    this.current?.resume();
  }

  cancel(): void {
    this.current?.cancel();
  }

  /** Another project is opened: the batch stops and nothing more of it lands anywhere. */
  abandon(): void {
    this.current?.cancel();
    this.current = null;
    this.unfinished = null;
    this.store.getState().setBatch({ mode: null, progress: null });
  }

  /** Resolves with the last progress once the batch under way (if any) has ended. */
  async whenFinished(): Promise<PreannotateProgress | null> {
    return this.current ? this.current.finished : null;
  }
}
