import { emptyProject } from '../core/project/types.ts';
import { overlays } from '../inference/overlays.ts';
import { clearImageRegistry, onImageRegistered, registerImageBlob } from '../io/images.ts';
import {
  currentProjectId,
  deleteProject,
  describeSaveError,
  listProjects,
  loadProject,
  newProjectId,
  renameProject,
  saveImage,
  saveProject,
  setCurrentProjectId,
  type SavedUi,
} from '../io/persist.ts';
import { engine, useStore, type StoreState } from './store.ts';
import { abandonPreannotate } from './preannotate.ts';

/**
 * Autosave: the project (images, categories, annotations, timing), the shown image and the settings
 * live in IndexedDB and are written after every change; image files are stored when they are added,
 * so a reload needs nothing again. A failed write is reported; what was saved before stays.
 */
let projectId = '';
let timer: ReturnType<typeof setTimeout> | null = null;
let saving: Promise<void> = Promise.resolve();
let lastError = '';

export function currentProject(): string {
  return projectId;
}

function uiOf(s: StoreState): SavedUi {
  return { currentImageId: s.currentImageId, currentCategoryId: s.currentCategoryId, feedback: s.feedback, brushRadius: s.brushRadius };
}

function reportError(what: string, e: unknown): void {
  const msg = describeSaveError(e);
  if (msg === lastError) return;
  lastError = msg;
  useStore
    .getState()
    .notify(
      'error',
      `Could not save ${what}: ${msg}`,
      'Your work is still here in this tab and what was saved before is kept. Free some disk space or export now (Export COCO).',
    );
}

/** Writes the project now (after waiting for the write under way). */
export function saveNow(): Promise<void> {
  if (timer) {
    clearTimeout(timer);
    timer = null;
  }
  const s = useStore.getState();
  const id = projectId;
  if (!id) return saving;
  saving = saving
    .then(() => saveProject({ id, name: s.project.name, updatedAt: Date.now(), project: s.project, ui: uiOf(s) }))
    .then(
      () => {
        lastError = '';
        useStore.setState({ saveState: 'saved' });
      },
      (e: unknown) => {
        useStore.setState({ saveState: 'error' });
        reportError('the project', e);
      },
    );
  return saving;
}

function scheduleSave(): void {
  useStore.setState({ saveState: 'saving' });
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => void saveNow(), 200);
}

/** Loads the saved project into the app (images, annotations, the shown image). */
async function open(id: string): Promise<boolean> {
  const loaded = await loadProject(id);
  if (!loaded) return false;
  projectId = id;
  const { saved, images } = loaded;
  for (const im of images) registerImageBlob(im.imageId, im.blob, im.name, false);
  useStore.setState({
    project: { ...emptyProject(saved.name), ...saved.project },
    currentCategoryId: saved.ui.currentCategoryId,
    feedback: saved.ui.feedback,
    brushRadius: saved.ui.brushRadius,
    currentImageId: null,
    past: [],
    future: [],
    saveState: 'saved',
  });
  const show = saved.ui.currentImageId ?? saved.project.images[0]?.id ?? null;
  if (show !== null) useStore.getState().showImage(show);
  await setCurrentProjectId(id);
  return true;
}

/** Restores the last project, or starts a new one; resolves to whether one was restored. */
export async function startPersistence(): Promise<boolean> {
  onImageRegistered((imageId, blob, name) => {
    const id = projectId;
    saveImage(id, imageId, name, blob).catch((e: unknown) => reportError(`the image ${name}`, e));
  });
  let restored = false;
  try {
    const id = await currentProjectId();
    if (id) restored = await open(id);
  } catch (e) {
    useStore
      .getState()
      .notify(
        'error',
        `The saved project could not be opened: ${describeSaveError(e)}`,
        'A new project was started; the saved one is kept.',
      );
  }
  if (!restored) projectId = newProjectId();
  // every change that is part of the saved state schedules a save
  useStore.subscribe((s, prev) => {
    if (
      s.project !== prev.project ||
      s.currentImageId !== prev.currentImageId ||
      s.currentCategoryId !== prev.currentCategoryId ||
      s.feedback !== prev.feedback ||
      s.brushRadius !== prev.brushRadius
    ) {
      scheduleSave();
    }
  });
  addEventListener('pagehide', () => void saveNow());
  return restored;
}

function resetForOtherProject(): void {
  abandonPreannotate();
  engine.resetImages();
  clearImageRegistry();
  overlays.setLive(null);
}

export async function newProject(name = 'Untitled project'): Promise<void> {
  await saveNow();
  resetForOtherProject();
  projectId = newProjectId();
  useStore.setState({ project: emptyProject(name), currentImageId: null, currentCategoryId: 1, past: [], future: [] });
  await saveNow();
}

export async function switchProject(id: string): Promise<void> {
  if (id === projectId) return;
  await saveNow();
  resetForOtherProject();
  if (!(await open(id)))
    useStore.getState().notify('error', 'That project could not be opened.', 'It may have been deleted in another tab.');
}

export async function renameCurrentProject(name: string): Promise<void> {
  const trimmed = name.trim();
  if (!trimmed) return;
  useStore.setState((s) => ({ project: { ...s.project, name: trimmed } }));
  await saveNow();
  await renameProject(projectId, trimmed);
}

export async function removeProject(id: string): Promise<void> {
  await deleteProject(id);
  if (id === projectId) {
    const rest = await listProjects();
    if (rest[0]) await switchProject(rest[0].id);
    else await newProject();
  }
}

export { listProjects };
