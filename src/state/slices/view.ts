/**
 * What is shown: the current image, the model's and each image's embedding status, the save state,
 * "boxes first". Showing another image ends the mask being drafted as an undo step (Ctrl+Z gives the
 * draft back on its image) and points the engine at the image and its neighbour.
 */
import type { AppErrorData } from '../../core/errors.ts';
import { IDLE_TIMER } from '../../core/project/timer.ts';
import { EMPTY_DIFF } from '../../core/project/changes.ts';
import { EMPTY_SNAPSHOT } from '../../inference/maskSession.ts';
import type { EmbeddingStatus } from '../../inference/engine.ts';
import type { SliceContext, StoreState } from '../store.ts';
import { startReviewOf } from './review.ts';

export interface ModelState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  loaded: number;
  total: number;
  backend: string;
  reason: string;
  error: AppErrorData | null;
}

export interface ViewSlice {
  currentImageId: number | null;
  model: ModelState;
  imageStatus: Record<number, EmbeddingStatus>;
  /** autosave: 'saved' once written to IndexedDB */
  saveState: 'saved' | 'saving' | 'error';
  /** "Boxes first": box drags add boxes waiting for pre-annotation instead of prompting SAM. */
  boxesFirst: boolean;
  /** other tabs of this browser with the same project open */
  otherTabs: number;
  /**
   * Shows an image. `fromHistory`: called by undo/redo, which restore the session themselves (and
   * run after any accept under way).
   */
  showImage(id: number, options?: { fromHistory?: boolean }): void;
  stepImage(delta: 1 | -1): void;
  setBoxesFirst(on: boolean): void;
  setModel(patch: Partial<ModelState>): void;
  setImageStatus(imageId: number, status: EmbeddingStatus): void;
}

/** The image after `id` in the list (encoded ahead of time). */
export function nextImageId(s: Pick<StoreState, 'project'>, id: number | null): number | null {
  const ims = s.project.images;
  const i = ims.findIndex((im) => im.id === id);
  return i >= 0 && i + 1 < ims.length ? ims[i + 1]!.id : null;
}

export function createViewSlice(ctx: SliceContext): ViewSlice {
  const { set, get, session, deps } = ctx;

  const showNow = (id: number, fromHistory: boolean) => {
    const s = get();
    if (!s.project.images.some((im) => im.id === id)) return;
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
    model: { status: 'idle', loaded: 0, total: 0, backend: '', reason: '', error: null },
    imageStatus: {},
    saveState: 'saved',
    boxesFirst: false,
    otherTabs: 0,

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

    setBoxesFirst(on) {
      set({ boxesFirst: on, tool: on ? 'box' : get().tool });
    },

    setModel(patch) {
      set((s) => ({ model: { ...s.model, ...patch } }));
    },

    setImageStatus(imageId, status) {
      set((s) => ({ imageStatus: { ...s.imageStatus, [imageId]: status } }));
    },
  };
}
