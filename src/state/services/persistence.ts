/**
 * Autosave and tabs. Every document change this tab makes marks the records it touched and journals
 * them at once (src/io/journal.ts: `localStorage`, synchronous, so closing the page right after
 * Enter loses nothing); an accept is written to IndexedDB at once, other changes 200 ms later (and
 * on `pagehide` / the tab being hidden), only the records touched, in one transaction. Tabs on the same
 * project tell each other what they wrote (BroadcastChannel) and read it back as `ignore` changes,
 * so each shows the other's work; ids come from blocks reserved per tab, so two tabs never make two
 * records with one id. A failed write is reported; what was saved before stays.
 */
import { COLLECTIONS, DiffBuilder, touchedKeys, type Collection, type DocDiff } from '../../core/project/changes.ts';
import { annotationIndex } from '../../core/project/annotationIndex.ts';
import { emptyProject, type Project } from '../../core/project/types.ts';
import { overlays } from '../../inference/overlays.ts';
import { clearImageRegistry, onImageRegistered, registerImageBlob } from '../../io/images.ts';
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
  type SyncMeta,
} from '../../io/persist.ts';
import {
  dropJournal,
  dropPlace,
  JOURNAL_MAX_RECORDS,
  readJournal,
  readPlace,
  writeJournal,
  writePlace,
  type JournalEntry,
} from '../../io/journal.ts';
import type { ProjectIds } from './projectIds.ts';
import { Tabs } from './tabs.ts';
import type { AppStore, StoreState } from '../store/store.ts';
import { abandonPreannotate } from './batch.ts';

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
/** records being written now (taken out of `dirty`, not yet in IndexedDB): journaled until they land */
const inflight = new Map<string, { coll: Collection; id: number }>();

/** What the project server's sync (src/state/sync.ts) needs to hear from here. */
export interface SyncHooks {
  /** the open project's link to the server, saved with every write */
  meta(): SyncMeta | undefined;
  /** a project was opened (its link, or undefined), with the records recovered from the journal; before its ids are reserved */
  opened(localId: string, meta: SyncMeta | undefined, recovered: { coll: Collection; id: number }[]): void;
  /** the user changed these records */
  localChange(diff: DocDiff): void;
  /** the open project is being left */
  closing(): void;
}
let syncHooks: SyncHooks | null = null;

export function registerSyncHooks(h: SyncHooks): void {
  syncHooks = h;
}

/** Told of every project opened or started (its id), e.g. to load the model it uses. */
const openedListeners: ((projectId: string) => void)[] = [];
export function onProjectOpened(fn: (projectId: string) => void): void {
  openedListeners.push(fn);
}

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
  const sync = syncHooks?.meta();
  return { id: projectId, name: s.project.name, updatedAt: Date.now(), ui: uiOf(s), ...(sync ? { sync } : {}) };
}

/** The project's meta record (its server link) changed: write it with the next save. */
export function requestMetaSave(): void {
  if (!projectId) return;
  metaDirty = true;
  scheduleSave();
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

/** The records behind `keys` as the project has them now: put if present, removed if not. */
function recordsOf(keys: readonly { coll: Collection; id: number }[]): JournalEntry {
  const project = store.getState().project;
  const wanted = new Map<Collection, Set<number>>();
  for (const k of keys) {
    let ids = wanted.get(k.coll);
    if (!ids) wanted.set(k.coll, (ids = new Set()));
    ids.add(k.id);
  }
  const put: JournalEntry['put'] = [];
  const remove: JournalEntry['remove'] = [];
  for (const [coll, ids] of wanted) {
    // a few annotations (an accept) are looked up in the index; many, or other records, in one pass
    if (coll === 'annotations' && ids.size < 1000) {
      const byId = annotationIndex(project.annotations).byId;
      for (const id of ids) {
        const r = byId.get(id);
        if (r) put.push({ coll, rec: r });
        else remove.push({ coll, id });
      }
      continue;
    }
    const found = new Set<number>();
    // one pass over the collection, whatever the number of keys (projects of 300,000 annotations)
    for (const r of project[coll] as { id: number }[]) {
      if (ids.has(r.id)) {
        put.push({ coll, rec: r as never });
        found.add(r.id);
      }
    }
    for (const id of ids) if (!found.has(id)) remove.push({ coll, id });
  }
  return { put, remove };
}

/** Journals every record not yet in IndexedDB (being written, or waiting to be), synchronously. */
function journal(): void {
  if (!projectId) return;
  // an import's thousands of records are no key press's: too many for localStorage, not worth a long task
  if (inflight.size + dirty.size > JOURNAL_MAX_RECORDS) writeJournal(projectId, { put: [], remove: [] });
  else writeJournal(projectId, recordsOf([...inflight.values(), ...dirty.values()]));
}

/** Writes what changed since the last write (after the write under way). */
export function saveNow(): Promise<void> {
  if (timer) {
    clearTimeout(timer);
    timer = null;
  }
  if (!projectId || (dirty.size === 0 && !metaDirty)) return saving;
  const keys = [...dirty.values()];
  for (const [k, v] of dirty) inflight.set(k, v);
  dirty.clear();
  metaDirty = false;
  const renamed = nameChanged;
  nameChanged = false;
  const id = projectId;
  const { put, remove } = recordsOf(keys);
  const meta = metaOf(store.getState());
  const done = () => {
    if (keys.length === inflight.size) inflight.clear();
    else for (const k of keys) inflight.delete(`${k.coll}:${k.id}`);
  };
  saving = saving
    .then(() => writeRecords(id, { put, remove, meta }))
    .then(
      () => {
        lastError = '';
        done();
        if (projectId === id) {
          journal();
          if (dirty.size === 0) store.setState({ saveState: 'saved' });
        }
        if (keys.length || renamed) tabs?.changed(id, keys, renamed ? meta.name : undefined);
      },
      (e: unknown) => {
        done();
        // nothing of this write landed: write these records again with the next change (they stay journaled)
        if (projectId === id) for (const k of keys) dirty.set(`${k.coll}:${k.id}`, k);
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

/** Changes from other users (the project server): saved like the user's own, never sent back. */
function noteServerChange(diff: DocDiff): void {
  for (const k of touchedKeys(diff)) dirty.set(`${k.coll}:${k.id}`, k);
  if (diff.name) metaDirty = true;
  journal();
  scheduleSave();
}

function noteLocalChange(diff: DocDiff, label: string): void {
  syncHooks?.localChange(diff);
  for (const k of touchedKeys(diff)) dirty.set(`${k.coll}:${k.id}`, k);
  if (diff.name) {
    metaDirty = true;
    nameChanged = true;
  }
  journal();
  // an accepted mask goes to IndexedDB at once; typing and the like are gathered for 200 ms
  if (label === 'accept' || label === 'accept proposal') {
    store.setState({ saveState: 'saving' });
    void saveNow();
  } else scheduleSave();
}

/** Loads a saved project into the app (records, image files, the shown image, settings). */
async function open(id: string): Promise<boolean> {
  const loaded = await loadProject(id);
  if (!loaded) return false;
  // what a page closed before its write landed left in the journal
  const journaled = readJournal(id);
  const recovered = applyJournal(loaded.project, journaled.entries);
  projectId = id;
  syncHooks?.opened(id, loaded.meta.sync, recovered);
  for (const fn of openedListeners) fn(projectId);
  await ids.use(id, loaded.project);
  for (const im of loaded.images) registerImageBlob(im.imageId, im.blob, im.name, false);
  // where the user was: the place journaled at each change when it is newer than the last landed write
  const place = readPlace<SavedUi>(id);
  const newerPlace = place !== null && place.at > loaded.meta.updatedAt;
  const ui: SavedUi = newerPlace ? { ...loaded.meta.ui, ...place.value } : loaded.meta.ui;
  if (newerPlace) metaDirty = true;
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
  const saved = ui.currentImageId;
  const show = saved !== null && loaded.project.images.some((im) => im.id === saved) ? saved : (loaded.project.images[0]?.id ?? null);
  if (show !== null) store.getState().showImage(show);
  // the project is open whether or not this small write lands (a full disk): said, never a reason to start another
  await setCurrentProjectId(id).catch((e: unknown) => reportError('which project is open', e));
  tabs?.announce(projectId);
  if (recovered.length || metaDirty) {
    for (const k of recovered) dirty.set(`${k.coll}:${k.id}`, k);
    await saveNow();
    if (!recovered.some((k) => dirty.has(`${k.coll}:${k.id}`))) journaled.clear();
  }
  return true;
}

/**
 * Puts journaled records into a project as loaded from IndexedDB (in place; later entries win) and
 * returns their keys. Records already stored as journaled are left out.
 */
function applyJournal(project: Project, entries: readonly JournalEntry[]): { coll: Collection; id: number }[] {
  const keys = new Map<string, { coll: Collection; id: number }>();
  for (const e of entries) {
    for (const { coll, rec } of e.put) {
      const list = project[coll] as { id: number }[];
      const i = list.findIndex((r) => r.id === rec.id);
      if (i >= 0 && JSON.stringify(list[i]) === JSON.stringify(rec)) continue;
      if (i >= 0) list[i] = rec;
      else list.push(rec);
      keys.set(`${coll}:${rec.id}`, { coll, id: rec.id });
    }
    for (const { coll, id } of e.remove) {
      const list = project[coll] as { id: number }[];
      const i = list.findIndex((r) => r.id === id);
      if (i < 0) continue;
      list.splice(i, 1);
      keys.set(`${coll}:${id}`, { coll, id });
    }
  }
  for (const coll of COLLECTIONS) (project[coll] as { id: number }[]).sort((a, b) => a.id - b.id);
  return [...keys.values()];
}

async function startNew(name: string): Promise<void> {
  projectId = newProjectId();
  syncHooks?.opened(projectId, undefined, []);
  for (const fn of openedListeners) fn(projectId);
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
  store.onDocChange((diff, origin, label) => {
    if (origin === 'local') noteLocalChange(diff, label);
    else if (origin === 'server') noteServerChange(diff);
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
      writePlace(projectId, uiOf(st));
      metaDirty = true;
      scheduleSave();
    }
  });
  // the tab hidden (switched away, minimized, about to close): write now
  addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') void saveNow();
  });
  addEventListener('pagehide', () => {
    journal();
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
  // ids reserved on a server are kept (ProjectIds knows while the link stands); then the link goes
  ids.release();
  syncHooks?.closing();
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

/**
 * Makes a new browser project from a document and a server link (a project opened from the server)
 * and opens it; resolves to its id.
 */
export function openLinkedProject(project: Project, sync: SyncMeta): Promise<string> {
  return serialized(async () => {
    await leaveProject();
    const id = newProjectId();
    const meta: ProjectMeta = { ...metaOf(store.getState()), id, name: project.name, sync };
    meta.ui = { ...meta.ui, currentImageId: project.images[0]?.id ?? null, currentCategoryId: project.categories[0]?.id ?? 1 };
    await createProject(meta, project);
    projectId = '';
    if (!(await open(id))) throw new Error('The project could not be stored in this browser.');
    return id;
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
    dropJournal(id);
    dropPlace(id);
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
