/**
 * Autosave and tabs. Every document change this tab makes marks the records it touched; 200 ms
 * later (and on `pagehide`) only those records are written, in one transaction. Tabs on the same
 * project tell each other what they wrote (BroadcastChannel) and read it back as `ignore` changes,
 * so each shows the other's work; ids come from blocks reserved per tab, so two tabs never make two
 * records with one id. A failed write is reported; what was saved before stays.
 */
import { COLLECTIONS, DiffBuilder, touchedKeys, type Collection, type DocDiff } from '../core/project/changes.ts';
import { emptyProject } from '../core/project/types.ts';
import { overlays } from '../inference/overlays.ts';
import { clearImageRegistry, onImageRegistered, registerImageBlob } from '../io/images.ts';
import {
  createProject,
  currentProjectId,
  deleteProject,
  describeSaveError,
  listProjects,
  loadProject,
  newProjectId,
  saveImage,
  setCurrentProjectId,
  writeRecords,
  type ProjectMeta,
  type SavedUi,
} from '../io/persist.ts';
import type { ProjectIds } from './projectIds.ts';
import { Tabs } from './tabs.ts';
import type { AppStore, StoreState } from './store.ts';
import { abandonPreannotate } from './preannotate.ts';

let store: AppStore;
let ids: ProjectIds;
let projectId = '';
const dirty = new Map<string, { coll: Collection; id: number }>();
let metaDirty = false;
let nameChanged = false;
let timer: ReturnType<typeof setTimeout> | null = null;
let saving: Promise<void> = Promise.resolve();
let lastError = '';
let tabs: Tabs | null = null;

/** Start-up (restoring the last project) and project operations run one at a time, in order. */
let queue: Promise<unknown> = Promise.resolve();
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

/** Resolves once every project operation asked for so far (start-up, new, switch, delete) is done. */
export function projectsSettled(): Promise<unknown> {
  return queue;
}

/** Runs `fn` between project operations (start-up, new, switch, delete), never during one. */
export function projectTask<T>(fn: () => Promise<T>): Promise<T> {
  return serialized(fn);
}

export function currentProject(): string {
  return projectId;
}

function uiOf(s: StoreState): SavedUi {
  return {
    currentImageId: s.currentImageId,
    currentCategoryId: s.currentCategoryId,
    feedback: s.feedback,
    zoomIn: s.zoomIn,
    hoverPreview: s.hoverPreview,
    brushRadius: s.brushRadius,
  };
}

function metaOf(s: StoreState): ProjectMeta {
  return { id: projectId, name: s.project.name, updatedAt: Date.now(), ui: uiOf(s) };
}

function reportError(what: string, e: unknown): void {
  const msg = describeSaveError(e);
  if (msg === lastError) return;
  lastError = msg;
  store
    .getState()
    .notify(
      'error',
      `Could not save ${what}: ${msg}`,
      'Your work is still here in this tab and what was saved before is kept. Free some disk space or export now (Export COCO).',
    );
}

/** Writes what changed since the last write (after the write under way). */
export function saveNow(): Promise<void> {
  if (timer) {
    clearTimeout(timer);
    timer = null;
  }
  if (!projectId || (dirty.size === 0 && !metaDirty)) return saving;
  const keys = [...dirty.values()];
  dirty.clear();
  metaDirty = false;
  const renamed = nameChanged;
  nameChanged = false;
  const id = projectId;
  const s = store.getState();
  const byKey = new Map<string, unknown>();
  for (const coll of COLLECTIONS) for (const r of s.project[coll] as { id: number }[]) byKey.set(`${coll}:${r.id}`, r);
  const put = keys.flatMap(({ coll, id: rid }) => {
    const rec = byKey.get(`${coll}:${rid}`);
    return rec ? [{ coll, rec: rec as never }] : [];
  });
  const remove = keys.filter(({ coll, id: rid }) => !byKey.has(`${coll}:${rid}`));
  const meta = metaOf(s);
  saving = saving
    .then(() => writeRecords(id, { put, remove, meta }))
    .then(
      () => {
        lastError = '';
        if (projectId === id && dirty.size === 0) store.setState({ saveState: 'saved' });
        if (keys.length || renamed) tabs?.changed(id, keys, renamed ? meta.name : undefined);
      },
      (e: unknown) => {
        // nothing of this write landed: write these records again with the next change
        for (const k of keys) dirty.set(`${k.coll}:${k.id}`, k);
        metaDirty = true;
        store.setState({ saveState: 'error' });
        reportError('the project', e);
      },
    );
  return saving;
}

function scheduleSave(): void {
  store.setState({ saveState: 'saving' });
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => void saveNow(), 200);
}

function noteLocalChange(diff: DocDiff): void {
  for (const k of touchedKeys(diff)) dirty.set(`${k.coll}:${k.id}`, k);
  if (diff.name) {
    metaDirty = true;
    nameChanged = true;
  }
  scheduleSave();
}

/** Loads a saved project into the app (records, image files, the shown image, settings). */
async function open(id: string): Promise<boolean> {
  const loaded = await loadProject(id);
  if (!loaded) return false;
  projectId = id;
  await ids.use(id, loaded.project);
  for (const im of loaded.images) registerImageBlob(im.imageId, im.blob, im.name, false);
  const { ui } = loaded.meta;
  store.getState().loadDocument(loaded.project);
  store.setState({
    currentImageId: null,
    currentCategoryId: loaded.project.categories.some((c) => c.id === ui.currentCategoryId)
      ? ui.currentCategoryId
      : (loaded.project.categories[0]?.id ?? 1),
    feedback: ui.feedback,
    // projects saved before zoom-in existed get the default
    zoomIn: ui.zoomIn ?? store.getState().zoomIn,
    hoverPreview: ui.hoverPreview ?? store.getState().hoverPreview,
    brushRadius: ui.brushRadius,
    saveState: 'saved',
  });
  const show = ui.currentImageId ?? loaded.project.images[0]?.id ?? null;
  if (show !== null) store.getState().showImage(show);
  await setCurrentProjectId(id);
  tabs?.announce(projectId);
  return true;
}

async function startNew(name: string): Promise<void> {
  projectId = newProjectId();
  const project = emptyProject(name);
  store.getState().loadDocument(project);
  store.setState({ currentImageId: null, currentCategoryId: project.categories[0]!.id, saveState: 'saved' });
  await createProject(metaOf(store.getState()), project).catch((e: unknown) => reportError('the new project', e));
  await ids.use(projectId, project);
  await setCurrentProjectId(projectId).catch(() => undefined);
  tabs?.announce(projectId);
}

/** Restores the last project, or starts a new one; resolves to whether one was restored. */
export function startPersistence(s: AppStore, projectIds: ProjectIds): Promise<boolean> {
  return serialized(() => start(s, projectIds));
}

async function start(s: AppStore, projectIds: ProjectIds): Promise<boolean> {
  store = s;
  ids = projectIds;
  onImageRegistered((imageId, blob, name) => {
    saveImage(projectId, imageId, name, blob).catch((e: unknown) => reportError(`the image ${name}`, e));
  });
  if (typeof BroadcastChannel !== 'undefined') tabs = new Tabs(store, () => projectId);
  let restored = false;
  try {
    const id = await currentProjectId();
    if (id) restored = await open(id);
  } catch (e) {
    store
      .getState()
      .notify(
        'error',
        `The saved project could not be opened: ${describeSaveError(e)}`,
        'A new project was started; the saved one is kept.',
      );
  }
  if (!restored) await startNew('Untitled project');
  store.onDocChange((diff, origin) => {
    if (origin === 'local') noteLocalChange(diff);
  });
  // the UI state saved with the project (where the user was, their settings)
  store.subscribe((st, prev) => {
    if (
      st.currentImageId !== prev.currentImageId ||
      st.currentCategoryId !== prev.currentCategoryId ||
      st.feedback !== prev.feedback ||
      st.zoomIn !== prev.zoomIn ||
      st.hoverPreview !== prev.hoverPreview ||
      st.brushRadius !== prev.brushRadius
    ) {
      metaDirty = true;
      scheduleSave();
    }
  });
  addEventListener('pagehide', () => {
    void saveNow();
    ids.release();
    tabs?.bye(projectId);
  });
  return restored;
}

async function leaveProject(): Promise<void> {
  // an Enter just before "New" or a switch: its annotation lands in the project it was made in
  await store.session.acceptsDone();
  await saveNow();
  tabs?.bye(projectId);
  ids.release();
  abandonPreannotate();
  store.deps.engine.resetImages();
  clearImageRegistry();
  overlays.setLive(null);
  store.session.reset(null);
}

export function newProject(name = 'Untitled project'): Promise<void> {
  return serialized(async () => {
    await leaveProject();
    await startNew(name);
  });
}

export function switchProject(id: string): Promise<void> {
  return serialized(() => switchNow(id));
}

async function switchNow(id: string): Promise<void> {
  if (id === projectId) return;
  await leaveProject();
  if (!(await open(id))) {
    store.getState().notify('error', 'That project could not be opened.', 'It may have been deleted in another tab.');
    await startNew('Untitled project');
  }
}

/** Renames the open project (one undo step). */
export async function renameCurrentProject(name: string): Promise<void> {
  const trimmed = name.trim();
  const s = store.getState();
  if (!trimmed || trimmed === s.project.name) return;
  s.change(new DiffBuilder(s.project).rename(trimmed).diff, 'record', { label: 'rename project' });
  await saveNow();
}

export function removeProject(id: string): Promise<void> {
  return serialized(async () => {
    await deleteProject(id);
    if (id !== projectId) return;
    projectId = '';
    const rest = await listProjects();
    if (rest[0]) await switchNow(rest[0].id);
    else {
      await leaveProject();
      await startNew('Untitled project');
    }
  });
}

export { listProjects };
export { ProjectIds } from './projectIds.ts';
