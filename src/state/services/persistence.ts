/**
 * Autosave and project operations. Every document change this tab makes goes through one pipeline,
 * in this order (`noteChange`): the project server's sync marks the records pending (they are saved
 * with the meta record), the save book marks them dirty, the journal (src/io/journal.ts,
 * `localStorage`, synchronous) covers every record not in IndexedDB yet, and the write is scheduled:
 * at once for a change that asks for it (`saveNow`: an accept), 200 ms later for the others (and on
 * `pagehide` / the tab being hidden). Only the records touched are written, in one transaction.
 * Tabs on the same project tell each other what they wrote (tabs.ts); ids come from blocks reserved
 * per tab (projectIds.ts). A failed write is reported; what was saved before stays.
 */
import { DiffBuilder, touchedKeys, type DocDiff } from '../../core/project/changes.ts';
import { emptyProject, type Project } from '../../core/project/types.ts';
import { uniqueName } from '../../core/project/names.ts';
import { describeSaveError, type ProjectMeta, type SavedUi, type SyncMeta } from '../../io/persist.ts';
import { JOURNAL_MAX_RECORDS } from '../../io/journal.ts';
import type { StoredVideoMeta } from '../../core/video/videoFile.ts';
import type { VideoFrameSource } from '../../io/videoFrames.ts';
import { dropUnusedVideos, dropVideo, restoreVideos, storeVideo } from './storedVideos.ts';
import type { AppStore, ChangeInfo, StoreState } from '../store/store.ts';
import { recordsOf, applyJournal } from './journalRecords.ts';
import { SaveBook, type RecordKey } from './saveBook.ts';
import type { JournalStore, ProjectStorage } from './storagePorts.ts';
import type { Tabs } from './tabs.ts';

/** What the project server's sync hears from the save pipeline (sync.ts), each at its step. */
export interface ProjectSync {
  /** the open project's link to the server, saved with every write */
  meta(): SyncMeta | undefined;
  /** the link to store, joined with the one stored now (other tabs' pending changes), in the write's transaction */
  mergeMeta(stored: SyncMeta | undefined, next: SyncMeta): SyncMeta;
  /** a project was opened (its link, or undefined), with the records recovered from the journal; before its ids are reserved */
  opened(localId: string, meta: SyncMeta | undefined, recovered: RecordKey[]): void;
  /** the user changed these records (before they are marked dirty and journaled) */
  localChange(diff: DocDiff): void;
  /** the open project is being left */
  closing(): void;
}

/** The ids of the open project (projectIds.ts). */
export interface ProjectIdBlocks {
  use(projectId: string, project: Project): Promise<void>;
  release(): void;
}

export interface PersistenceDeps {
  store: AppStore;
  ids: ProjectIdBlocks;
  images: {
    register(id: number, blob: Blob, name: string): void;
    registerVideo(videoId: number, source: VideoFrameSource): void;
    video(videoId: number): VideoFrameSource | undefined;
    registerFrame(id: number, source: VideoFrameSource, frame: number, name: string): void;
    clear(): void;
  };
  /** opens a stored video file's frames for decoding on demand (`key` names it: project and clip) */
  openVideo(key: string, file: Blob, meta: StoredVideoMeta): VideoFrameSource;
  sync: ProjectSync;
  /** a pre-annotation of the project being left stops */
  batch: { abandon(): void };
  projects: ProjectStorage;
  journal: JournalStore;
  /** other tabs of this browser (null: none can be told, e.g. no BroadcastChannel) */
  tabs?: ((projectId: () => string) => Tabs) | null;
  /** the page's life: hidden, and closed (default: the browser's events) */
  lifecycle?: { onHidden(fn: () => void): void; onPageHide(fn: () => void): void };
}

const browserLifecycle = {
  onHidden: (fn: () => void) =>
    addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') fn();
    }),
  onPageHide: (fn: () => void) => addEventListener('pagehide', fn),
};

export function uiOf(s: StoreState): SavedUi {
  return {
    currentImageId: s.currentImageId,
    currentCategoryId: s.currentCategoryId,
    feedback: s.feedback,
    zoomIn: s.zoomIn,
    hoverPreview: s.hoverPreview,
    brushRadius: s.brushRadius,
  };
}

export class Persistence {
  private projectId = '';
  private readonly book = new SaveBook();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private saving: Promise<void> = Promise.resolve();
  private lastError = '';
  private tabs: Tabs | null = null;
  /** start-up and project operations run one at a time, in order */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly store: AppStore;

  constructor(private readonly deps: PersistenceDeps) {
    this.store = deps.store;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every project operation asked for so far (start-up, new, switch, delete) is done. */
  settled(): Promise<unknown> {
    return this.queue;
  }

  /** Runs `fn` between project operations (start-up, new, switch, delete), never during one. */
  task<T>(fn: () => Promise<T>): Promise<T> {
    return this.serialized(fn);
  }

  /** The open project's id ('' before start-up has opened one). */
  current(): string {
    return this.projectId;
  }

  list() {
    return this.deps.projects.list();
  }

  private metaOf(s: StoreState): ProjectMeta {
    const sync = this.deps.sync.meta();
    return { id: this.projectId, name: s.project.name, updatedAt: Date.now(), ui: uiOf(s), ...(sync ? { sync } : {}) };
  }

  private withStoredSync(stored: ProjectMeta | undefined, next: ProjectMeta): ProjectMeta {
    return next.sync ? { ...next, sync: this.deps.sync.mergeMeta(stored?.sync, next.sync) } : next;
  }

  /** The project's meta record (its server link) changed: write it with the next save. */
  requestMetaSave(): void {
    if (!this.projectId) return;
    this.book.touchMeta();
    this.scheduleSave();
  }

  /** A video file opened as a clip: stored once and opened for decoding frames (storedVideos.ts); resolves to why not, or null. */
  addVideoFile(videoId: number, file: Blob, meta: StoredVideoMeta): Promise<string | null> {
    return storeVideo(this.deps, () => this.projectId, videoId, file, meta);
  }

  /** Removes a video file stored for a clip that was not opened after all (no frame added). */
  dropVideoFile(videoId: number): Promise<void> {
    return dropVideo(this.deps, this.projectId, videoId);
  }

  /** The video files stored with the open project. */
  async storedVideos(): Promise<{ videoId: number; name: string; bytes: number; frames: number }[]> {
    const list = await this.deps.projects.videos(this.projectId);
    return list.map((v) => ({ videoId: v.videoId, name: v.meta.name, bytes: v.file.size, frames: v.meta.timestamps.length }));
  }

  /** An image of the open project is frame `frame` of a stored video (false: no such video is open). */
  addVideoFrame(imageId: number, videoId: number, frame: number, name: string): boolean {
    const source = this.deps.images.video(videoId);
    if (source) this.deps.images.registerFrame(imageId, source, frame, name);
    return !!source;
  }

  /** A new image file of the open project: registered and written to storage. */
  addImageFile(imageId: number, blob: Blob, name: string): void {
    this.deps.images.register(imageId, blob, name);
    this.deps.projects.saveImage(this.projectId, imageId, name, blob).catch((e: unknown) => this.reportError(`the image ${name}`, e));
  }

  private reportError(what: string, e: unknown): void {
    const msg = describeSaveError(e);
    if (msg === this.lastError) return;
    this.lastError = msg;
    this.store
      .getState()
      .notify(
        'error',
        `Could not save ${what}: ${msg}`,
        'Your work is still here in this tab and what was saved before is kept. Free some disk space or export now (Export COCO).',
      );
  }

  /** Journals every record not yet in IndexedDB (being written, or waiting to be), synchronously. */
  private journal(): void {
    if (!this.projectId) return;
    const keys = this.book.journalKeys();
    // an import's thousands of records are no key press's: too many for localStorage, not worth a long task
    if (keys.length > JOURNAL_MAX_RECORDS) this.deps.journal.write(this.projectId, { put: [], remove: [] });
    else this.deps.journal.write(this.projectId, recordsOf(this.store.getState().project, keys));
  }

  /** Writes what changed since the last write (after the write under way). */
  saveNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.projectId || !this.book.hasWork()) return this.saving;
    const taken = this.book.take();
    const id = this.projectId;
    const { put, remove } = recordsOf(this.store.getState().project, taken.keys);
    const meta = this.metaOf(this.store.getState());
    this.saving = this.saving
      .then(() => this.deps.projects.write(id, { put, remove, meta, mergeMeta: (stored, next) => this.withStoredSync(stored, next) }))
      .then(
        () => {
          this.lastError = '';
          this.book.landed(taken);
          if (this.projectId === id) {
            this.journal();
            if (this.book.dirtyCount() === 0) this.store.setState({ saveState: 'saved' });
          }
          if (taken.keys.length || taken.renamed) this.tabs?.changed(id, taken.keys, taken.renamed ? meta.name : undefined);
        },
        (e: unknown) => {
          // nothing of this write landed: its records are written again with the next change (they stay journaled)
          this.book.failed(taken, this.projectId === id);
          this.store.setState({ saveState: 'error' });
          this.reportError('the project', e);
        },
      );
    return this.saving;
  }

  private scheduleSave(): void {
    this.store.setState({ saveState: 'saving' });
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.saveNow(), 200);
  }

  /**
   * The save pipeline of one document change: sync's pending list (local changes only), dirty,
   * journal, write. Another tab's changes are saved there already; the server's are saved like the
   * user's own and never sent back.
   */
  noteChange(diff: DocDiff, info: ChangeInfo): void {
    if (info.origin === 'remote') return;
    if (info.origin === 'local') this.deps.sync.localChange(diff);
    const keys = touchedKeys(diff);
    this.book.touch(keys, keys.length > JOURNAL_MAX_RECORDS);
    if (diff.name) this.book.touchMeta(info.origin === 'local');
    this.journal();
    if (info.saveNow) {
      this.store.setState({ saveState: 'saving' });
      void this.saveNow();
    } else this.scheduleSave();
  }

  /** Where the user is (shown image, settings) changed: journaled at once, written with the next save. */
  private notePlace(s: StoreState): void {
    this.deps.journal.writePlace(this.projectId, uiOf(s));
    this.book.touchMeta();
    this.scheduleSave();
  }

  /** Loads a saved project into the app (records, image files, the shown image, settings). */
  private async open(id: string): Promise<boolean> {
    const { store, deps } = this;
    const loaded = await deps.projects.load(id);
    if (!loaded) return false;
    // what a page closed before its write landed left in the journal
    const journaled = deps.journal.read(id);
    const recovered = applyJournal(loaded.project, journaled.entries);
    this.projectId = id;
    // nothing of the project before is written into this one (what a failed write left stays in its journal)
    this.book.clearDirty();
    deps.sync.opened(id, loaded.meta.sync, recovered);
    // services that follow the open project (the model it uses) hear of it here, before it loads
    store.setState({ projectId: id });
    await deps.ids.use(id, loaded.project);
    for (const im of loaded.images) deps.images.register(im.imageId, im.blob, im.name);
    const unusedVideos = await restoreVideos(deps, id, loaded);
    // where the user was: the place journaled at each change when it is newer than the last landed write
    const place = deps.journal.readPlace<SavedUi>(id);
    const newerPlace = place !== null && place.at > loaded.meta.updatedAt;
    const ui: SavedUi = newerPlace ? { ...loaded.meta.ui, ...place.value } : loaded.meta.ui;
    if (newerPlace) this.book.touchMeta();
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
    await deps.projects.setCurrent(id).catch((e: unknown) => this.reportError('which project is open', e));
    this.tabs?.announce(id);
    void dropUnusedVideos(deps, id, unusedVideos, () => this.projectId === id && store.getState().otherTabs === 0);
    if (recovered.length || this.book.hasWork()) {
      this.book.touch(recovered);
      await this.saveNow();
      if (!recovered.some((k) => this.book.isDirty(k))) journaled.clear();
    }
    return true;
  }

  private async startNew(name: string): Promise<void> {
    const { store, deps } = this;
    this.projectId = deps.projects.newId();
    this.book.clearDirty();
    deps.sync.opened(this.projectId, undefined, []);
    store.setState({ projectId: this.projectId });
    const project = emptyProject(name);
    store.getState().loadDocument(project);
    store.setState({ currentImageId: null, currentCategoryId: project.categories[0]!.id, saveState: 'saved' });
    await deps.projects.create(this.metaOf(store.getState()), project).catch((e: unknown) => this.reportError('the new project', e));
    await deps.ids.use(this.projectId, project);
    await deps.projects.setCurrent(this.projectId).catch(() => undefined);
    this.tabs?.announce(this.projectId);
  }

  /** Restores the last project, or starts a new one; resolves to whether one was restored. */
  start(): Promise<boolean> {
    return this.serialized(() => this.startNow());
  }

  private async startNow(): Promise<boolean> {
    const { store, deps } = this;
    if (deps.tabs) this.tabs = deps.tabs(() => this.projectId);
    let restored = false;
    try {
      const id = await deps.projects.current();
      if (id) restored = await this.open(id);
    } catch (e) {
      store
        .getState()
        .notify(
          'error',
          `The saved project could not be opened: ${describeSaveError(e)}`,
          'A new project was started; the saved one is kept.',
        );
    }
    if (!restored) await this.startNew('Untitled project');
    store.onDocChange((diff, info) => this.noteChange(diff, info));
    // the UI state saved with the project (where the user was, their settings)
    store.subscribe((st, prev) => {
      if (
        st.currentImageId !== prev.currentImageId ||
        st.currentCategoryId !== prev.currentCategoryId ||
        st.feedback !== prev.feedback ||
        st.zoomIn !== prev.zoomIn ||
        st.hoverPreview !== prev.hoverPreview ||
        st.brushRadius !== prev.brushRadius
      )
        this.notePlace(st);
    });
    const life = deps.lifecycle ?? browserLifecycle;
    // the tab hidden (switched away, minimized, about to close): write now
    life.onHidden(() => void this.saveNow());
    life.onPageHide(() => {
      this.journal();
      void this.saveNow();
      deps.ids.release();
      this.tabs?.bye(this.projectId);
    });
    return restored;
  }

  private async leave(): Promise<void> {
    const { store, deps } = this;
    // an Enter just before "New" or a switch: its annotation lands in the project it was made in
    await store.session.acceptsDone();
    await this.saveNow();
    this.tabs?.bye(this.projectId);
    // ids reserved on a server are kept (ProjectIds knows while the link stands); then the link goes
    deps.ids.release();
    deps.sync.closing();
    deps.batch.abandon();
    store.deps.engine.resetImages();
    deps.images.clear();
    store.overlays.setLive(null);
    store.session.reset(null);
  }

  /** Makes and opens a new project; without a name, one no stored project has ("Untitled project 2"...). */
  newProject(name?: string): Promise<void> {
    return this.serialized(async () => {
      const taken = name ? [] : [this.store.getState().project.name, ...(await this.list().catch(() => [])).map((p) => p.name)];
      await this.leave();
      await this.startNew(name ?? uniqueName('Untitled project', taken));
    });
  }

  /**
   * Makes a new browser project from a document and a server link (a project opened from the server)
   * and opens it; resolves to its id.
   */
  openLinked(project: Project, sync: SyncMeta): Promise<string> {
    return this.serialized(async () => {
      await this.leave();
      const id = this.deps.projects.newId();
      const meta: ProjectMeta = { ...this.metaOf(this.store.getState()), id, name: project.name, sync };
      meta.ui = { ...meta.ui, currentImageId: project.images[0]?.id ?? null, currentCategoryId: project.categories[0]?.id ?? 1 };
      await this.deps.projects.create(meta, project);
      this.projectId = '';
      if (!(await this.open(id))) throw new Error('The project could not be stored in this browser.');
      return id;
    });
  }

  switchTo(id: string): Promise<void> {
    return this.serialized(() => this.switchNow(id));
  }

  private async switchNow(id: string): Promise<void> {
    if (id === this.projectId) return;
    await this.leave();
    if (!(await this.open(id))) {
      this.store.getState().notify('error', 'That project could not be opened.', 'It may have been deleted in another tab.');
      await this.startNew('Untitled project');
    }
  }

  /** Renames the open project (one undo step). */
  async rename(name: string): Promise<void> {
    const trimmed = name.trim();
    const s = this.store.getState();
    if (!trimmed || trimmed === s.project.name) return;
    s.change(new DiffBuilder(s.project).rename(trimmed).diff, 'record', { label: 'rename project' });
    await this.saveNow();
  }

  remove(id: string): Promise<void> {
    return this.serialized(async () => {
      await this.deps.projects.remove(id);
      this.deps.journal.drop(id);
      this.deps.journal.dropPlace(id);
      if (id !== this.projectId) return;
      // the other tabs on it hear that this one left before the project goes
      this.tabs?.bye(id);
      this.projectId = '';
      const rest = await this.deps.projects.list();
      if (rest[0]) await this.switchNow(rest[0].id);
      else {
        await this.leave();
        await this.startNew('Untitled project');
      }
    });
  }
}
