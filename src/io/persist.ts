import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Project } from '../core/project/types.ts';

/** What is saved of a project besides its annotations: where the user was and their settings. */
export interface SavedUi {
  currentImageId: number | null;
  currentCategoryId: number;
  feedback: boolean;
  brushRadius: number;
}

export interface SavedProject {
  id: string;
  name: string;
  updatedAt: number;
  project: Project;
  ui: SavedUi;
}

interface Schema extends DBSchema {
  projects: { key: string; value: SavedProject };
  images: {
    key: [string, number];
    value: { projectId: string; imageId: number; name: string; blob: Blob };
    indexes: { byProject: string };
  };
  meta: { key: string; value: string };
}

let dbPromise: Promise<IDBPDatabase<Schema>> | null = null;

function db(): Promise<IDBPDatabase<Schema>> {
  dbPromise ??= openDB<Schema>('sam-annotator', 1, {
    upgrade(d) {
      d.createObjectStore('projects', { keyPath: 'id' });
      const images = d.createObjectStore('images', { keyPath: ['projectId', 'imageId'] });
      images.createIndex('byProject', 'projectId');
      d.createObjectStore('meta');
    },
  });
  return dbPromise;
}

/** Turns a failed write into a message that says what happened and that nothing saved was lost. */
export function describeSaveError(e: unknown): string {
  const name = e instanceof DOMException ? e.name : e instanceof Error ? e.name : '';
  if (name === 'QuotaExceededError') return 'The browser’s storage for this site is full.';
  return e instanceof Error ? e.message : String(e);
}

export async function listProjects(): Promise<{ id: string; name: string; updatedAt: number; images: number; annotations: number }[]> {
  const all = await (await db()).getAll('projects');
  return all
    .map((p) => ({
      id: p.id,
      name: p.name,
      updatedAt: p.updatedAt,
      images: p.project.images.length,
      annotations: p.project.annotations.length,
    }))
    .sort((a, b) => b.updatedAt - a.updatedAt);
}

export async function currentProjectId(): Promise<string | undefined> {
  return (await db()).get('meta', 'current');
}

export async function setCurrentProjectId(id: string): Promise<void> {
  await (await db()).put('meta', id, 'current');
}

/** Saves the project and UI state in one transaction: either all of it is written or nothing. */
export async function saveProject(p: SavedProject): Promise<void> {
  const d = await db();
  const tx = d.transaction(['projects', 'meta'], 'readwrite');
  await Promise.all([tx.objectStore('projects').put(p), tx.objectStore('meta').put(p.id, 'current'), tx.done]);
}

export async function saveImage(projectId: string, imageId: number, name: string, blob: Blob): Promise<void> {
  await (await db()).put('images', { projectId, imageId, name, blob });
}

export async function loadProject(
  id: string,
): Promise<{ saved: SavedProject; images: { imageId: number; name: string; blob: Blob }[] } | null> {
  const d = await db();
  const saved = await d.get('projects', id);
  if (!saved) return null;
  const images = await d.getAllFromIndex('images', 'byProject', id);
  return { saved, images };
}

export async function deleteProject(id: string): Promise<void> {
  const d = await db();
  const tx = d.transaction(['projects', 'images'], 'readwrite');
  await tx.objectStore('projects').delete(id);
  const idx = tx.objectStore('images').index('byProject');
  for (let cur = await idx.openCursor(id); cur; cur = await cur.continue()) await cur.delete();
  await tx.done;
}

export async function renameProject(id: string, name: string): Promise<void> {
  const d = await db();
  const p = await d.get('projects', id);
  if (p) await d.put('projects', { ...p, name, project: { ...p.project, name } });
}

export function newProjectId(): string {
  return `p-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
