import { create } from 'zustand';
import { AppError, appErrorFromUnknown, type AppErrorData } from '../core/errors.ts';
import { fileMatchKey } from '../core/coco/import.ts';
import { mergeCocoIntoProject } from '../core/coco/merge.ts';
import { categoryFromMaskFileName, maskPngImageKeys } from '../core/coco/maskPng.ts';
import { decodeMaskPngs, parseCocoFile } from '../io/exporter.ts';
import { fileStem } from '../core/export/files.ts';
import type { CocoRle } from '../core/mask/rle.ts';
import { CATEGORY_PALETTE, emptyProject, nextId, type Annotation, type Project } from '../core/project/types.ts';
import { coveredProposalIds, proposalsToReview } from '../core/project/review.ts';
import { EMPTY_PROMPTS, hasPrompt, promptSource, type BoxPrompt, type Prompts } from '../core/sam/prompts.ts';
import type { Stroke } from '../core/mask/brush.ts';
import { IDLE_TIMER, timerInput, timerStop, timerVisibility, type MaskTimer } from '../core/project/timer.ts';
import { defaultManifest } from '../core/sam/manifest.ts';
import { InferenceEngine, type EmbeddingStatus } from '../inference/engine.ts';
import type { ProducedMask } from '../inference/preannotate.ts';
import { overlays } from '../inference/overlays.ts';
import { fileDisplayName, imageBlob, probeImageFile, registerImageBlob } from '../io/images.ts';

export type Tool = 'points' | 'box' | 'brush' | 'eraser';

/** What undo/redo restores. Hover previews and the timer are not part of it. */
export interface Snapshot {
  prompts: Prompts;
  strokes: Stroke[];
  project: Project;
  editingAnnotationId: number | null;
  selectedAnnotationId: number | null;
}

export const HISTORY_LIMIT = 200;

export interface Notification {
  id: number;
  level: 'error' | 'warning' | 'info';
  message: string;
  hint: string;
}

export interface LiveMask {
  imageId: number;
  generation: number;
  score: number;
  area: number;
  bbox: [number, number, number, number];
  /** area and bbox estimated (large image); exact values come with the accepted annotation */
  approximate: boolean;
  decodeMs: number;
}

/** A machine-made mask to add as a proposal (RLE in image px): what a pre-annotation batch produces. */
export type ProposalInput = ProducedMask;

export interface ModelState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  loaded: number;
  total: number;
  backend: string;
  reason: string;
  error: AppErrorData | null;
}

export interface StoreState {
  project: Project;
  currentImageId: number | null;
  currentCategoryId: number;
  selectedAnnotationId: number | null;
  tool: Tool;
  prompts: Prompts;
  /** generation of the newest prompt state; decode replies for older ones are dropped */
  generation: number;
  live: LiveMask | null;
  decoding: boolean;
  model: ModelState;
  imageStatus: Record<number, EmbeddingStatus>;
  notifications: Notification[];
  lastClickAt: number;
  /** brush/eraser strokes of the mask being edited (image px; plain data) */
  strokes: Stroke[];
  /** brush radius in image px */
  brushRadius: number;
  /** the accepted annotation being edited with the brush, if any */
  editingAnnotationId: number | null;
  /** feed the previous mask's low-res logits to the decoder (SAM's interactive refinement) */
  feedback: boolean;
  timer: MaskTimer;
  /** the 30-second warning was answered with "continue" for this mask */
  budgetAcknowledged: boolean;
  past: Snapshot[];
  future: Snapshot[];
  /** autosave: 'saved' once written to IndexedDB */
  saveState: 'saved' | 'saving' | 'error';

  addFiles(files: readonly File[]): Promise<number[]>;
  addImageBlobs(items: readonly { blob: Blob; name: string }[], show?: 'first' | 'if-none'): Promise<number[]>;
  /** Imports mask PNGs (binary or instance-id) matched to images by name; any bad file: nothing is imported. */
  importMaskPngs(files: readonly { blob: Blob; name: string }[]): Promise<number>;
  /** Imports a COCO instances file; a bad file is reported precisely and changes nothing. */
  importCoco(file: Blob, name: string): Promise<boolean>;
  showImage(id: number): void;
  stepImage(delta: 1 | -1): void;
  setTool(t: Tool): void;
  addPoint(x: number, y: number, positive: boolean): void;
  setBox(b: BoxPrompt): void;
  discardPrompts(): void;
  /** Accepts the mask under way (see acceptNow), or with none, the selected proposal as it is. */
  accept(): Promise<Annotation | null>;
  deleteAnnotation(id: number): void;
  selectAnnotation(id: number | null): void;
  addCategory(name?: string): number;
  renameCategory(id: number, name: string): void;
  recolorCategory(id: number, color: string): void;
  setCategoryByIndex(index: number): void;
  setCurrentCategory(id: number): void;
  /** A brush/eraser stroke starts: the one history step of the stroke. */
  beginStroke(): void;
  /** Paints a piece of the stroke being drawn. */
  strokeProgress(piece: Stroke): void;
  /** Ends the stroke: it joins the edit (already painted piece by piece). */
  endStroke(stroke: Stroke): void;
  setBrushRadius(r: number): void;
  undo(): void;
  redo(): void;
  /**
   * Adds machine-made masks of one image as proposals to review (`source` auto, review 'pending'),
   * in one undo step; `consumedBoxIds` are pending boxes they replace.
   */
  addProposals(imageId: number, masks: readonly ProposalInput[], consumedBoxIds: readonly number[]): number;
  /** "Boxes first": box drags add boxes waiting for pre-annotation instead of prompting SAM. */
  boxesFirst: boolean;
  setBoxesFirst(on: boolean): void;
  /** Adds a box (image px) of the current category to the shown image's boxes waiting to become masks. */
  addPendingBox(b: BoxPrompt): void;
  /** Removes the shown image's newest waiting box (or all of them). */
  removePendingBoxes(all: boolean): void;
  /** Category ids for names, adding the missing categories (one undo step); the current category is kept. */
  ensureCategories(names: readonly string[]): Map<string, number>;
  /** Accepts the selected proposal as it is (its review time is added) and selects the next one. */
  acceptProposal(): void;
  /** Selects the next (or previous) proposal of the shown image still to review. */
  stepProposal(delta: 1 | -1): void;
  /** Skips the object under the 30-second rule: no annotation, the skip is recorded. */
  skipObject(): void;
  acknowledgeBudget(): void;
  setFeedback(on: boolean): void;
  /** The page became hidden or visible (the timer counts active time only). */
  visibilityChanged(hidden: boolean): void;
  notify(level: Notification['level'], message: string, hint?: string): void;
  dismiss(id: number): void;
}

let notificationId = 0;
/** image additions being validated; `whenImagesAdded` waits for them */
const addsInFlight = new Set<Promise<unknown>>();

const acceptsInFlight = new Set<Promise<unknown>>();
/** live-mask updates under way (decodes, strokes, undo/redo repaints) */
const liveUpdates = new Set<Promise<unknown>>();

function trackLive(p: Promise<unknown>): void {
  liveUpdates.add(p);
  void p.finally(() => liveUpdates.delete(p));
}

/** Resolves once the live mask reflects every prompt and stroke given so far. */
export async function whenLiveSettled(): Promise<void> {
  while (liveUpdates.size > 0) await Promise.allSettled([...liveUpdates]);
}

/**
 * Clicks and boxes given while an accept is under way: applied once the accepts under way at that
 * moment are done, so a fast Enter-then-click starts the next mask instead of joining (and voiding)
 * the one being accepted.
 */
const deferredInput = new Set<Promise<unknown>>();

function afterAccepts(apply: () => void): boolean {
  if (acceptsInFlight.size === 0) return false;
  const p = Promise.allSettled([...acceptsInFlight]).then(apply);
  deferredInput.add(p);
  void p.finally(() => deferredInput.delete(p));
  return true;
}

/** Resolves once every click or box deferred behind an accept has been applied. */
export async function whenInputApplied(): Promise<void> {
  while (deferredInput.size > 0) await Promise.allSettled([...deferredInput]);
}

/** Resolves once every accept under way has made its annotation (or given up). */
export async function whenAccepted(): Promise<void> {
  while (acceptsInFlight.size > 0) await Promise.allSettled([...acceptsInFlight]);
}

/** Image additions wait for this (the saved project being restored), so nothing opened meanwhile is lost. */
let initGate: Promise<unknown> = Promise.resolve();
export function setInitGate(p: Promise<unknown>): void {
  initGate = p.catch(() => undefined);
}

/** Resolves once every image addition under way has finished (files validated, the first shown). */
export async function whenImagesAdded(): Promise<void> {
  while (addsInFlight.size > 0) await Promise.allSettled([...addsInFlight]);
}

export const engine = new InferenceEngine((id) => imageBlob(id), {
  onModelProgress: ({ loaded, total }) => useStore.setState((s) => ({ model: { ...s.model, status: 'loading', loaded, total } })),
  onModelReady: (c) => useStore.setState((s) => ({ model: { ...s.model, status: 'ready', backend: c.backend, reason: c.reason } })),
  onModelError: (err) => {
    useStore.setState((s) => ({ model: { ...s.model, status: 'error', error: err } }));
    useStore.getState().notify('error', err.message, err.hint);
  },
  onEmbeddingStatus: (id, status, err) => {
    useStore.setState((s) => ({ imageStatus: { ...s.imageStatus, [id]: status } }));
    if (err && status === 'error') {
      const name = useStore.getState().project.images.find((im) => im.id === id)?.fileName ?? `image ${id}`;
      useStore.getState().notify('error', `${name}: ${err.message}`, err.hint);
    }
  },
});

/** `points` + `brush` -> `points+brush`, without repeats. */
function mergeSource(a: string, b: string): string {
  const parts = new Set([...a.split('+'), ...b.split('+')]);
  return [...parts].join('+');
}

function categoryColor(s: StoreState, id: number): string {
  return s.project.categories.find((c) => c.id === id)?.color ?? '#ffffff';
}

/** Whether a mask is being made or edited (prompts, strokes, or an annotation open for editing). */
function maskUnderWay(s: Pick<StoreState, 'prompts' | 'strokes' | 'editingAnnotationId'>): boolean {
  return hasPrompt(s.prompts) || s.strokes.length > 0 || s.editingAnnotationId !== null;
}

let coveredCache: { annotations: readonly Annotation[]; ids: Set<number> } | null = null;
/** Proposals hidden because an accepted annotation covers them (memoized on the annotation list). */
export function coveredProposals(annotations: readonly Annotation[]): Set<number> {
  if (coveredCache?.annotations !== annotations) coveredCache = { annotations, ids: coveredProposalIds(annotations) };
  return coveredCache.ids;
}

/** The shown image's proposals still to review, in review order. */
export function reviewQueue(s: Pick<StoreState, 'project' | 'currentImageId'>): Annotation[] {
  if (s.currentImageId === null) return [];
  return proposalsToReview(s.project.annotations, s.currentImageId, coveredProposals(s.project.annotations));
}

function neighbours(s: Pick<StoreState, 'project'>, id: number | null): number | null {
  const ims = s.project.images;
  const i = ims.findIndex((im) => im.id === id);
  return i >= 0 && i + 1 < ims.length ? ims[i + 1]!.id : null;
}

export const useStore = create<StoreState>()((set, get) => {
  /** The worker's edit matches this key (image, edited annotation, prompt session) once reset. */
  let editKey: string | null = null;
  let session = 0;
  const wantedEditKey = (s: StoreState) => `${s.currentImageId}:${s.editingAnnotationId}:${session}`;

  /** Makes sure the decoder worker has the edit of the shown image (base annotation) set up. */
  const ensureEdit = async (): Promise<boolean> => {
    const s = get();
    const im = s.project.images.find((x) => x.id === s.currentImageId);
    if (!im) return false;
    const key = wantedEditKey(s);
    if (editKey === key) return true;
    const base =
      s.editingAnnotationId === null ? null : (s.project.annotations.find((a) => a.id === s.editingAnnotationId)?.segmentation ?? null);
    editKey = key;
    await engine.editReset(im.id, im.width, im.height, base);
    return true;
  };

  const showEditResult = (
    r: { overlay: ImageBitmap | null; area: number; bbox: [number, number, number, number] },
    generation: number,
    imageId: number,
  ) => {
    if (generation !== get().generation || imageId !== get().currentImageId) {
      r.overlay?.close();
      return;
    }
    overlays.setLive(r.overlay ? { imageId, generation, bitmap: r.overlay } : null);
    // strokes on a SAM mask keep its predicted IoU on display; a purely manual mask has none
    const prev = get().live;
    const sam = hasPrompt(get().prompts) && prev && prev.imageId === imageId ? prev : null;
    set({
      live: r.overlay
        ? {
            imageId,
            generation,
            score: sam ? sam.score : NaN,
            area: r.area,
            bbox: r.bbox,
            approximate: false,
            decodeMs: sam ? sam.decodeMs : 0,
          }
        : null,
      decoding: false,
    });
  };

  const reportMaskError = (e: unknown) => {
    set({ decoding: false });
    const err = appErrorFromUnknown(e);
    get().notify(
      'error',
      `Could not compute the mask: ${err.message}`,
      err.hint || 'Try again; if it persists, reload the page (accepted annotations are saved).',
    );
  };

  /**
   * Recomputes the live mask from the prompts (SAM decode, newest wins) and the edit (strokes, the
   * annotation being edited); the worker composes them.
   */
  const refreshLive = (repaintStrokes = false): void => {
    const s = get();
    const imageId = s.currentImageId;
    if (imageId === null) return;
    const generation = s.generation;
    const editing = s.strokes.length > 0 || s.editingAnnotationId !== null;
    const color = categoryColor(s, s.currentCategoryId);
    const prompts = hasPrompt(s.prompts);
    if (!prompts && !editing) {
      engine.invalidate(generation);
      editKey = null;
      overlays.setLive(null);
      set({ live: null, decoding: false });
      return;
    }
    set({ decoding: true });
    trackLive(
      (async () => {
        try {
          if (editing) {
            await ensureEdit();
            if (repaintStrokes || !prompts) {
              const r = await engine.editStrokes(imageId, s.strokes, color, false);
              if (!prompts) return showEditResult(r, generation, imageId);
              r.overlay?.close();
            }
          }
          const feedbackFrom = s.feedback && s.live && s.live.imageId === imageId && !Number.isNaN(s.live.score) ? s.live.generation : null;
          const r = await engine.decode(imageId, generation, s.prompts, color, feedbackFrom);
          if (!r) return;
          if (r.generation !== get().generation || r.imageId !== get().currentImageId) {
            r.overlay.close();
            return;
          }
          overlays.setLive({ imageId: r.imageId, generation: r.generation, bitmap: r.overlay });
          set({
            live: {
              imageId: r.imageId,
              generation: r.generation,
              score: r.score,
              area: r.area,
              bbox: r.bbox,
              approximate: r.approximate,
              decodeMs: r.decodeMs,
            },
            decoding: false,
          });
        } catch (e) {
          reportMaskError(e);
        }
      })(),
    );
  };

  const snapshot = (): Snapshot => {
    const s = get();
    return {
      prompts: s.prompts,
      strokes: s.strokes,
      project: s.project,
      editingAnnotationId: s.editingAnnotationId,
      selectedAnnotationId: s.selectedAnnotationId,
    };
  };

  /** Records the state before a change as one undo step. */
  const record = (): void => {
    set((s) => ({ past: [...s.past.slice(-(HISTORY_LIMIT - 1)), snapshot()], future: [] }));
  };

  /** Restores a snapshot and brings the workers' live mask in line with it. */
  const restore = (snap: Snapshot): void => {
    const generation = get().generation + 1;
    engine.invalidate(generation);
    editKey = null;
    session++;
    overlays.setLive(null);
    set({ ...snap, generation, live: null, decoding: false });
    refreshLive(true);
  };

  const tick = (): void => set((s) => ({ timer: timerInput(s.timer, Date.now()) }));

  /** Validates and adds images one by one; bad files are reported and skipped. */
  const addImagesNow = async (items: readonly { blob: Blob; name: string }[], show: 'first' | 'if-none'): Promise<number[]> => {
    await initGate;
    const added: number[] = [];
    for (const { blob, name } of items) {
      try {
        const { width, height } = await probeImageFile(blob, name);
        // an image already in the project without its file (named by an imported COCO file) gets it now
        const waiting = get().project.images.find((im) => !imageBlob(im.id) && fileMatchKey(im.fileName) === fileMatchKey(name));
        if (waiting) {
          if (waiting.width !== width || waiting.height !== height) {
            throw new AppError(
              'IMAGE_MISMATCH',
              `${name} is ${width}x${height} px, but the imported annotations of ${waiting.fileName} are for ${waiting.width}x${waiting.height} px.`,
              'Open the file the annotations were made on.',
            );
          }
          registerImageBlob(waiting.id, blob, name);
          engine.fileAttached(waiting.id);
          set((s) => ({ imageStatus: { ...s.imageStatus, [waiting.id]: 'pending' } }));
          added.push(waiting.id);
          continue;
        }
        const id = nextId(get().project.images);
        registerImageBlob(id, blob, name);
        set((s) => ({ project: { ...s.project, images: [...s.project.images, { id, fileName: name, width, height }] } }));
        added.push(id);
      } catch (e) {
        const err = appErrorFromUnknown(e);
        get().notify('error', err.message, err.hint);
      }
    }
    const first = added[0];
    if (first !== undefined && (show === 'first' || get().currentImageId === null)) get().showImage(first);
    else engine.show(get().currentImageId, neighbours(get(), get().currentImageId));
    return added;
  };

  /**
   * Turns the live mask (SAM mask with the brush and eraser strokes, or the annotation being edited)
   * into an annotation of the current category, with its active time, clicks, strokes and source.
   */
  const acceptNow = async (sourceOverride?: string): Promise<Annotation | null> => {
    // clicks deferred behind an earlier accept belong to this mask (a snapshot: later ones wait for this accept)
    await Promise.allSettled([...deferredInput]);
    await whenLiveSettled();
    await engine.settled();
    const s = get();
    const imageId = s.currentImageId;
    const withSam = hasPrompt(s.prompts);
    const editing = s.strokes.length > 0 || s.editingAnnotationId !== null;
    if (imageId === null || (!withSam && !editing)) return null;
    if (withSam && (!s.live || s.live.generation !== s.generation)) {
      s.notify('warning', 'The mask is not ready yet; nothing was accepted.', 'Wait for the mask to appear, then press Enter.');
      return null;
    }
    if (editing) await ensureEdit();
    const generation = s.generation;
    const m = await engine.liveMaskRle(withSam ? s.live!.generation : generation, withSam);
    if (!m || get().generation !== generation) return null;
    if (m.area === 0) {
      s.notify('warning', 'The mask is empty; nothing was accepted.', 'Add a foreground point on the object, draw a box or paint it.');
      return null;
    }
    const cur = get();
    const { ms } = timerStop(cur.timer, Date.now());
    const clicks = cur.prompts.points.length + (cur.prompts.box ? 1 : 0);
    const edited = cur.editingAnnotationId === null ? undefined : cur.project.annotations.find((a) => a.id === cur.editingAnnotationId);
    const ann: Annotation = {
      id: edited?.id ?? nextId(cur.project.annotations),
      imageId,
      categoryId: cur.currentCategoryId,
      segmentation: m.rle,
      area: m.area,
      bbox: m.bbox,
      score: withSam ? m.score : (edited?.score ?? null),
      prompts: withSam ? cur.prompts : (edited?.prompts ?? EMPTY_PROMPTS),
      source: sourceOverride ?? (edited && !withSam ? mergeSource(edited.source, 'brush') : promptSource(cur.prompts, cur.strokes.length)),
      timeMs: (edited?.timeMs ?? 0) + ms,
      clicks: (edited?.clicks ?? 0) + clicks,
      strokes: (edited?.strokes ?? 0) + cur.strokes.length,
      createdAt: edited?.createdAt ?? Date.now(),
    };
    const wasReviewing =
      edited?.review === 'pending' || cur.project.annotations.some((a) => a.id === cur.selectedAnnotationId && a.review === 'pending');
    record();
    set((st) => ({
      ...resetPrompts(),
      project: {
        ...st.project,
        annotations: edited ? st.project.annotations.map((a) => (a.id === edited.id ? ann : a)) : [...st.project.annotations, ann],
      },
      selectedAnnotationId: null,
    }));
    // a proposal fixed (or replaced by a new mask, which then covers it): on to the next proposal
    if (wasReviewing) {
      const next = reviewQueue(get())[0];
      if (next) get().selectAnnotation(next.id);
    }
    return ann;
  };

  /** Ends the mask under way: prompts, strokes and the edit are cleared, the clock stopped. */
  const resetPrompts = (): Partial<StoreState> => {
    const generation = get().generation + 1;
    engine.invalidate(generation);
    editKey = null;
    session++;
    overlays.setLive(null);
    return {
      prompts: EMPTY_PROMPTS,
      strokes: [],
      editingAnnotationId: null,
      live: null,
      decoding: false,
      generation,
      timer: IDLE_TIMER,
      budgetAcknowledged: false,
    };
  };

  return {
    project: emptyProject(),
    currentImageId: null,
    currentCategoryId: 1,
    selectedAnnotationId: null,
    tool: 'points',
    prompts: EMPTY_PROMPTS,
    generation: 0,
    live: null,
    decoding: false,
    model: { status: 'idle', loaded: 0, total: 0, backend: '', reason: '', error: null },
    imageStatus: {},
    notifications: [],
    lastClickAt: 0,
    strokes: [],
    brushRadius: 8,
    editingAnnotationId: null,
    // measured with the click robot on GrabCut: NoC@90 2.32 with feedback, 3.74 without (BENCHMARKS.md)
    feedback: true,
    timer: IDLE_TIMER,
    budgetAcknowledged: false,
    past: [],
    future: [],
    saveState: 'saved',

    async addFiles(files) {
      return get().addImageBlobs(files.map((f) => ({ blob: f, name: fileDisplayName(f) })));
    },

    async addImageBlobs(items, show = 'first') {
      const run = addImagesNow(items, show);
      addsInFlight.add(run);
      try {
        return await run;
      } finally {
        addsInFlight.delete(run);
      }
    },

    async importMaskPngs(files) {
      const s0 = get();
      const byKey = new Map(s0.project.images.map((im) => [fileStem(im.fileName).toLowerCase(), im]));
      const errors: string[] = [];
      const matched = files.map(({ name }) =>
        maskPngImageKeys(name)
          .map((k) => byKey.get(k))
          .find((x) => x),
      );
      files.forEach((f, i) => {
        if (!matched[i]) errors.push(`${f.name}: no image of that name in the project`);
      });
      // decoded in a worker: large PNGs must not block the page
      const decoded = errors.length ? [] : await decodeMaskPngs(files.map((f) => f.blob));
      const found: {
        imageId: number;
        categoryName: string | null;
        objects: { rle: CocoRle; area: number; bbox: [number, number, number, number] }[];
      }[] = [];
      decoded.forEach((d, i) => {
        const im = matched[i]!;
        const name = files[i]!.name;
        if (!d.ok) errors.push(`${name}: ${d.error}`);
        else if (d.width !== im.width || d.height !== im.height)
          errors.push(`${name} is ${d.width}x${d.height} px, its image ${im.fileName} is ${im.width}x${im.height}`);
        else found.push({ imageId: im.id, categoryName: categoryFromMaskFileName(name), objects: d.objects });
      });
      if (errors.length) {
        get().notify(
          'error',
          `No masks were imported: ${errors.length} file(s) could not be used.`,
          errors.slice(0, 4).join('; ') + (errors.length > 4 ? '; …' : ''),
        );
        return 0;
      }
      const project = get().project;
      const categories = [...project.categories];
      const annotations = [...project.annotations];
      for (const f of found) {
        let categoryId = get().currentCategoryId;
        if (f.categoryName) {
          const c = categories.find((x) => x.name.toLowerCase() === f.categoryName!.toLowerCase());
          if (c) categoryId = c.id;
          else {
            categoryId = nextId(categories);
            categories.push({ id: categoryId, name: f.categoryName, color: CATEGORY_PALETTE[(categoryId - 1) % CATEGORY_PALETTE.length]! });
          }
        }
        for (const o of f.objects) {
          annotations.push({
            id: nextId(annotations),
            imageId: f.imageId,
            categoryId,
            segmentation: o.rle,
            area: o.area,
            bbox: o.bbox,
            score: null,
            prompts: EMPTY_PROMPTS,
            source: 'import',
            createdAt: Date.now(),
          });
        }
      }
      const added = annotations.length - project.annotations.length;
      record();
      set({ project: { ...project, categories, annotations } });
      get().notify(
        'info',
        `Imported ${added} mask${added === 1 ? '' : 's'} from ${files.length} PNG file${files.length === 1 ? '' : 's'}.`,
      );
      return added;
    },

    async importCoco(file, name) {
      // parsed and validated in a worker: a large file (a pre-annotated dataset) must not block the page
      const parsed = await parseCocoFile(file);
      if (!parsed.ok) {
        if (parsed.kind === 'json')
          get().notify('error', `${name} is not valid JSON: ${parsed.message}.`, 'Export the file again; nothing was imported.');
        else
          get().notify(
            'error',
            `${name} is not a valid COCO file: ${parsed.message}.`,
            'Fix that field and import again; nothing was imported.',
          );
        return false;
      }
      const report = mergeCocoIntoProject(get().project, parsed.coco);
      set({ project: report.project });
      const missing = report.project.images.filter((im) => !imageBlob(im.id)).map((im) => im.fileName);
      const parts = [`Imported ${report.masks} mask${report.masks === 1 ? '' : 's'}`];
      if (report.boxes) parts.push(`${report.boxes} box${report.boxes === 1 ? '' : 'es'} waiting to become masks`);
      if (report.newCategories.length)
        parts.push(`${report.newCategories.length} new categor${report.newCategories.length === 1 ? 'y' : 'ies'}`);
      get().notify(
        'info',
        `${parts.join(', ')} from ${name}.`,
        missing.length
          ? `Open the images it names to see them: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}.`
          : '',
      );
      if (report.sizeMismatches.length) {
        get().notify(
          'warning',
          `Annotations of ${report.sizeMismatches.length} image(s) were skipped: the sizes differ.`,
          report.sizeMismatches.slice(0, 3).join('; '),
        );
      }
      if (get().currentImageId === null && report.project.images[0]) get().showImage(report.project.images[0].id);
      else {
        engine.show(get().currentImageId, neighbours(get(), get().currentImageId));
        // imported proposals (e.g. the CLI's output) for the shown image: start reviewing
        const s = get();
        const first = reviewQueue(s)[0];
        if (first && s.selectedAnnotationId === null && !maskUnderWay(s)) s.selectAnnotation(first.id);
      }
      return true;
    },

    showImage(id) {
      if (!get().project.images.some((im) => im.id === id)) return;
      set({ ...resetPrompts(), currentImageId: id, selectedAnnotationId: null });
      // review flow: the first proposal of the image is selected, ready for Enter / Delete / 1-9
      const first = reviewQueue(get())[0];
      if (first) get().selectAnnotation(first.id);
      engine.show(id, neighbours(get(), id));
    },

    stepImage(delta) {
      const s = get();
      const ims = s.project.images;
      const i = ims.findIndex((im) => im.id === s.currentImageId);
      const target = ims[Math.min(ims.length - 1, Math.max(0, i + delta))];
      if (target && target.id !== s.currentImageId) s.showImage(target.id);
    },

    setTool(tool) {
      set({ tool });
    },

    addPoint(x, y, positive) {
      const apply = () => {
        record();
        tick();
        engine.noteActivity(get().currentImageId ?? -1);
        set((s) => ({
          prompts: { ...s.prompts, points: [...s.prompts.points, { x, y, positive }] },
          generation: s.generation + 1,
          lastClickAt: performance.now(),
        }));
        performance.mark(`prompt:${get().generation}`);
        refreshLive();
      };
      if (!afterAccepts(apply)) apply();
    },

    setBox(b) {
      const apply = () => {
        record();
        tick();
        engine.noteActivity(get().currentImageId ?? -1);
        set((s) => ({ prompts: { ...s.prompts, box: b }, generation: s.generation + 1, lastClickAt: performance.now() }));
        performance.mark(`prompt:${get().generation}`);
        refreshLive();
      };
      if (!afterAccepts(apply)) apply();
    },

    discardPrompts() {
      const s = get();
      if (!maskUnderWay(s)) return;
      record();
      set(resetPrompts());
    },

    beginStroke() {
      const s = get();
      if (s.currentImageId === null) return;
      record();
      if (s.strokes.length === 0 && s.editingAnnotationId === null && !hasPrompt(s.prompts) && s.selectedAnnotationId !== null) {
        // painting on a selected annotation edits it
        set({ editingAnnotationId: s.selectedAnnotationId });
      }
    },

    strokeProgress(piece) {
      const s = get();
      const imageId = s.currentImageId;
      if (imageId === null) return;
      tick();
      engine.noteActivity(imageId);
      const generation = get().generation;
      const color = categoryColor(get(), get().currentCategoryId);
      const withSam = hasPrompt(get().prompts) && get().live?.generation === generation;
      trackLive(
        (async () => {
          try {
            const t0 = performance.now();
            await ensureEdit();
            const r = await engine.editAddStroke(imageId, piece, color, withSam);
            showEditResult(r, generation, imageId);
            // pointer move -> mask painted (the layer is drawn in the next frame)
            requestAnimationFrame(() => performance.measure('brush-frame', { start: t0 }));
          } catch (e) {
            reportMaskError(e);
          }
        })(),
      );
    },

    endStroke(stroke) {
      if (stroke.points.length < 2) return;
      set((s) => ({ strokes: [...s.strokes, stroke] }));
    },

    setBrushRadius(r) {
      set({ brushRadius: Math.min(2000, Math.max(0.5, r)) });
    },

    undo() {
      const s = get();
      const prev = s.past[s.past.length - 1];
      if (!prev) return;
      set({ past: s.past.slice(0, -1), future: [snapshot(), ...s.future].slice(0, HISTORY_LIMIT) });
      restore(prev);
    },

    redo() {
      const s = get();
      const next = s.future[0];
      if (!next) return;
      set({ future: s.future.slice(1), past: [...s.past, snapshot()].slice(-HISTORY_LIMIT) });
      restore(next);
    },

    skipObject() {
      const s = get();
      if (s.currentImageId === null || s.timer.status === 'idle') return;
      record();
      const { ms } = timerStop(s.timer, Date.now());
      const skip = {
        imageId: s.currentImageId,
        timeMs: ms,
        clicks: s.prompts.points.length + (s.prompts.box ? 1 : 0),
        strokes: s.strokes.length,
        at: Date.now(),
      };
      set((st) => ({ ...resetPrompts(), project: { ...st.project, skipped: [...st.project.skipped, skip] } }));
      get().notify('info', `Object skipped after ${(ms / 1000).toFixed(0)} s; the skip is recorded.`);
    },

    acknowledgeBudget() {
      set({ budgetAcknowledged: true });
    },

    setFeedback(on) {
      set({ feedback: on });
    },

    visibilityChanged(hidden) {
      set((s) => ({ timer: timerVisibility(s.timer, hidden, Date.now()) }));
    },

    accept() {
      // with a proposal selected and no mask under way, accepting means accepting the proposal as it is
      const s = get();
      const sel = s.project.annotations.find((a) => a.id === s.selectedAnnotationId);
      if (sel?.review === 'pending' && !maskUnderWay(s)) {
        s.acceptProposal();
        return Promise.resolve(get().project.annotations.find((a) => a.id === sel.id) ?? null);
      }
      const run = acceptNow();
      acceptsInFlight.add(run);
      void run.finally(() => acceptsInFlight.delete(run));
      return run;
    },

    deleteAnnotation(id) {
      const s0 = get();
      const target = s0.project.annotations.find((a) => a.id === id);
      if (!target) return;
      // rejecting a proposal moves on to the next one
      const queue = target.review === 'pending' ? reviewQueue(s0) : [];
      const next = queue[queue.findIndex((a) => a.id === id) + 1] ?? queue.find((a) => a.id !== id) ?? null;
      record();
      set((s) => ({
        project: { ...s.project, annotations: s.project.annotations.filter((a) => a.id !== id) },
        selectedAnnotationId: s.selectedAnnotationId === id ? null : s.selectedAnnotationId,
        ...(target.review === 'pending' && s.selectedAnnotationId === id ? { timer: IDLE_TIMER } : {}),
      }));
      if (next && get().selectedAnnotationId === null) get().selectAnnotation(next.id);
    },

    selectAnnotation(id) {
      const a = id === null ? undefined : get().project.annotations.find((x) => x.id === id);
      // reviewing a proposal is annotation time: the clock runs from its selection
      if (a?.review === 'pending' && get().timer.status === 'idle' && !hasPrompt(get().prompts))
        set({ timer: timerInput(IDLE_TIMER, Date.now()) });
      set({ selectedAnnotationId: id });
    },

    addProposals(imageId, masks, consumedBoxIds) {
      if (!get().project.images.some((im) => im.id === imageId)) return 0;
      const kept = masks.filter((m) => m.area > 0);
      if (kept.length === 0 && consumedBoxIds.length === 0) return 0;
      record();
      const consumed = new Set(consumedBoxIds);
      set((st) => {
        const annotations = [...st.project.annotations];
        let id = nextId(annotations);
        for (const m of kept) {
          annotations.push({
            id: id++,
            imageId,
            categoryId: m.categoryId,
            segmentation: m.rle,
            area: m.area,
            bbox: m.bbox,
            score: m.score,
            prompts: m.prompts,
            source: m.source,
            timeMs: 0,
            clicks: 0,
            strokes: 0,
            createdAt: Date.now(),
            review: 'pending',
          });
        }
        return { project: { ...st.project, annotations, pendingBoxes: st.project.pendingBoxes.filter((b) => !consumed.has(b.id)) } };
      });
      // proposals arriving for the shown image with nothing selected: start reviewing
      const s = get();
      if (imageId === s.currentImageId && s.selectedAnnotationId === null && !maskUnderWay(s)) {
        const first = reviewQueue(s)[0];
        if (first) s.selectAnnotation(first.id);
      }
      return kept.length;
    },

    boxesFirst: false,

    setBoxesFirst(on) {
      set({ boxesFirst: on, tool: on ? 'box' : get().tool });
    },

    addPendingBox(b) {
      const s = get();
      if (s.currentImageId === null) return;
      record();
      const box = {
        id: nextId(s.project.pendingBoxes),
        imageId: s.currentImageId,
        categoryId: s.currentCategoryId,
        bbox: [b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0] as [number, number, number, number],
      };
      set((st) => ({ project: { ...st.project, pendingBoxes: [...st.project.pendingBoxes, box] } }));
    },

    removePendingBoxes(all) {
      const s = get();
      const mine = s.project.pendingBoxes.filter((b) => b.imageId === s.currentImageId);
      if (!mine.length) return;
      const drop = new Set(all ? mine.map((b) => b.id) : [mine[mine.length - 1]!.id]);
      record();
      set((st) => ({ project: { ...st.project, pendingBoxes: st.project.pendingBoxes.filter((b) => !drop.has(b.id)) } }));
    },

    ensureCategories(names) {
      const out = new Map<string, number>();
      const categories = [...get().project.categories];
      let added = false;
      for (const name of names) {
        const found = categories.find((c) => c.name.toLowerCase() === name.toLowerCase());
        if (found) {
          out.set(name, found.id);
          continue;
        }
        const id = nextId(categories);
        categories.push({ id, name, color: CATEGORY_PALETTE[(id - 1) % CATEGORY_PALETTE.length]! });
        out.set(name, id);
        added = true;
      }
      if (added) {
        record();
        set((st) => ({ project: { ...st.project, categories } }));
      }
      return out;
    },

    acceptProposal() {
      const s = get();
      const p = s.project.annotations.find((a) => a.id === s.selectedAnnotationId);
      if (!p || p.review !== 'pending') return;
      const { ms } = timerStop(s.timer, Date.now());
      const queue = reviewQueue(s);
      // the one after it, or (at the end) the first still waiting
      const next = queue[queue.findIndex((a) => a.id === p.id) + 1] ?? queue.find((a) => a.id !== p.id) ?? null;
      record();
      set((st) => ({
        ...resetPrompts(),
        project: {
          ...st.project,
          annotations: st.project.annotations.map((a) => (a.id === p.id ? { ...a, review: 'accepted', timeMs: (a.timeMs ?? 0) + ms } : a)),
        },
        selectedAnnotationId: null,
      }));
      if (next) get().selectAnnotation(next.id);
      else
        get().notify('info', 'Every proposal of this image is reviewed.', 'Annotate what is still missing, or press → for the next image.');
    },

    stepProposal(delta) {
      const s = get();
      const queue = reviewQueue(s);
      if (queue.length === 0) return;
      const i = queue.findIndex((a) => a.id === s.selectedAnnotationId);
      const next = queue[i < 0 ? (delta > 0 ? 0 : queue.length - 1) : (i + delta + queue.length) % queue.length]!;
      // moving on from a proposal without a verdict does not charge its time to the next one
      set({ timer: IDLE_TIMER });
      s.selectAnnotation(next.id);
    },

    addCategory(name) {
      const s = get();
      const id = nextId(s.project.categories);
      const color = CATEGORY_PALETTE[(id - 1) % CATEGORY_PALETTE.length]!;
      const base = name?.trim() || `category ${id}`;
      record();
      set({ project: { ...s.project, categories: [...s.project.categories, { id, name: base, color }] }, currentCategoryId: id });
      return id;
    },

    renameCategory(id, name) {
      const trimmed = name.trim();
      if (!trimmed || get().project.categories.find((c) => c.id === id)?.name === trimmed) return;
      record();
      set((s) => ({ project: { ...s.project, categories: s.project.categories.map((c) => (c.id === id ? { ...c, name: trimmed } : c)) } }));
    },

    recolorCategory(id, color) {
      record();
      set((s) => ({ project: { ...s.project, categories: s.project.categories.map((c) => (c.id === id ? { ...c, color } : c)) } }));
    },

    setCategoryByIndex(index) {
      const c = get().project.categories[index];
      if (c) get().setCurrentCategory(c.id);
    },

    setCurrentCategory(id) {
      const s = get();
      // with an annotation selected (and no mask under way) the key changes that annotation's category
      const sel = s.selectedAnnotationId === null ? undefined : s.project.annotations.find((a) => a.id === s.selectedAnnotationId);
      const busy = maskUnderWay(s);
      if (sel && !busy && sel.categoryId !== id) {
        record();
        set((st) => ({
          project: { ...st.project, annotations: st.project.annotations.map((a) => (a.id === sel.id ? { ...a, categoryId: id } : a)) },
        }));
      }
      set({ currentCategoryId: id });
      // the live mask is drawn in the category colour
      if (busy) {
        set((st) => ({ generation: st.generation + 1 }));
        refreshLive(true);
      }
    },

    notify(level, message, hint = '') {
      const id = ++notificationId;
      set((s) => ({ notifications: [...s.notifications.slice(-5), { id, level, message, hint }] }));
      if (level !== 'error') setTimeout(() => get().dismiss(id), 6000);
    },

    dismiss(id) {
      set((s) => ({ notifications: s.notifications.filter((n) => n.id !== id) }));
    },
  };
});

/**
 * Starts the model; errors are shown by the engine's events. `?encoder=URL&decoder=URL` points the app
 * at other SAM ONNX files, `?backend=wasm|webgpu` forces a backend, `?threads=N` caps the WASM threads.
 */
export function startModel(search = location.search): void {
  useStore.setState((s) => ({ model: { ...s.model, status: 'loading' } }));
  const q = new URLSearchParams(search);
  const manifest = defaultManifest(new URL('models/', document.baseURI).pathname);
  const encoder = q.get('encoder');
  const decoder = q.get('decoder');
  if (encoder) manifest.encoderUrl = new URL(encoder, document.baseURI).href;
  if (decoder) manifest.decoderUrl = new URL(decoder, document.baseURI).href;
  if (encoder || decoder) manifest.id = 'custom';
  const b = q.get('backend');
  const threads = Number(q.get('threads')) || undefined;
  engine.start(manifest, b === 'wasm' || b === 'webgpu' ? b : 'auto', threads).catch(() => undefined);
}
