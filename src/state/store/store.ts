/**
 * The app's state: one zustand store made of slices (document, editor, categories, review, view,
 * notifications, team, models, batch), each in its own file. The store holds plain data only (masks
 * as RLE; pixels stay in the workers). It is made by the composition root with its dependencies
 * (`createAppStore`), so tests make their own with a fake engine; the views reach it through the
 * app's context (`ui/appContext.tsx`: `useStore`, `useApp`).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DocDiff } from '../../core/project/changes.ts';
import type {} from '../../core/project/types.ts';
import { MaskSession } from '../../inference/maskSession.ts';
import { OverlayRegistry } from '../../inference/overlays.ts';
import type { DraftPort, SessionView } from '../../inference/sessionTypes.ts';
import { DEFAULT_ZOOM_IN } from '../../core/sam/zoomIn.ts';
import { annotationColor } from '../../core/project/palette.ts';
import { annotationIndex } from '../../core/project/annotationIndex.ts';
import { localIds, type IdSource, type StoreDeps } from './deps.ts';
import { createDocumentSlice, type DocumentSlice } from './slices/document.ts';
import { createEditorSlice, type EditorSlice } from './slices/editor.ts';
import { createCategoriesSlice, type CategoriesSlice } from './slices/categories.ts';
import { createReviewSlice, type ReviewSlice } from './slices/review.ts';
import { createViewSlice, type ViewSlice } from './slices/view.ts';
import { createNotificationsSlice, type NotificationsSlice } from './slices/notifications.ts';
import { createTeamSlice, type TeamSlice } from './slices/team.ts';
import { createImportSlice, type ImportSlice } from './slices/importers.ts';
import { createServicesSlice, type ServicesSlice } from './slices/services.ts';
import { createVideoSlice, type VideoSlice } from './slices/video.ts';
import { createVideoImportSlice, type VideoImportSlice } from './slices/videoImport.ts';
import { watchWaiting } from './waiting.ts';

export type StoreState = DocumentSlice &
  EditorSlice &
  CategoriesSlice &
  ReviewSlice &
  ViewSlice &
  NotificationsSlice &
  ImportSlice &
  TeamSlice &
  ServicesSlice &
  VideoSlice &
  VideoImportSlice;

/** Where a document change came from: this tab's user or code, or another tab / the server. */
/** 'local': this tab's user; 'remote': another tab of this browser (already saved); 'server': another user, through the project server */
export type ChangeOrigin = 'local' | 'remote' | 'server';
/** What a listener hears with each document change. */
export interface ChangeInfo {
  origin: ChangeOrigin;
  /** the step's name ('accept', 'stroke', ...), as the Undo button shows it */
  label: string;
  /** the change is to be on disk at once (an accepted mask), not gathered with the next ones */
  saveNow: boolean;
}
export type DocListener = (diff: DocDiff, info: ChangeInfo) => void;

/** What every slice is made with. */
export interface SliceContext {
  set: StoreApi<StoreState>['setState'];
  get: () => StoreState;
  deps: StoreDeps;
  ids: IdSource;
  session: MaskSession;
  docListeners: Set<DocListener>;
}

export type AppStore = StoreApi<StoreState> & {
  deps: StoreDeps;
  /** the live mask, hover preview and candidates' bitmaps the session draws (outside the state: pixels) */
  overlays: OverlayRegistry;
  session: MaskSession;
  ids: IdSource;
  /** every document change, after it is applied (autosave, sync) */
  onDocChange(l: DocListener): () => void;
};

/** Where each part of the draft (the mask being made) is held in the state. */
const DRAFT_FIELDS = {
  imageId: 'draftImageId',
  prompts: 'prompts',
  strokes: 'strokes',
  editingAnnotationId: 'editingAnnotationId',
  feedbackFrom: 'feedbackFrom',
  candidate: 'candidateChosen',
  crop: 'decodeCrop',
  generation: 'generation',
  live: 'live',
  decoding: 'decoding',
  candidates: 'candidates',
  token: 'candidateShown',
  zoom: 'zoom',
  hover: 'hoverPoint',
} as const satisfies { [K in keyof SessionView]: keyof StoreState };

/** The store as the draft's owner: the mask session reads and writes the draft here. */
function draftPort(get: () => StoreState, set: StoreApi<StoreState>['setState']): DraftPort {
  return {
    read: (key) => get()[DRAFT_FIELDS[key]] as never,
    write(patch) {
      const out: Partial<Record<keyof StoreState, unknown>> = {};
      for (const k of Object.keys(patch) as (keyof SessionView)[]) out[DRAFT_FIELDS[k]] = patch[k];
      set(out as Partial<StoreState>);
    },
  };
}

export function createAppStore(deps: StoreDeps): AppStore {
  const docListeners = new Set<DocListener>();
  const ids = deps.ids ?? localIds();
  const overlays = deps.overlays ?? new OverlayRegistry();
  let ctx!: SliceContext;
  const api = createStore<StoreState>()((set, get) => {
    const session = new MaskSession(
      deps.engine,
      overlays,
      {
        feedback: () => get().feedback,
        zoomIn: () => (get().zoomIn ? DEFAULT_ZOOM_IN : null),
        // the colour the mask will have once accepted: its instance colour (the id it will get, or the one it
        // has when an accepted mask is edited), or its category's
        color: () => {
          const s = get();
          const category = s.project.categories.find((c) => c.id === s.currentCategoryId)?.color;
          if (s.display.colorBy !== 'instance') return annotationColor(s.display.colorBy, 0, category);
          // on a video frame, a track's colour: the edited mask's track, or the selected track the mask will join
          // (called per brush piece: the edited mask from the shared index, not a scan of every annotation)
          const edited =
            s.editingAnnotationId === null ? undefined : annotationIndex(s.project.annotations).byId.get(s.editingAnnotationId);
          const onFrame = s.selectedTrackId !== null && s.project.images.find((im) => im.id === s.currentImageId)?.video !== undefined;
          const id = edited ? (edited.trackId ?? edited.id) : onFrame ? s.selectedTrackId! : ids.peek('annotations', s.project);
          return annotationColor(s.display.colorBy, id, category);
        },
        image: (id) => get().project.images.find((im) => im.id === id) ?? null,
        annotationMask: (id) => get().project.annotations.find((a) => a.id === id)?.segmentation ?? null,
        onError: (err) =>
          get().notify(
            'error',
            `Could not compute the mask: ${err.message}`,
            err.hint || 'Try again; if it persists, reload the page (accepted annotations are saved).',
          ),
      },
      draftPort(get, set),
    );
    ctx = { set, get, deps, ids, session, docListeners };
    return {
      ...createDocumentSlice(ctx),
      ...createEditorSlice(ctx),
      ...createCategoriesSlice(ctx),
      ...createReviewSlice(ctx),
      ...createViewSlice(ctx),
      ...createNotificationsSlice(ctx),
      ...createImportSlice(ctx),
      ...createTeamSlice(ctx),
      ...createServicesSlice(ctx),
      ...createVideoSlice(ctx),
      ...createVideoImportSlice(ctx),
    };
  });
  watchWaiting(api);
  return Object.assign(api, {
    deps,
    overlays,
    session: ctx.session,
    ids,
    onDocChange(l: DocListener) {
      docListeners.add(l);
      return () => docListeners.delete(l);
    },
  });
}
