import { create } from 'zustand';
import { AppError, appErrorFromUnknown, type AppErrorData } from '../core/errors.ts';
import { CocoFormatError, fileMatchKey, parseCoco } from '../core/coco/import.ts';
import { mergeCocoIntoProject } from '../core/coco/merge.ts';
import { categoryFromMaskFileName, maskPngImageKeys, masksFromPng } from '../core/coco/maskPng.ts';
import { fileStem } from '../core/export/files.ts';
import { decodePng } from '../core/image/png.ts';
import { rleFromMask } from '../core/mask/rle.ts';
import { maskAreaAndBbox } from '../core/sam/postprocess.ts';
import { CATEGORY_PALETTE, emptyProject, nextId, type Annotation, type Project } from '../core/project/types.ts';
import { EMPTY_PROMPTS, hasPrompt, promptSource, type BoxPrompt, type Prompts } from '../core/sam/prompts.ts';
import { defaultManifest } from '../core/sam/manifest.ts';
import { InferenceEngine, type EmbeddingStatus } from '../inference/engine.ts';
import { overlays } from '../inference/overlays.ts';
import { fileDisplayName, imageBlob, probeImageFile, registerImageBlob } from '../io/images.ts';

export type Tool = 'points' | 'box';

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
  accept(): Promise<Annotation | null>;
  deleteAnnotation(id: number): void;
  selectAnnotation(id: number | null): void;
  addCategory(name?: string): number;
  renameCategory(id: number, name: string): void;
  recolorCategory(id: number, color: string): void;
  setCategoryByIndex(index: number): void;
  setCurrentCategory(id: number): void;
  notify(level: Notification['level'], message: string, hint?: string): void;
  dismiss(id: number): void;
}

let notificationId = 0;
/** image additions being validated; `whenImagesAdded` waits for them */
const addsInFlight = new Set<Promise<unknown>>();

const acceptsInFlight = new Set<Promise<unknown>>();

/** Resolves once every accept under way has made its annotation (or given up). */
export async function whenAccepted(): Promise<void> {
  while (acceptsInFlight.size > 0) await Promise.allSettled([...acceptsInFlight]);
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

function categoryColor(s: StoreState, id: number): string {
  return s.project.categories.find((c) => c.id === id)?.color ?? '#ffffff';
}

function neighbours(s: Pick<StoreState, 'project'>, id: number | null): number | null {
  const ims = s.project.images;
  const i = ims.findIndex((im) => im.id === id);
  return i >= 0 && i + 1 < ims.length ? ims[i + 1]!.id : null;
}

export const useStore = create<StoreState>()((set, get) => {
  /** Sends the current prompts to the decoder; only the newest reply is shown. */
  const requestDecode = (): void => {
    const s = get();
    const imageId = s.currentImageId;
    if (imageId === null) return;
    const generation = s.generation;
    if (!hasPrompt(s.prompts)) {
      engine.invalidate(generation);
      overlays.setLive(null);
      set({ live: null, decoding: false });
      return;
    }
    set({ decoding: true });
    engine.decode(imageId, generation, s.prompts, categoryColor(s, s.currentCategoryId)).then(
      (r) => {
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
      },
      (e: unknown) => {
        set({ decoding: false });
        const err = appErrorFromUnknown(e);
        get().notify(
          'error',
          `Could not compute the mask: ${err.message}`,
          err.hint || 'Try the click again; if it persists, reload the page (your annotations are kept in the export).',
        );
      },
    );
  };

  /** Validates and adds images one by one; bad files are reported and skipped. */
  const addImagesNow = async (items: readonly { blob: Blob; name: string }[], show: 'first' | 'if-none'): Promise<number[]> => {
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

  /** Turns the live mask into an annotation of the current category. */
  const acceptNow = async (): Promise<Annotation | null> => {
    await engine.settled();
    const s = get();
    const live = s.live;
    if (!live || live.generation !== s.generation || s.currentImageId === null) {
      if (hasPrompt(s.prompts))
        s.notify('warning', 'The mask is not ready yet; nothing was accepted.', 'Wait for the mask to appear, then press Enter.');
      return null;
    }
    const m = await engine.liveMaskRle(live.generation);
    if (!m || get().generation !== live.generation) return null;
    if (m.area === 0) {
      s.notify('warning', 'The mask is empty; nothing was accepted.', 'Add a foreground point on the object or draw a box around it.');
      return null;
    }
    const cur = get();
    const ann: Annotation = {
      id: nextId(cur.project.annotations),
      imageId: live.imageId,
      categoryId: cur.currentCategoryId,
      segmentation: m.rle,
      area: m.area,
      bbox: m.bbox,
      score: m.score,
      prompts: cur.prompts,
      source: promptSource(cur.prompts),
      createdAt: Date.now(),
    };
    set((st) => ({
      ...resetPrompts(),
      project: { ...st.project, annotations: [...st.project.annotations, ann] },
      selectedAnnotationId: null,
    }));
    return ann;
  };

  const resetPrompts = (): Partial<StoreState> => {
    const generation = get().generation + 1;
    engine.invalidate(generation);
    overlays.setLive(null);
    return { prompts: EMPTY_PROMPTS, live: null, decoding: false, generation };
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
      const found: { imageId: number; categoryName: string | null; masks: Uint8Array[]; width: number; height: number }[] = [];
      for (const { blob, name } of files) {
        const im = maskPngImageKeys(name)
          .map((k) => byKey.get(k))
          .find((x) => x);
        if (!im) {
          errors.push(`${name}: no image of that name in the project`);
          continue;
        }
        let raw;
        try {
          raw = decodePng(new Uint8Array(await blob.arrayBuffer()));
        } catch (e) {
          errors.push(`${name}: ${(e as Error).message}`);
          continue;
        }
        if (raw.width !== im.width || raw.height !== im.height) {
          errors.push(`${name} is ${raw.width}x${raw.height} px, its image ${im.fileName} is ${im.width}x${im.height}`);
          continue;
        }
        const objs = masksFromPng(raw).objects;
        found.push({
          imageId: im.id,
          categoryName: categoryFromMaskFileName(name),
          masks: objs.map((o) => o.mask),
          width: raw.width,
          height: raw.height,
        });
      }
      if (errors.length) {
        get().notify(
          'error',
          `No masks were imported: ${errors.length} file(s) could not be used.`,
          errors.slice(0, 4).join('; ') + (errors.length > 4 ? '; …' : ''),
        );
        return 0;
      }
      let project = get().project;
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
        for (const mask of f.masks) {
          const { area, bbox } = maskAreaAndBbox(mask, f.width, f.height);
          annotations.push({
            id: nextId(annotations),
            imageId: f.imageId,
            categoryId,
            segmentation: rleFromMask(mask, f.width, f.height),
            area,
            bbox,
            score: null,
            prompts: EMPTY_PROMPTS,
            source: 'import',
            createdAt: Date.now(),
          });
        }
      }
      const added = annotations.length - project.annotations.length;
      project = { ...project, categories, annotations };
      set({ project });
      get().notify(
        'info',
        `Imported ${added} mask${added === 1 ? '' : 's'} from ${files.length} PNG file${files.length === 1 ? '' : 's'}.`,
      );
      return added;
    },

    async importCoco(file, name) {
      let data: unknown;
      try {
        data = JSON.parse(await file.text());
      } catch (e) {
        get().notify('error', `${name} is not valid JSON: ${(e as Error).message}.`, 'Export the file again; nothing was imported.');
        return false;
      }
      let report;
      try {
        report = mergeCocoIntoProject(get().project, parseCoco(data));
      } catch (e) {
        if (e instanceof CocoFormatError) {
          get().notify(
            'error',
            `${name} is not a valid COCO file: ${e.message}.`,
            'Fix that field and import again; nothing was imported.',
          );
          return false;
        }
        throw e;
      }
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
      else engine.show(get().currentImageId, neighbours(get(), get().currentImageId));
      return true;
    },

    showImage(id) {
      if (!get().project.images.some((im) => im.id === id)) return;
      set({ ...resetPrompts(), currentImageId: id, selectedAnnotationId: null });
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
      set((s) => ({
        prompts: { ...s.prompts, points: [...s.prompts.points, { x, y, positive }] },
        generation: s.generation + 1,
        lastClickAt: performance.now(),
      }));
      performance.mark(`prompt:${get().generation}`);
      requestDecode();
    },

    setBox(b) {
      set((s) => ({ prompts: { ...s.prompts, box: b }, generation: s.generation + 1, lastClickAt: performance.now() }));
      performance.mark(`prompt:${get().generation}`);
      requestDecode();
    },

    discardPrompts() {
      set(resetPrompts());
    },

    accept() {
      const run = acceptNow();
      acceptsInFlight.add(run);
      void run.finally(() => acceptsInFlight.delete(run));
      return run;
    },

    deleteAnnotation(id) {
      set((s) => ({
        project: { ...s.project, annotations: s.project.annotations.filter((a) => a.id !== id) },
        selectedAnnotationId: s.selectedAnnotationId === id ? null : s.selectedAnnotationId,
      }));
    },

    selectAnnotation(id) {
      set({ selectedAnnotationId: id });
    },

    addCategory(name) {
      const s = get();
      const id = nextId(s.project.categories);
      const color = CATEGORY_PALETTE[(id - 1) % CATEGORY_PALETTE.length]!;
      const base = name?.trim() || `category ${id}`;
      set({ project: { ...s.project, categories: [...s.project.categories, { id, name: base, color }] }, currentCategoryId: id });
      return id;
    },

    renameCategory(id, name) {
      const trimmed = name.trim();
      if (!trimmed) return;
      set((s) => ({ project: { ...s.project, categories: s.project.categories.map((c) => (c.id === id ? { ...c, name: trimmed } : c)) } }));
    },

    recolorCategory(id, color) {
      set((s) => ({ project: { ...s.project, categories: s.project.categories.map((c) => (c.id === id ? { ...c, color } : c)) } }));
    },

    setCategoryByIndex(index) {
      const c = get().project.categories[index];
      if (c) get().setCurrentCategory(c.id);
    },

    setCurrentCategory(id) {
      set({ currentCategoryId: id });
      // the live mask is drawn in the category colour
      if (hasPrompt(get().prompts)) {
        set((s) => ({ generation: s.generation + 1 }));
        requestDecode();
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
