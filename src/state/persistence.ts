/**
 * Autosave and tabs. Every document change this tab makes marks the records it touched; 200 ms
 * later (and on `pagehide`) only those records are written, in one transaction. Tabs on the same
 * project tell each other what they wrote (BroadcastChannel) and read it back as `ignore` changes,
 * so each shows the other's work; ids come from blocks reserved per tab, so two tabs never make two
 * records with one id. A failed write is reported; what was saved before stays.
 */
import { COLLECTIONS, DiffBuilder, diffProjects, touchedKeys, type Collection, type DocDiff } from '../core/project/changes.ts';
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
  readRecords,
  saveImage,
  setCurrentProjectId,
  writeRecords,
  type ProjectMeta,
  type SavedUi,
} from '../io/persist.ts';
import type { ProjectIds } from './projectIds.ts';
import type { AppStore, StoreState } from './store.ts';
import { abandonPreannotate } from './preannotate.ts';

type Message =
  | { type: 'changed'; projectId: string; from: string; keys: { coll: Collection; id: number }[]; name?: string }
  | { type: 'hello' | 'here' | 'bye'; projectId: string; from: string };

const tabId = Math.random().toString(36).slice(2);

let store: AppStore;
let ids: ProjectIds;
let projectId = '';
const dirty = new Map<string, { coll: Collection; id: number }>();
let metaDirty = false;
let nameChanged = false;
let timer: ReturnType<typeof setTimeout> | null = null;
let saving: Promise<void> = Promise.resolve();
let lastError = '';
let channel: BroadcastChannel | null = null;
const otherTabs = new Set<string>();

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
  return { currentImageId: s.currentImageId, currentCategoryId: s.currentCategoryId, feedback: s.feedback, brushRadius: s.brushRadius };
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
        if (keys.length || renamed)
          channel?.postMessage({
            type: 'changed',
            projectId: id,
            from: tabId,
            keys,
            ...(renamed ? { name: meta.name } : {}),
          } satisfies Message);
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

/** Another tab wrote records of this project: read them and show them (not an undo step here). */
async function followOtherTab(keys: { coll: Collection; id: number }[], name: string | undefined): Promise<void> {
  const id = projectId;
  const stored = await readRecords(id, keys);
  if (projectId !== id) return;
  const s = store.getState();
  const b = new DiffBuilder(s.project);
  // in dependency order: images and categories before what refers to them
  const ordered = [...keys].sort((x, y) => COLLECTIONS.indexOf(x.coll) - COLLECTIONS.indexOf(y.coll));
  for (const { coll, id: rid } of ordered) {
    const rec = stored.get(`${coll}:${rid}`);
    const has = (b.project[coll] as { id: number }[]).some((r) => r.id === rid);
    if (rec && has) b.update(coll, rid, () => rec as never);
    else if (rec) b.add(coll, rec as never);
  }
  // removals last, dependants first
  for (const { coll, id: rid } of [...ordered].reverse()) if (!stored.has(`${coll}:${rid}`)) b.remove(coll, rid);
  if (name !== undefined) b.rename(name);
  if (!s.change(b.diff, 'ignore', { origin: 'remote', label: 'another tab' })) {
    // out of step (e.g. a record refers to one not read yet): take the whole stored project
    const loaded = await loadProject(id);
    if (loaded && projectId === id)
      store.getState().change(diffProjects(store.getState().project, loaded.project), 'ignore', { origin: 'remote' });
  }
}

function onMessage(m: Message): void {
  if (m.projectId !== projectId || m.from === tabId) return;
  if (m.type === 'changed') {
    void followOtherTab(m.keys, m.name);
    return;
  }
  if (m.type === 'bye') {
    otherTabs.delete(m.from);
    store.setState({ otherTabs: otherTabs.size });
    return;
  }
  if (m.type === 'hello') channel?.postMessage({ type: 'here', projectId, from: tabId } satisfies Message);
  if (!otherTabs.has(m.from)) {
    otherTabs.add(m.from);
    store.setState({ otherTabs: otherTabs.size });
    store
      .getState()
      .notify(
        'warning',
        'This project is open in another tab too.',
        'Work from both tabs is saved: each tab writes only what it changed and shows the other’s masks as they are accepted.',
      );
  }
}

function announce(): void {
  otherTabs.clear();
  store.setState({ otherTabs: 0 });
  channel?.postMessage({ type: 'hello', projectId, from: tabId } satisfies Message);
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
    brushRadius: ui.brushRadius,
    saveState: 'saved',
  });
  const show = ui.currentImageId ?? loaded.project.images[0]?.id ?? null;
  if (show !== null) store.getState().showImage(show);
  await setCurrentProjectId(id);
  announce();
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
  announce();
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
  if (typeof BroadcastChannel !== 'undefined') {
    channel = new BroadcastChannel('sam-annotator');
    channel.onmessage = (e: MessageEvent<Message>) => onMessage(e.data);
  }
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
      st.brushRadius !== prev.brushRadius
    ) {
      metaDirty = true;
      scheduleSave();
    }
  });
  addEventListener('pagehide', () => {
    void saveNow();
    ids.release();
    channel?.postMessage({ type: 'bye', projectId, from: tabId } satisfies Message);
  });
  return restored;
}

async function leaveProject(): Promise<void> {
  await saveNow();
  channel?.postMessage({ type: 'bye', projectId, from: tabId } satisfies Message);
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
