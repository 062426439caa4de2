/**
 * What is shown: the current image, the model's and each image's embedding status, the save state,
 * "boxes first". Showing another image ends the mask being drafted as an undo step (Ctrl+Z gives the
 * draft back on its image) and points the engine at the image and its neighbour.
 */
import type { AppErrorData } from '../../../core/errors.ts';
import { IDLE_TIMER } from '../../../core/project/timer.ts';
import { DiffBuilder, EMPTY_DIFF } from '../../../core/project/changes.ts';
import { imageWorkStatuses } from '../../../core/project/imageStatus.ts';
import type { ImageRecord } from '../../../core/project/types.ts';
import { EMPTY_SNAPSHOT } from '../../../inference/maskSession.ts';
import type { EmbeddingStatus } from '../../../inference/engine.ts';
import type { SliceContext } from '../store.ts';
import { startReviewOf } from '../steps.ts';
import { nextImageId } from '../selectors.ts';
import type { WaitingFor } from '../waiting.ts';

/** What the views show of the project server (src/state/sync.ts keeps it). */
export interface SyncView {
  /** the app was opened from a project server (`npm run server`) */
  available: boolean;
  user: { username: string; isAdmin: boolean } | null;
  /** the server project the open project is linked to, or null (a local project) */
  project: { id: number; name: string; role: 'admin' | 'annotator' | 'reviewer' } | null;
  /** 'off': local project; 'online': up to date and live; 'syncing'; 'offline': changes wait; 'error': needs the user (log in again) */
  status: 'off' | 'online' | 'syncing' | 'offline' | 'error';
  /** local changes not on the server yet */
  pending: number;
  message: string;
  /** counts the server's notices of job moves, new jobs and review decisions (the jobs panel reloads on each) */
  jobsChanged?: number;
}

export interface ModelState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  loaded: number;
  total: number;
  backend: string;
  reason: string;
  error: AppErrorData | null;
  /** whether the decoder offers SAM's mask candidates (null until it is loaded) */
  candidates: boolean | null;
  /** the model in use: its id (what annotations record as `model`), name and family */
  id: string;
  name: string;
  family: 'sam' | 'sam2';
  /** what its embeddings take now (null until known) */
  memory: { images: number; bytes: number; capacity: number; otherBytes: number } | null;
}

/** How masks are drawn (kept in this browser across sessions). */
export interface DisplaySettings {
  /** each instance its own colour (tells neighbours apart), or the category's colour */
  colorBy: 'instance' | 'category';
  /** fill opacity of accepted masks, 0–1 */
  fillOpacity: number;
  /** outlines only, no fill */
  outlineOnly: boolean;
  /** category and number on the canvas */
  labels: boolean;
  /** Enter goes back to the points tool (off: the tool stays, e.g. the eraser) */
  pointsAfterAccept: boolean;
}

export const DEFAULT_DISPLAY: DisplaySettings = {
  colorBy: 'instance',
  fillOpacity: 0.4,
  outlineOnly: false,
  labels: true,
  pointsAfterAccept: true,
};
const DISPLAY_KEY = 'sam-annotator.display';

function loadDisplay(): DisplaySettings {
  try {
    const saved = JSON.parse(globalThis.localStorage?.getItem(DISPLAY_KEY) ?? '{}') as Partial<DisplaySettings>;
    return { ...DEFAULT_DISPLAY, ...saved };
  } catch {
    return DEFAULT_DISPLAY;
  }
}

/** Annotations and categories hidden or locked (not drawn / not selectable), in this session. */
export interface Visibility {
  hiddenAnnotations: readonly number[];
  hiddenCategories: readonly number[];
  lockedAnnotations: readonly number[];
  lockedCategories: readonly number[];
}

export interface ViewSlice {
  display: DisplaySettings;
  visibility: Visibility;
  /** every mask hidden while a key is held (peek under) */
  peek: boolean;
  /** what the annotator is waiting for, if anything (see waiting.ts): the clock pauses meanwhile */
  waitingFor: WaitingFor;
  setDisplay(patch: Partial<DisplaySettings>): void;
  toggleVisibility(kind: keyof Visibility, id: number): void;
  setPeek(on: boolean): void;
  currentImageId: number | null;
  model: ModelState;
  imageStatus: Record<number, EmbeddingStatus>;
  /** image files on their way from the project server: bytes received and the total (0: not said) */
  downloads: Record<number, { loaded: number; total: number }>;
  /** the open project's id in this browser ('' before start-up opened one); set first when a project opens */
  projectId: string;
  /** autosave: 'saved' once written to IndexedDB */
  saveState: 'saved' | 'saving' | 'error';
  /** "Boxes first": box drags add boxes waiting for pre-annotation instead of prompting SAM. */
  boxesFirst: boolean;
  /** other tabs of this browser with the same project open */
  otherTabs: number;
  /** the project server: whether the app was opened from one, who is logged in, and the open project's sync */
  sync: SyncView;
  /**
   * Shows an image. `fromHistory`: called by undo/redo, which restore the session themselves (and
   * run after any accept under way).
   */
  showImage(id: number, options?: { fromHistory?: boolean }): void;
  stepImage(delta: 1 | -1): void;
  /** Marks an image done (or not): one undo step. */
  setImageDone(id: number, done: boolean): void;
  /** Shows the next (or previous) image that is not done and whose file is open. */
  stepTodo(delta: 1 | -1): void;
  setBoxesFirst(on: boolean): void;
  setModel(patch: Partial<ModelState>): void;
  setImageStatus(imageId: number, status: EmbeddingStatus): void;
  /** An image file's download from the server: how far, or null once it is over. */
  setDownload(imageId: number, progress: { loaded: number; total: number } | null): void;
}

function withoutDone(im: ImageRecord): ImageRecord {
  const { done: _done, ...rest } = im;
  return rest;
}

export function createViewSlice(ctx: SliceContext): ViewSlice {
  const { set, get, session, deps } = ctx;

  const showNow = (id: number, fromHistory: boolean) => {
    const s = get();
    if (!s.project.images.some((im) => im.id === id)) return;
    // messages about another image go with it
    if (s.notifications.some((n) => n.imageId !== undefined && n.imageId !== id))
      set((st) => ({ notifications: st.notifications.filter((n) => n.imageId === undefined || n.imageId === id) }));
    const snap = session.snapshot();
    if (!fromHistory && session.underWay()) {
      // leaving a draft: one undo step, so Ctrl+Z brings it back on its image
      const after = { ...EMPTY_SNAPSHOT, imageId: snap.imageId };
      s.change(EMPTY_DIFF, 'record', { label: 'leave the mask', imageId: snap.imageId, session: { before: snap, after } });
    }
    if (!fromHistory || snap.imageId !== id) session.reset(id);
    set({ currentImageId: id, selectedAnnotationId: null, timer: IDLE_TIMER, budgetAcknowledged: false });
    // review flow: the first proposal of the image is selected, ready for Enter / Delete / 1-9
    startReviewOf(ctx);
    deps.engine.show(id, nextImageId(get(), id));
  };

  return {
    currentImageId: null,
    model: {
      status: 'idle',
      loaded: 0,
      total: 0,
      backend: '',
      reason: '',
      error: null,
      candidates: null,
      id: '',
      name: '',
      family: 'sam',
      memory: null,
    },
    imageStatus: {},
    downloads: {},
    projectId: '',
    saveState: 'saved',
    boxesFirst: false,
    otherTabs: 0,
    sync: { available: false, user: null, project: null, status: 'off', pending: 0, message: '' },
    display: loadDisplay(),
    visibility: { hiddenAnnotations: [], hiddenCategories: [], lockedAnnotations: [], lockedCategories: [] },
    peek: false,
    waitingFor: null,

    setDisplay(patch) {
      const before = get().display;
      const display = { ...before, ...patch, fillOpacity: Math.min(1, Math.max(0, patch.fillOpacity ?? before.fillOpacity)) };
      set({ display });
      // a draft is drawn in the colour its mask will have: again when that rule changes
      if (display.colorBy !== before.colorBy && session.underWay()) session.recolor();
      try {
        globalThis.localStorage?.setItem(DISPLAY_KEY, JSON.stringify(display));
      } catch {
        // a preference: a full or blocked storage must not stop the app
      }
    },

    toggleVisibility(kind, id) {
      set((s) => {
        const list = s.visibility[kind];
        const next = list.includes(id) ? list.filter((x) => x !== id) : [...list, id];
        // a hidden or locked annotation is not selected
        const off = (kind === 'hiddenAnnotations' || kind === 'lockedAnnotations') && next.includes(id) && s.selectedAnnotationId === id;
        return { visibility: { ...s.visibility, [kind]: next }, ...(off ? { selectedAnnotationId: null } : {}) };
      });
    },

    setPeek(on) {
      if (get().peek !== on) set({ peek: on });
    },

    showImage(id, options = {}) {
      if (options.fromHistory) showNow(id, true);
      else session.input(() => showNow(id, false));
    },

    stepImage(delta) {
      session.input(() => {
        const s = get();
        const ims = s.project.images;
        const i = ims.findIndex((im) => im.id === s.currentImageId);
        const target = ims[Math.min(ims.length - 1, Math.max(0, i + delta))];
        if (target && target.id !== s.currentImageId) showNow(target.id, false);
      });
    },

    setImageDone(id, done) {
      const s = get();
      const diff = new DiffBuilder(s.project).update('images', id, (im) =>
        !!im.done === done ? im : done ? { ...im, done: true } : withoutDone(im),
      ).diff;
      s.change(diff, 'record', { label: done ? 'mark done' : 'mark not done', imageId: id });
    },

    stepTodo(delta) {
      session.input(() => {
        const s = get();
        const status = imageWorkStatuses(s.project, (id) => deps.io.hasImageFile(id));
        const ims = s.project.images;
        const at = ims.findIndex((im) => im.id === s.currentImageId);
        for (let k = 1; k <= ims.length; k++) {
          const im = ims[(((at + delta * k) % ims.length) + ims.length) % ims.length]!;
          const st = status.get(im.id);
          if (st !== 'done' && st !== 'missing') {
            if (im.id !== s.currentImageId) showNow(im.id, false);
            return;
          }
        }
        get().notify('info', 'Every image is done.', 'Export the work, or open more images.');
      });
    },

    setBoxesFirst(on) {
      set({ boxesFirst: on, tool: on ? 'box' : get().tool });
    },

    setModel(patch) {
      set((s) => ({ model: { ...s.model, ...patch } }));
    },

    setImageStatus(imageId, status) {
      set((s) => ({ imageStatus: { ...s.imageStatus, [imageId]: status } }));
    },

    setDownload(imageId, progress) {
      set((s) => {
        const downloads = { ...s.downloads };
        if (progress) downloads[imageId] = progress;
        else delete downloads[imageId];
        return { downloads };
      });
    },
  };
}
