/**
 * The document (images, categories, annotations, waiting boxes, skipped objects) and the one path
 * every change to it takes: `change(diff, policy)`. Undo applies the inverse of the user's last
 * recorded step where it still fits (see `applyDiffChecked`), after showing the image the step was
 * made on; it never removes what was not recorded and never leaves a dangling reference.
 */
import { annotationIndex } from '../../../core/project/annotationIndex.ts';
import { applyDiff, applyDiffChecked, integrityProblems, invertDiff, isEmptyDiff, type DocDiff } from '../../../core/project/changes.ts';
import { emptyProject, type Project } from '../../../core/project/types.ts';
import type { SessionSnapshot } from '../../../inference/maskSession.ts';
import { EMPTY_HISTORY, pushStep, type HistoryEntry, type HistoryPolicy } from '../history.ts';
import type { ChangeInfo, ChangeOrigin, SliceContext, StoreState } from '../store.ts';

export interface ChangeOptions {
  /** what the step does ("accept", "add category"), for the Undo/Redo buttons */
  label?: string;
  /** the image the step belongs to (default: the shown one) */
  imageId?: number | null;
  /** the mask being drafted before and after the step */
  session?: { before: SessionSnapshot; after: SessionSnapshot };
  /** `squash`: joins the previous step when it has the same key */
  squashKey?: string;
  origin?: ChangeOrigin;
  /** written to disk at once rather than with the next changes (an accepted mask: never lost to a closed tab) */
  saveNow?: boolean;
}

export interface DocumentSlice {
  project: Project;
  past: HistoryEntry[];
  future: HistoryEntry[];
  /**
   * The one way to change the document: applies `diff` (refused, with a message, if it would leave
   * a dangling reference) and files it by `policy`: `record` (a user edit, one undo step), `ignore`
   * (never undone: image opens, imports, proposals, restores, remote changes), `squash` (joins the
   * previous step) or `run` (a background run's change: joins its run's step, keeps the redo, refused once the run
   * was undone). Resolves to whether it was applied.
   */
  change(diff: DocDiff, policy: HistoryPolicy, options?: ChangeOptions): boolean;
  /** Replaces the whole document (opening a saved project): no history. */
  loadDocument(project: Project): void;
  undo(): void;
  redo(): void;
}

/** Editor fields that must keep pointing at existing records after a document change. */
function repairs(s: StoreState, project: Project): Partial<StoreState> {
  const out: Partial<StoreState> = {};
  if (!project.categories.some((c) => c.id === s.currentCategoryId)) out.currentCategoryId = project.categories[0]?.id ?? 1;
  if (s.selectedAnnotationId !== null && !annotationIndex(project.annotations).byId.has(s.selectedAnnotationId))
    out.selectedAnnotationId = null;
  if (s.currentImageId !== null && !project.images.some((im) => im.id === s.currentImageId))
    out.currentImageId = project.images[0]?.id ?? null;
  return out;
}

export function createDocumentSlice(ctx: SliceContext): DocumentSlice {
  const { set, get, session, docListeners } = ctx;

  const emit = (diff: DocDiff, info: ChangeInfo) => {
    if (isEmptyDiff(diff)) return;
    for (const l of docListeners) l(diff, info);
  };

  /** After the document changed under the session: an edited annotation that is gone ends the edit. */
  const checkSession = () => {
    const snap = session.snapshot();
    if (snap.editingAnnotationId !== null && !annotationIndex(get().project.annotations).byId.has(snap.editingAnnotationId))
      session.reset(snap.imageId);
  };

  /** Shows the image a step was made on before undoing or redoing it. */
  const showStepImage = (entry: HistoryEntry) => {
    const s = get();
    if (entry.imageId !== null && entry.imageId !== s.currentImageId && s.project.images.some((im) => im.id === entry.imageId))
      s.showImage(entry.imageId, { fromHistory: true });
  };

  /** the keys of runs that have made a change (`run` policy): a run whose step has left the history makes no more */
  const runsMade = new Set<string>();

  /** Undo or redo: takes steps from `from` until one changes something, files it in `to`. */
  const travel = (direction: 'undo' | 'redo') => {
    for (;;) {
      const s = get();
      const from = direction === 'undo' ? s.past : s.future;
      const entry = direction === 'undo' ? from[from.length - 1] : from[0];
      if (!entry) return;
      const rest = direction === 'undo' ? from.slice(0, -1) : from.slice(1);
      set(direction === 'undo' ? { past: rest } : { future: rest });
      showStepImage(entry);
      const diff = direction === 'undo' ? invertDiff(entry.doc) : entry.doc;
      const r = applyDiffChecked(get().project, diff);
      const nothing = isEmptyDiff(r.applied) && !isEmptyDiff(diff);
      if (nothing && !entry.session) {
        get().notify(
          'info',
          `“${entry.label}” was not ${direction === 'undo' ? 'undone' : 'redone'}: what it changed was changed again since.`,
        );
        continue;
      }
      // the step as it now stands (only what applied) goes to the other stack
      const filed: HistoryEntry = { ...entry, doc: direction === 'undo' ? invertDiff(r.applied) : r.applied };
      set((st) => ({
        project: r.project,
        ...(direction === 'undo' ? { future: [filed, ...st.future] } : { past: [...st.past, filed] }),
        ...repairs(st, r.project),
      }));
      emit(r.applied, { origin: 'local', label: entry.label, saveNow: entry.saveNow === true });
      if (entry.session) session.restore(direction === 'undo' ? entry.session.before : entry.session.after);
      else checkSession();
      if (r.skipped.length && !nothing) get().notify('info', `Part of “${entry.label}” was left as it is: it was changed again since.`);
      return;
    }
  };

  return {
    project: emptyProject(),
    ...EMPTY_HISTORY,

    change(diff, policy, options = {}) {
      const s = get();
      if (isEmptyDiff(diff) && !options.session) return true;
      const project = applyDiff(s.project, diff);
      const problems = integrityProblems(project, diff);
      if (problems.length) {
        s.notify('error', `That change was not made: ${problems[0]!.message}.`, 'Nothing was changed.');
        return false;
      }
      const entry: HistoryEntry = {
        label: options.label ?? 'edit',
        imageId: options.imageId === undefined ? s.currentImageId : options.imageId,
        doc: diff,
        session: options.session ?? null,
        ...(options.squashKey !== undefined ? { squashKey: options.squashKey } : {}),
        ...(options.saveNow ? { saveNow: true as const } : {}),
      };
      const key = entry.squashKey;
      // a run's change after its step left the history (undone, then another step made; or trimmed): not made either
      if (policy === 'run' && key !== undefined && runsMade.has(key) && !s.past.some((e) => e.squashKey === key)) return false;
      const history = policy === 'ignore' ? {} : pushStep({ past: s.past, future: s.future }, entry, policy);
      // a run's change after the run was undone: not made (the run is taken back)
      if (history === null) return false;
      if (policy === 'run' && key !== undefined) runsMade.add(key);
      set((st) => ({ project, ...history, ...repairs(st, project) }));
      emit(diff, { origin: options.origin ?? 'local', label: entry.label, saveNow: options.saveNow === true });
      if (policy === 'ignore') checkSession();
      return true;
    },

    loadDocument(project) {
      // another project: no track of it is selected, nothing plays, no run of the one before is shown
      set((st) => ({ project, ...EMPTY_HISTORY, ...repairs(st, project), selectedTrackId: null, playing: false, tracking: null }));
    },

    undo() {
      travel('undo');
    },

    redo() {
      travel('redo');
    },
  };
}
