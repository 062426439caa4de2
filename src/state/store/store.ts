/**
 * The app's state: one zustand store made of slices (document, editor, categories, review, view,
 * notifications), each in its own file. The store holds plain data only (masks as RLE; pixels stay
 * in the workers). It is created at start-up with its dependencies (`createAppStore`), so tests make
 * their own with a fake engine; the views use the installed one through `useStore`.
 */
import { useStore as useZustand } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DocDiff } from '../../core/project/changes.ts';
import type { Annotation } from '../../core/project/types.ts';
import { MaskSession } from '../../inference/maskSession.ts';
import { DEFAULT_ZOOM_IN } from '../../core/sam/zoomIn.ts';
import { localIds, type IdSource, type StoreDeps } from './deps.ts';
import { createDocumentSlice, type DocumentSlice } from './slices/document.ts';
import { createEditorSlice, type EditorSlice } from './slices/editor.ts';
import { createCategoriesSlice, type CategoriesSlice } from './slices/categories.ts';
import { createReviewSlice, type ReviewSlice } from './slices/review.ts';
import { createViewSlice, type ViewSlice } from './slices/view.ts';
import { createNotificationsSlice, type NotificationsSlice } from './slices/notifications.ts';
import { createTeamSlice, type TeamSlice } from './slices/team.ts';
import { createImportSlice, type ImportSlice } from './slices/importers.ts';
import { watchWaiting } from './waiting.ts';

export type StoreState = DocumentSlice &
  EditorSlice &
  CategoriesSlice &
  ReviewSlice &
  ViewSlice &
  NotificationsSlice &
  ImportSlice &
  TeamSlice;

/** Where a document change came from: this tab's user or code, or another tab / the server. */
/** 'local': this tab's user; 'remote': another tab of this browser (already saved); 'server': another user, through the project server */
export type ChangeOrigin = 'local' | 'remote' | 'server';
/** `label`: the step's name ('accept', 'stroke', ...) */
export type DocListener = (diff: DocDiff, origin: ChangeOrigin, label: string) => void;

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
  session: MaskSession;
  ids: IdSource;
  /** every document change, after it is applied (autosave, sync) */
  onDocChange(l: DocListener): () => void;
};

export function createAppStore(deps: StoreDeps): AppStore {
  const docListeners = new Set<DocListener>();
  const ids = deps.ids ?? localIds();
  let ctx!: SliceContext;
  const api = createStore<StoreState>()((set, get) => {
    const session = new MaskSession(
      deps.engine,
      {
        feedback: () => get().feedback,
        zoomIn: () => (get().zoomIn ? DEFAULT_ZOOM_IN : null),
        color: () => get().project.categories.find((c) => c.id === get().currentCategoryId)?.color ?? '#ffffff',
        image: (id) => get().project.images.find((im) => im.id === id) ?? null,
        annotationMask: (id) => get().project.annotations.find((a) => a.id === id)?.segmentation ?? null,
        onError: (err) =>
          get().notify(
            'error',
            `Could not compute the mask: ${err.message}`,
            err.hint || 'Try again; if it persists, reload the page (accepted annotations are saved).',
          ),
      },
      (v) =>
        set({
          prompts: v.prompts,
          strokes: v.strokes,
          editingAnnotationId: v.editingAnnotationId,
          generation: v.generation,
          live: v.live,
          decoding: v.decoding,
          candidates: v.candidates,
          candidateShown: v.token,
          zoom: v.zoom,
          hoverPoint: v.hover,
        }),
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
    };
  });
  watchWaiting(api);
  return Object.assign(api, {
    deps,
    session: ctx.session,
    ids,
    onDocChange(l: DocListener) {
      docListeners.add(l);
      return () => docListeners.delete(l);
    },
  });
}

let installed: AppStore | null = null;

/** Makes `store` the app's store (start-up). */
export function installStore(store: AppStore): void {
  installed = store;
}

export function appStore(): AppStore {
  if (!installed) throw new Error('the store is not installed yet (see main.tsx)');
  return installed;
}

type BoundStore = {
  <T>(selector: (s: StoreState) => T): T;
  getState(): StoreState;
  setState: StoreApi<StoreState>['setState'];
  subscribe: StoreApi<StoreState>['subscribe'];
};

/** The installed store as a React hook (`useStore(selector)`) and as a store (`useStore.getState()`). */
export const useStore: BoundStore = Object.assign(<T>(selector: (s: StoreState) => T): T => useZustand(appStore(), selector), {
  getState: () => appStore().getState(),
  setState: ((partial, replace) => appStore().setState(partial as never, replace as never)) as StoreApi<StoreState>['setState'],
  subscribe: ((l) => appStore().subscribe(l)) as StoreApi<StoreState>['subscribe'],
});
