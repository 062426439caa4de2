/**
 * In-memory fakes of persistence's two storage ports (services/storagePorts.ts): the projects as
 * IndexedDB keeps them (one entry per record, the meta record apart, the open project's id) and the
 * journal and place that live in localStorage. Both record what they were asked, so tests can check
 * what was written and in which order; writes can be made to fail or held until a test lets them land.
 */
import { COLLECTIONS, type Collection, type Collections } from '../../core/project/changes.ts';
import { normalizeProject, type Project } from '../../core/project/types.ts';
import type { JournalEntry } from '../../io/journal.ts';
import type { ProjectMeta, RecordWrite, SavedUi } from '../../io/persist.ts';
import type { JournalStore, ProjectStorage, ProjectSummary, StoredProject } from '../services/storagePorts.ts';
import type { StoredVideoMeta } from '../../core/video/videoFile.ts';
import type { StoredVideo } from '../../io/videoStore.ts';

type AnyRecord = Collections[Collection];

interface StoredEntry {
  meta: ProjectMeta;
  records: Map<string, { coll: Collection; rec: AnyRecord }>;
  images: Map<number, { imageId: number; name: string; blob: Blob }>;
}

const key = (coll: Collection, id: number) => `${coll}:${id}`;

export const DEFAULT_UI: SavedUi = { currentImageId: null, currentCategoryId: 1, feedback: true, brushRadius: 8 };

/** A meta record for a stored project (tests override what they need). */
export function metaFor(id: string, name: string, extra: Partial<ProjectMeta> = {}): ProjectMeta {
  return { id, name, updatedAt: 1, ui: DEFAULT_UI, ...extra };
}

/** The projects of a browser's IndexedDB, in memory. Two Persistence instances given one are two tabs. */
export class MemoryProjects implements ProjectStorage {
  private readonly stored = new Map<string, StoredEntry>();
  private currentId: string | undefined;
  private counter = 0;
  /** every write asked for, in order, with what it carried (landed, held or failed) */
  readonly writes: { id: string; w: RecordWrite }[] = [];
  /** set: writes reject with it and nothing of them lands */
  failWrites: Error | null = null;
  /** called as each write is asked for (tests log the order of the pipeline's steps) */
  onWrite: ((id: string, w: RecordWrite) => void) | null = null;
  private holding = false;
  private readonly held: { release: () => void; done: Promise<void> }[] = [];
  /** set: `load` waits until `releaseLoads` */
  private loadGate: { promise: Promise<void>; open: () => void } | null = null;

  /** Puts a project in storage as a page that closed earlier left it. */
  seed(meta: ProjectMeta, project: Project, images: { imageId: number; name: string; blob: Blob }[] = []): void {
    const records = new Map<string, { coll: Collection; rec: AnyRecord }>();
    for (const coll of COLLECTIONS)
      for (const rec of project[coll] as AnyRecord[]) records.set(key(coll, rec.id), { coll, rec: structuredClone(rec) });
    this.stored.set(meta.id, { meta: structuredClone(meta), records, images: new Map(images.map((im) => [im.imageId, im])) });
  }

  /** The stored meta record of a project (as the next page would load it). */
  meta(id: string): ProjectMeta | undefined {
    return this.stored.get(id)?.meta;
  }

  /** The stored project (records as written so far). */
  project(id: string): Project | null {
    const e = this.stored.get(id);
    if (!e) return null;
    const parts: Partial<Record<Collection, AnyRecord[]>> = {};
    for (const coll of COLLECTIONS)
      parts[coll] = [...e.records.values()]
        .filter((r) => r.coll === coll)
        .map((r) => structuredClone(r.rec))
        .sort((a, b) => a.id - b.id);
    return normalizeProject({ ...(parts as Partial<Project>), name: e.meta.name });
  }

  /** From now on each write waits until released (in the order asked). */
  hold(): void {
    this.holding = true;
  }

  /** Writes asked for and not yet let go. */
  heldCount(): number {
    return this.held.length;
  }

  /** Lets the oldest held write go on (land, or fail if `failWrites`); resolves once it has. */
  async releaseOne(): Promise<void> {
    const h = this.held.shift();
    if (!h) throw new Error('no write is held');
    h.release();
    await h.done.catch(() => undefined);
  }

  /** Stops holding; every held write goes on. */
  async releaseAll(): Promise<void> {
    this.holding = false;
    while (this.held.length) await this.releaseOne();
  }

  /** Loads wait until `releaseLoads` (a slow disk while a project opens). */
  holdLoads(): void {
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    this.loadGate = { promise, open };
  }

  releaseLoads(): void {
    this.loadGate?.open();
    this.loadGate = null;
  }

  list(): Promise<ProjectSummary[]> {
    const out = [...this.stored.values()].map((e) => ({
      id: e.meta.id,
      name: e.meta.name,
      updatedAt: e.meta.updatedAt,
      images: [...e.records.values()].filter((r) => r.coll === 'images').length,
      annotations: [...e.records.values()].filter((r) => r.coll === 'annotations').length,
    }));
    return Promise.resolve(out.sort((a, b) => b.updatedAt - a.updatedAt));
  }

  current(): Promise<string | undefined> {
    return Promise.resolve(this.currentId);
  }

  setCurrent(id: string): Promise<void> {
    this.currentId = id;
    return Promise.resolve();
  }

  async load(id: string): Promise<StoredProject | null> {
    if (this.loadGate) await this.loadGate.promise;
    const e = this.stored.get(id);
    if (!e) return null;
    return { meta: structuredClone(e.meta), project: this.project(id)!, images: [...e.images.values()] };
  }

  create(meta: ProjectMeta, project: Project): Promise<void> {
    this.seed(meta, project);
    return Promise.resolve();
  }

  async write(id: string, w: RecordWrite): Promise<void> {
    // what the caller handed over, as IndexedDB would copy it when the write is asked for
    this.writes.push({
      id,
      w: { ...structuredClone({ put: w.put, remove: w.remove, meta: w.meta }), ...(w.mergeMeta ? { mergeMeta: w.mergeMeta } : {}) },
    });
    this.onWrite?.(id, w);
    if (this.holding) {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let settle!: () => void;
      const done = new Promise<void>((r) => (settle = r));
      this.held.push({ release, done });
      await gate;
      try {
        this.land(id, w);
      } finally {
        settle();
      }
      return;
    }
    this.land(id, w);
  }

  private land(id: string, w: RecordWrite): void {
    if (this.failWrites) throw this.failWrites;
    let e = this.stored.get(id);
    if (!e) {
      e = { meta: w.meta, records: new Map(), images: new Map() };
      this.stored.set(id, e);
    }
    for (const { coll, rec } of w.put) e.records.set(key(coll, rec.id), { coll, rec: structuredClone(rec) });
    for (const { coll, id: rid } of w.remove) e.records.delete(key(coll, rid));
    // the meta record is read and written in the write's transaction (persist.ts)
    e.meta = structuredClone(w.mergeMeta ? w.mergeMeta(e.meta, w.meta) : w.meta);
    this.currentId = id;
  }

  read(id: string, keys: readonly { coll: Collection; id: number }[]): Promise<Map<string, AnyRecord>> {
    const e = this.stored.get(id);
    const out = new Map<string, AnyRecord>();
    for (const k of keys) {
      const r = e?.records.get(key(k.coll, k.id));
      if (r) out.set(key(k.coll, k.id), structuredClone(r.rec));
    }
    return Promise.resolve(out);
  }

  saveImage(id: string, imageId: number, name: string, blob: Blob): Promise<void> {
    this.stored.get(id)?.images.set(imageId, { imageId, name, blob });
    return Promise.resolve();
  }

  /** video files stored, by project */
  readonly storedVideos = new Map<string, StoredVideo[]>();
  /** set: storing a video file rejects with it (storage full) */
  failVideos: Error | null = null;

  saveVideo(id: string, videoId: number, file: Blob, meta: StoredVideoMeta): Promise<Blob> {
    if (this.failVideos) return Promise.reject(this.failVideos);
    const list = (this.storedVideos.get(id) ?? []).filter((v) => v.videoId !== videoId);
    // the stored copy: another file with the same bytes, written now (as OPFS gives it back)
    const copy = new File([file], `${videoId}.video`, { lastModified: Date.now() });
    list.push({ videoId, file: copy, meta: structuredClone(meta) });
    this.storedVideos.set(id, list);
    return Promise.resolve(copy);
  }

  /** Makes a stored video file `ms` older (as if stored that long ago). */
  ageVideo(id: string, videoId: number, ms: number): void {
    for (const v of this.storedVideos.get(id) ?? [])
      if (v.videoId === videoId) v.file = new File([v.file], `${videoId}.video`, { lastModified: (v.file as File).lastModified - ms });
  }

  removeVideo(id: string, videoId: number): Promise<void> {
    this.storedVideos.set(
      id,
      (this.storedVideos.get(id) ?? []).filter((v) => v.videoId !== videoId),
    );
    return Promise.resolve();
  }

  videos(id: string): Promise<StoredVideo[]> {
    return Promise.resolve([...(this.storedVideos.get(id) ?? [])]);
  }

  remove(id: string): Promise<void> {
    this.stored.delete(id);
    this.storedVideos.delete(id);
    return Promise.resolve();
  }

  newId(): string {
    return `new-${++this.counter}`;
  }
}

/**
 * The journal and place of one tab, in memory (io/journal.ts keeps them in localStorage). Entries
 * other (closed) pages left are seeded with `leftByClosedPage`.
 */
export class MemoryJournal implements JournalStore {
  /** entries by project, then by the page that wrote them ('this' is this tab) */
  private readonly entries = new Map<string, Map<string, JournalEntry>>();
  private readonly places = new Map<string, { at: number; value: unknown }>();
  private closedPages = 0;
  /** every entry this tab wrote, in order */
  readonly writes: { projectId: string; entry: JournalEntry }[] = [];
  readonly placeWrites: { projectId: string; value: unknown }[] = [];
  /** called as each entry is written (tests log the order of the pipeline's steps) */
  onWrite: ((projectId: string, entry: JournalEntry) => void) | null = null;

  leftByClosedPage(projectId: string, entry: JournalEntry): void {
    this.byProject(projectId).set(`closed-${++this.closedPages}`, structuredClone(entry));
  }

  /** This tab's entry for a project now (undefined: none, everything is in storage). */
  own(projectId: string): JournalEntry | undefined {
    return this.entries.get(projectId)?.get('this');
  }

  /** Every entry kept for a project (what the next page to open it would apply). */
  all(projectId: string): JournalEntry[] {
    return [...(this.entries.get(projectId)?.values() ?? [])];
  }

  private byProject(projectId: string): Map<string, JournalEntry> {
    let m = this.entries.get(projectId);
    if (!m) this.entries.set(projectId, (m = new Map()));
    return m;
  }

  write(projectId: string, entry: JournalEntry): boolean {
    const copy = structuredClone(entry);
    this.writes.push({ projectId, entry: copy });
    this.onWrite?.(projectId, copy);
    if (!projectId) return false;
    if (!entry.put.length && !entry.remove.length) this.byProject(projectId).delete('this');
    else this.byProject(projectId).set('this', copy);
    return true;
  }

  read(projectId: string): { entries: JournalEntry[]; clear(): void } {
    const found = [...this.byProject(projectId).entries()];
    return {
      entries: found.map(([, e]) => structuredClone(e)),
      clear: () => {
        // an entry rewritten meanwhile (a live tab) is that tab's to clear
        const m = this.byProject(projectId);
        for (const [page, e] of found) if (m.get(page) === e) m.delete(page);
      },
    };
  }

  drop(projectId: string): void {
    this.entries.delete(projectId);
  }

  writePlace<T>(projectId: string, value: T): void {
    this.placeWrites.push({ projectId, value: structuredClone(value) });
    this.places.set(projectId, { at: Date.now(), value: structuredClone(value) });
  }

  /** A place written by an earlier page at `at`. */
  seedPlace(projectId: string, at: number, value: unknown): void {
    this.places.set(projectId, { at, value });
  }

  readPlace<T>(projectId: string): { at: number; value: T } | null {
    const p = this.places.get(projectId);
    return p ? { at: p.at, value: structuredClone(p.value) as T } : null;
  }

  dropPlace(projectId: string): void {
    this.places.delete(projectId);
  }
}
