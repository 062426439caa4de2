/**
 * The browser's copy of the projects (IndexedDB). A project is stored record by record (images,
 * categories, annotations, waiting boxes, skipped objects), so a change writes only the records it
 * touched, and two tabs writing different records never overwrite each other. Ids of new records
 * come from per-project counters reserved in blocks inside a transaction: two tabs never hand out
 * the same id. Image files are stored once, when opened.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { COLLECTIONS, type Collection, type Collections } from '../core/project/changes.ts';
import { nextId, normalizeProject, type Project } from '../core/project/types.ts';

/** What is saved of a project besides its records: where the user was and their settings. */
export interface SavedUi {
  currentImageId: number | null;
  currentCategoryId: number;
  feedback: boolean;
  /** absent in projects saved before zoom-in refinement existed */
  zoomIn?: boolean;
  /** absent in projects saved before the hover preview existed */
  hoverPreview?: boolean;
  brushRadius: number;
}

/** A local change not on the project server yet. */
export interface PendingSync {
  coll: Collection;
  id: number;
  /** the change number this browser had pulled up to when the change was made */
  seen: number;
  /** sent with the change: a push repeated after a lost answer is applied once */
  opId: string;
  /** the page (its client id) that holds it: each tab of one project keeps its own list in the meta record */
  tab?: string;
}

/** A project linked to a project server (absent: a local project). */
export interface SyncMeta {
  serverProjectId: number;
  serverProjectName: string;
  /** the page that wrote this (each page load takes a new one: operation ids are `clientId:counter`) */
  clientId: string;
  /** the last server change applied here */
  cursor: number;
  opCounter: number;
  pending: PendingSync[];
}

export interface ProjectMeta {
  id: string;
  name: string;
  updatedAt: number;
  ui: SavedUi;
  sync?: SyncMeta;
}

interface StoredRecord {
  projectId: string;
  coll: Collection;
  id: number;
  rec: Collections[Collection];
}

interface Schema extends DBSchema {
  projects: { key: string; value: ProjectMeta & { project?: Project } };
  records: { key: [string, string, number]; value: StoredRecord; indexes: { byProject: string; byProjectColl: [string, string] } };
  counters: { key: [string, string]; value: number };
  images: {
    key: [string, number];
    value: { projectId: string; imageId: number; name: string; blob: Blob };
    indexes: { byProject: string };
  };
  meta: { key: string; value: string };
}

type UpgradeTx = IDBPTransaction<Schema, StoreNames<Schema>[], 'versionchange'>;

/** Version 1 kept a project as one JSON value: split it into records and counters. */
async function migrateV1(tx: UpgradeTx): Promise<void> {
  const projects = tx.objectStore('projects');
  for (let cur = await projects.openCursor(); cur; cur = await cur.continue()) {
    const v = cur.value;
    if (!v.project) continue;
    const p = normalizeProject({ ...v.project, name: v.name });
    for (const coll of COLLECTIONS) {
      const items = p[coll] as { id: number }[];
      for (const rec of items)
        await tx.objectStore('records').put({ projectId: v.id, coll, id: rec.id, rec: rec as Collections[Collection] });
      await tx.objectStore('counters').put(nextId(items) - 1, [v.id, coll]);
    }
    await cur.update({ id: v.id, name: p.name, updatedAt: v.updatedAt, ui: v.ui });
  }
}

/** Turns a failed write into a message that says what happened and that nothing saved was lost. */
export function describeSaveError(e: unknown): string {
  const name = e instanceof DOMException ? e.name : e instanceof Error ? e.name : '';
  if (name === 'QuotaExceededError') return 'The browser’s storage for this site is full.';
  return e instanceof Error ? e.message : String(e);
}

/** One write: changed records put, removed ones deleted, and the project's name and UI state. */
export interface RecordWrite {
  put: { coll: Collection; rec: Collections[Collection] }[];
  remove: { coll: Collection; id: number }[];
  meta: ProjectMeta;
  /**
   * Joins the meta record to write with the one stored now, in the write's transaction (another tab
   * of the project wrote its own pending changes there: they are kept).
   */
  mergeMeta?: (stored: ProjectMeta | undefined, next: ProjectMeta) => ProjectMeta;
}

/**
 * Records per transaction of a large write. Each `put` copies its record (structured clone) on the
 * calling thread, so an import of 60,000 masks written at once froze the page for seconds; in pieces
 * of this size, with the event loop free between them, no piece takes more than a few tens of ms.
 */
export const WRITE_CHUNK = 400;

/**
 * Records read per request when a project opens. Each result is copied into the page (structured
 * clone) in one task: 60,000 annotations at once took half a second; in pieces of this size, with
 * the page free in between, a piece takes a few tens of ms.
 */
export const READ_CHUNK = 2000;

/**
 * The projects in this browser's IndexedDB database (one per app, made by the composition root; the
 * connection is opened on first use).
 */
export class ProjectDb {
  private dbPromise: Promise<IDBPDatabase<Schema>> | null = null;

  constructor(private readonly name = 'sam-annotator') {}

  private db(): Promise<IDBPDatabase<Schema>> {
    this.dbPromise ??= openDB<Schema>(this.name, 2, {
      async upgrade(d, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) {
          d.createObjectStore('projects', { keyPath: 'id' });
          const images = d.createObjectStore('images', { keyPath: ['projectId', 'imageId'] });
          images.createIndex('byProject', 'projectId');
          d.createObjectStore('meta');
        }
        if (oldVersion < 2) {
          const records = d.createObjectStore('records', { keyPath: ['projectId', 'coll', 'id'] });
          records.createIndex('byProject', 'projectId');
          records.createIndex('byProjectColl', ['projectId', 'coll']);
          d.createObjectStore('counters');
          if (oldVersion >= 1) await migrateV1(tx);
        }
      },
    });
    return this.dbPromise;
  }

  async listProjects(): Promise<{ id: string; name: string; updatedAt: number; images: number; annotations: number }[]> {
    const d = await this.db();
    const all = await d.getAll('projects');
    const out = await Promise.all(
      all.map(async (p) => ({
        id: p.id,
        name: p.name,
        updatedAt: p.updatedAt,
        images: await d.countFromIndex('records', 'byProjectColl', [p.id, 'images']),
        annotations: await d.countFromIndex('records', 'byProjectColl', [p.id, 'annotations']),
      })),
    );
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  async currentProjectId(): Promise<string | undefined> {
    return (await this.db()).get('meta', 'current');
  }

  async setCurrentProjectId(id: string): Promise<void> {
    await (await this.db()).put('meta', id, 'current');
  }

  /**
   * Writes the changes: up to {@link WRITE_CHUNK} records in one transaction (all of them or none:
   * an accept, an edit); more (an import) in pieces of that size, one after the other, the page
   * answering in between. A failed piece stops the write (the caller writes everything again).
   */
  async writeRecords(projectId: string, w: RecordWrite): Promise<void> {
    const n = w.put.length + w.remove.length;
    if (n <= WRITE_CHUNK) return this.writeRecordsOnce(projectId, w);
    const pieces: Omit<RecordWrite, 'meta'>[] = [];
    for (let i = 0; i < w.remove.length; i += WRITE_CHUNK) pieces.push({ put: [], remove: w.remove.slice(i, i + WRITE_CHUNK) });
    for (let i = 0; i < w.put.length; i += WRITE_CHUNK) pieces.push({ put: w.put.slice(i, i + WRITE_CHUNK), remove: [] });
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 0));
      const last = i === pieces.length - 1;
      await this.writeRecordsOnce(projectId, {
        ...pieces[i]!,
        meta: last ? w.meta : null,
        ...(last && w.mergeMeta ? { mergeMeta: w.mergeMeta } : {}),
      });
    }
  }

  private async writeRecordsOnce(projectId: string, w: Omit<RecordWrite, 'meta'> & { meta: ProjectMeta | null }): Promise<void> {
    const d = await this.db();
    const tx = d.transaction(['records', 'projects', 'meta'], 'readwrite');
    const records = tx.objectStore('records');
    const pending: Promise<unknown>[] = [];
    for (const { coll, rec } of w.put) pending.push(records.put({ projectId, coll, id: rec.id, rec }));
    for (const { coll, id } of w.remove) pending.push(records.delete([projectId, coll, id]));
    const meta = w.meta;
    const merge = w.mergeMeta;
    if (meta && merge) {
      // read and written in this transaction: no other tab's write lands in between
      const projects = tx.objectStore('projects');
      pending.push(projects.get(projectId).then((stored) => projects.put(merge(stored, meta))));
      pending.push(tx.objectStore('meta').put(projectId, 'current'));
    } else if (meta) pending.push(tx.objectStore('projects').put(meta), tx.objectStore('meta').put(projectId, 'current'));
    pending.push(tx.done);
    await Promise.all(pending);
  }

  /** Records of a project as they are stored now (another tab's changes), by key; missing ones are absent. */
  async readRecords(projectId: string, keys: readonly { coll: Collection; id: number }[]): Promise<Map<string, Collections[Collection]>> {
    const d = await this.db();
    const tx = d.transaction('records', 'readonly');
    const out = new Map<string, Collections[Collection]>();
    await Promise.all(
      keys.map(async ({ coll, id }) => {
        const r = await tx.store.get([projectId, coll, id]);
        if (r) out.set(`${coll}:${id}`, r.rec);
      }),
    );
    await tx.done;
    return out;
  }

  async saveImage(projectId: string, imageId: number, name: string, blob: Blob): Promise<void> {
    await (await this.db()).put('images', { projectId, imageId, name, blob });
  }

  /** One collection of a project, in id order (the store's key is [project, collection, id]), read in pieces. */
  private async readCollection(d: IDBPDatabase<Schema>, projectId: string, coll: Collection): Promise<{ id: number }[]> {
    const out: { id: number }[] = [];
    let range = IDBKeyRange.bound([projectId, coll, -Infinity], [projectId, coll, Infinity]);
    for (;;) {
      const batch = await d.getAll('records', range, READ_CHUNK);
      for (const r of batch) out.push(r.rec);
      if (batch.length < READ_CHUNK) return out;
      range = IDBKeyRange.bound([projectId, coll, batch[batch.length - 1]!.id], [projectId, coll, Infinity], true);
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  /** A project as stored: its records in id order, its meta, and its image files. */
  async loadProject(
    id: string,
  ): Promise<{ meta: ProjectMeta; project: Project; images: { imageId: number; name: string; blob: Blob }[] } | null> {
    const d = await this.db();
    const meta = await d.get('projects', id);
    if (!meta) return null;
    const parts: Partial<Record<Collection, { id: number }[]>> = {};
    for (const coll of COLLECTIONS) parts[coll] = await this.readCollection(d, id, coll);
    const project = normalizeProject({ ...(parts as Partial<Project>), name: meta.name });
    const images = await d.getAllFromIndex('images', 'byProject', id);
    return {
      meta: { id: meta.id, name: meta.name, updatedAt: meta.updatedAt, ui: meta.ui, ...(meta.sync ? { sync: meta.sync } : {}) },
      project,
      images,
    };
  }

  /** Writes a whole project (a new one): its meta and every record. */
  async createProject(meta: ProjectMeta, project: Project): Promise<void> {
    const put = COLLECTIONS.flatMap((coll) => (project[coll] as Collections[Collection][]).map((rec) => ({ coll, rec })));
    await this.writeRecords(meta.id, { put, remove: [], meta });
  }

  async deleteProject(id: string): Promise<void> {
    const d = await this.db();
    const tx = d.transaction(['projects', 'images', 'records', 'counters'], 'readwrite');
    await tx.objectStore('projects').delete(id);
    for (const store of ['images', 'records'] as const) {
      const idx = tx.objectStore(store).index('byProject');
      for (let cur = await idx.openCursor(id); cur; cur = await cur.continue()) await cur.delete();
    }
    for (const coll of COLLECTIONS) await tx.objectStore('counters').delete([id, coll]);
    await tx.done;
  }

  /**
   * Reserves `n` new ids of a collection for this tab: [start, end], above `floor` and above every id
   * reserved before by any tab (the counter is read and advanced in one transaction).
   */
  async reserveIds(projectId: string, coll: Collection, n: number, floor: number): Promise<[number, number]> {
    const d = await this.db();
    const tx = d.transaction('counters', 'readwrite');
    const current = (await tx.store.get([projectId, coll])) ?? 0;
    const start = Math.max(current, floor) + 1;
    const end = start + n - 1;
    await tx.store.put(end, [projectId, coll]);
    await tx.done;
    return [start, end];
  }

  /** Gives back the unused end of a reservation if no tab reserved after it (fewer gaps in ids). */
  async releaseIds(projectId: string, coll: Collection, reservedEnd: number, lastUsed: number): Promise<void> {
    const d = await this.db();
    const tx = d.transaction('counters', 'readwrite');
    if ((await tx.store.get([projectId, coll])) === reservedEnd) await tx.store.put(lastUsed, [projectId, coll]);
    await tx.done;
  }
}

export function newProjectId(): string {
  return `p-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
