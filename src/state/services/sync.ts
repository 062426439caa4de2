/**
 * Offline-first sync with the project server. The open project keeps living in this browser
 * (IndexedDB, autosave, undo) whether or not the server answers; every local change marks its records
 * pending (saved with the project, so a reload or a crash keeps them), and they are pushed in batches
 * with the change number this browser had seen and an operation id (a push repeated after a lost
 * answer is applied once). Others' changes are pulled from the cursor on, live (server-sent events)
 * while online and in one go after being offline, and applied as changes nobody undoes here. The
 * later write of one record wins; both sides are told, and the server keeps the replaced version.
 */
import { COLLECTIONS, indexOfId, touchedKeys, type Collection, type DocDiff } from '../../core/project/changes.ts';
import { emptyProject, type Project } from '../../core/project/types.ts';
import { diffFromServerChanges, mergeTabPending } from '../../core/sync/apply.ts';
import { MAX_PUSH_OPS, recordKey, type ServerChange, type ServerProject, type SyncOp } from '../../core/sync/protocol.ts';
import type { PendingSync, SyncMeta } from '../../io/persist.ts';
import { OfflineError, ServerError, sha256Hex, type ServerApi } from '../../io/serverApi.ts';
import type { ProjectSync } from './persistence.ts';
import type { ProjectIds } from './projectIds.ts';
import type { AppStore } from '../store/store.ts';
import { nextImageId } from '../store/selectors.ts';
import type { SyncView } from '../store/slices/view.ts';

function newClientId(): string {
  const b = crypto.getRandomValues(new Uint8Array(9));
  return `c${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** What the sync needs of persistence (services/persistence.ts), made before it: reached when called. */
export interface SyncProjects {
  requestMetaSave(): void;
  saveNow(): Promise<void>;
  openLinked(project: Project, sync: SyncMeta): Promise<string>;
  addImageFile(imageId: number, blob: Blob, name: string): void;
}

export interface SyncDeps {
  store: AppStore;
  ids: Pick<ProjectIds, 'setRemote' | 'moveToRemote'>;
  api: ServerApi;
  images: { blob(id: number): { blob: Blob; name: string } | undefined; onChange(l: () => void): () => void };
  projects: () => SyncProjects;
  /** the browser's online/offline events (default: the window's) */
  network?: { onOnline(fn: () => void): void; onOffline(fn: () => void): void };
}

export class SyncService implements ProjectSync {
  private readonly api: ServerApi;
  private readonly store: AppStore;
  private link: SyncMeta | null = null;
  private readonly pending = new Map<string, PendingSync>();
  /** keys this browser pushed (for the notice when someone else changes one) */
  private readonly mine = new Set<string>();
  /** op ids of the pending changes this page took over when it opened the project (other tabs' included) */
  private adopted: ReadonlySet<string> = new Set();
  private parked: ServerChange[] = [];
  private events: EventSource | null = null;
  private pushing: Promise<void> | null = null;
  private pulling: Promise<void> | null = null;
  private again = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay = 1000;
  private role: ServerProject['role'] | null = null;
  /** files being fetched from the server, by image id */
  private readonly fetching = new Set<number>();

  private view(patch: Partial<SyncView>): void {
    this.store.setState((s) => ({ sync: { ...s.sync, ...patch } }));
  }

  private metaOut(): SyncMeta | undefined {
    const l = this.link;
    return l ? { ...l, pending: [...this.pending.values()].map((p) => ({ ...p, tab: l.clientId })) } : undefined;
  }

  private nextOpId(): string {
    this.link!.opCounter++;
    return `${this.link!.clientId}:${this.link!.opCounter}`;
  }

  private setPendingCount(): void {
    this.view({ pending: this.pending.size });
  }

  constructor(private readonly deps: SyncDeps) {
    this.store = deps.store;
    this.api = deps.api;
  }

  /** The linked server project's id (null: the open project is a local one). */
  linkedProjectId(): number | null {
    return this.link?.serverProjectId ?? null;
  }

  /** Starts listening: the network, new image files, the shown image, and whether a server answers (once, at start-up). */
  start(): void {
    const net = this.deps.network ?? {
      onOnline: (fn: () => void) => addEventListener('online', fn),
      onOffline: (fn: () => void) => addEventListener('offline', fn),
    };
    net.onOnline(() => this.link && void this.connect());
    net.onOffline(() => this.link && this.view({ status: 'offline' }));
    // images registered here (opened files) of a linked project go to the server
    this.deps.images.onChange(() => {
      if (this.link && this.role === 'admin') this.uploadMissingFiles().catch((e: unknown) => this.failed(e));
    });
    this.store.subscribe((st, prev) => {
      if (this.link && st.currentImageId !== prev.currentImageId) void this.fetchFilesAround(st.currentImageId);
    });
    void this.api.available().then(async (available) => {
      if (!available) return;
      const user = await this.api.me().catch(() => null);
      this.view({ available, user: user && { username: user.username, isAdmin: user.isAdmin } });
      if (user && this.link) void this.connect();
    });
  }

  // ---- the save pipeline's steps (ProjectSync, called by persistence) ----------------------------

  meta(): SyncMeta | undefined {
    return this.metaOut();
  }

  /**
   * The meta record to store, joined with the one stored now: other tabs' pending changes are kept
   * (each tab keeps its own list; those this page took over when it opened the project are its own).
   */
  mergeMeta(stored: SyncMeta | undefined, next: SyncMeta): SyncMeta {
    if (!stored || stored.serverProjectId !== next.serverProjectId) return next;
    return { ...next, pending: mergeTabPending(stored.pending, next.pending, next.clientId, this.adopted) };
  }

  opened(_id: string, meta: SyncMeta | undefined, recovered: { coll: Collection; id: number }[]): void {
    this.stopLive();
    // a client id of this page's own: two tabs on one project (or a reload) never make two operations with one id;
    // pending operations saved by an earlier page keep theirs
    this.link = meta ? { ...meta, clientId: newClientId(), opCounter: 0, pending: [] } : null;
    this.pending.clear();
    this.mine.clear();
    this.parked = [];
    this.role = null;
    // every tab's pending changes (a tab that crashed left its own): this page sends them
    this.adopted = new Set((meta?.pending ?? []).map((p) => p.opId));
    for (const p of meta?.pending ?? []) this.pending.set(recordKey(p.coll, p.id), p);
    // records a closed page had journaled but not saved: they were never pushed either
    if (this.link) for (const k of recovered) this.markPending(k.coll, k.id);
    this.deps.ids.setRemote(this.link ? (coll, n) => this.api.reserveIds(this.link!.serverProjectId, coll, n) : null);
    this.view({
      project: this.link ? { id: this.link.serverProjectId, name: this.link.serverProjectName, role: 'annotator' } : null,
      status: this.link ? 'syncing' : 'off',
      pending: this.pending.size,
      message: '',
    });
    if (this.link) void this.connect();
  }

  localChange(diff: DocDiff): void {
    if (!this.link) return;
    for (const k of touchedKeys(diff)) this.markPending(k.coll, k.id);
    this.setPendingCount();
    this.schedulePush(50);
  }

  closing(): void {
    this.stopLive();
    this.link = null;
    this.deps.ids.setRemote(null);
  }

  private markPending(coll: Collection, id: number): void {
    if (!this.link) return;
    this.pending.set(recordKey(coll, id), { coll, id, seen: this.link.cursor, opId: this.nextOpId() });
  }

  private stopLive(): void {
    this.events?.close();
    this.events = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private offline(): void {
    this.view({ status: 'offline', message: `Offline: ${this.pending.size} change(s) wait and are sent when the server answers.` });
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 30_000);
  }

  private failed(e: unknown): void {
    if (e instanceof OfflineError) return this.offline();
    if (e instanceof ServerError && e.status === 401) {
      this.view({ status: 'error', user: null, message: 'Logged out of the server: log in this.again to send and receive changes.' });
      this.store
        .getState()
        .notify(
          'error',
          'The project server asks you to log in this.again.',
          'Your changes are kept here and sent once you are logged in (Server panel).',
        );
      return;
    }
    const msg = e instanceof Error ? e.message : String(e);
    this.view({ status: 'error', message: msg });
    this.store.getState().notify('error', `Sync with the server failed: ${msg}`, e instanceof ServerError ? e.hint : undefined);
  }

  /** (Re)connects: the this.role, live this.events, then a this.pull and a this.push. */
  private async connect(): Promise<void> {
    const l = this.link;
    if (!l || !this.store.getState().sync.available) return;
    try {
      const p = await this.api.project(l.serverProjectId);
      if (this.link !== l) return;
      this.role = p.role;
      this.view({ project: { id: p.id, name: p.name, role: p.role } });
      this.retryDelay = 1000;
      if (!this.events) {
        this.events = this.api.events(l.serverProjectId);
        this.events.addEventListener('seq', (ev) => {
          const seq = Number((ev as MessageEvent).data);
          if (this.link && seq > this.link.cursor) this.pull().catch((e: unknown) => this.failed(e));
          if (this.pending.size) this.schedulePush(0);
        });
        this.events.addEventListener('jobs', () => this.view({ jobsChanged: (this.store.getState().sync.jobsChanged ?? 0) + 1 }));
        this.events.onerror = () => {
          if (this.link && this.events?.readyState !== EventSource.OPEN) this.view({ status: 'offline' });
        };
      }
      await this.pull();
      await this.push();
      if (this.role === 'admin') this.uploadMissingFiles().catch((e: unknown) => this.failed(e));
      void this.fetchFilesAround(this.store.getState().currentImageId);
    } catch (e) {
      this.failed(e);
    }
  }

  private pushTimer: ReturnType<typeof setTimeout> | null = null;
  private schedulePush(ms: number): void {
    if (this.pushTimer) clearTimeout(this.pushTimer);
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      void this.push();
    }, ms);
  }

  private recordNow(coll: Collection, id: number): SyncOp['data'] {
    const list = this.store.getState().project[coll] as { id: number }[];
    return (list[indexOfId(list, id)] as SyncOp['data'] | undefined) ?? null;
  }

  /** Sends what is this.pending, in batches, until nothing is (one this.push at a time). */
  private push(): Promise<void> {
    if (this.pushing) {
      this.again = true;
      return this.pushing;
    }
    const run = async () => {
      try {
        do {
          this.again = false;
          while (this.link && this.pending.size) await this.pushBatch(this.link);
        } while (this.again && this.link && this.pending.size);
        if (this.link && this.store.getState().sync.status !== 'error') this.view({ status: 'online', message: '' });
      } catch (e) {
        this.failed(e);
      }
    };
    // cleared after it is set, even when the run ends at once (nothing this.pending)
    const p: Promise<void> = run().finally(() => {
      if (this.pushing === p) this.pushing = null;
    });
    this.pushing = p;
    return p;
  }

  private async pushBatch(l: SyncMeta): Promise<void> {
    this.view({ status: 'syncing' });
    // images and categories first: what refers to them lands after them
    const order = (p: PendingSync) => COLLECTIONS.indexOf(p.coll);
    const batch = [...this.pending.values()].sort((a, b) => order(a) - order(b)).slice(0, Math.min(MAX_PUSH_OPS, 500));
    const ops: SyncOp[] = batch.map((p) => ({ opId: p.opId, coll: p.coll, id: p.id, baseRev: p.seen, data: this.recordNow(p.coll, p.id) }));
    let res;
    try {
      res = await this.api.push(l.serverProjectId, { clientId: l.clientId, ops });
    } catch (e) {
      if (e instanceof ServerError && e.status === 403 && Array.isArray(e.body.refused)) {
        // changes this this.role may not make: taken back here (the server's version is pulled this.again), the rest is sent
        const refused = e.body.refused as { opId: string; coll: Collection; id: number }[];
        for (const r of refused) {
          const p = this.pending.get(recordKey(r.coll, r.id));
          if (p && p.opId === r.opId) this.pending.delete(recordKey(r.coll, r.id));
        }
        this.store.getState().notify('error', e.message, 'Those changes were taken back here; the server keeps its version.');
        await this.restoreFromServer(refused);
        this.setPendingCount();
        this.deps.projects().requestMetaSave();
        return;
      }
      throw e;
    }
    if (this.link !== l) return;
    const overwrote: string[] = [];
    for (const r of res.results) {
      const k = recordKey(r.coll, r.id);
      this.mine.add(k);
      const p = this.pending.get(k);
      if (p && p.opId === r.opId) this.pending.delete(k);
      if (r.overwrote) overwrote.push(`${r.coll === 'annotations' ? 'annotation' : r.coll} ${r.id} (${r.overwrote.username}'s version)`);
    }
    if (overwrote.length)
      this.store
        .getState()
        .notify(
          'info',
          `Your change replaced a newer one by someone else: ${overwrote.slice(0, 3).join(', ')}${overwrote.length > 3 ? ` and ${overwrote.length - 3} more` : ''}.`,
          'The later write wins; the replaced version is kept in the server’s history.',
        );
    this.setPendingCount();
    this.deps.projects().requestMetaSave();
  }

  /** Puts the server's current version of these records back here (after a refused change). */
  private async restoreFromServer(keys: { coll: Collection; id: number }[]): Promise<void> {
    const l = this.link;
    if (!l) return;
    const want = new Set(keys.map((k) => recordKey(k.coll, k.id)));
    const found: ServerChange[] = [];
    let after: string | null = null;
    do {
      const page = await this.api.records(l.serverProjectId, after);
      for (const r of page.records)
        if (want.has(recordKey(r.coll, r.id)))
          found.push({ seq: r.rev, coll: r.coll, id: r.id, data: r.data, username: '', clientId: '', opId: '' });
      after = page.next;
    } while (after);
    for (const k of keys)
      if (!found.some((f) => f.coll === k.coll && f.id === k.id))
        found.push({ seq: 0, coll: k.coll, id: k.id, data: null, username: '', clientId: '', opId: '' });
    this.applyChanges(found);
  }

  private applyChanges(changes: ServerChange[]): void {
    if (!this.link) return;
    const s = this.store.getState();
    const r = diffFromServerChanges(s.project, [...this.parked, ...changes], this.link.clientId, new Set(this.pending.keys()), this.mine);
    this.parked = r.parked;
    if (r.diff.ops.length) s.change(r.diff, 'ignore', { origin: 'server', label: 'from the server' });
    const others = r.touchedMine.filter((c) => c.username);
    if (others.length) {
      const c = others[0]!;
      s.notify(
        'info',
        `${c.username} changed ${c.coll === 'annotations' ? 'annotation' : c.coll} ${c.id}, which you had ${c.data === null ? 'made (it was removed)' : 'made or edited'}${others.length > 1 ? ` (and ${others.length - 1} more)` : ''}.`,
        'Their later change is shown; your version is kept in the server’s history.',
      );
      for (const o of others) this.mine.delete(recordKey(o.coll, o.id));
    }
  }

  /** Pulls every change after the cursor (one this.pull at a time). */
  private pull(): Promise<void> {
    if (this.pulling) return this.pulling.then(() => this.pull());
    const run = async () => {
      {
        for (;;) {
          const l = this.link;
          if (!l) return;
          const res = await this.api.changes(l.serverProjectId, l.cursor);
          if (this.link !== l) return;
          this.applyChanges(res.changes);
          l.cursor = res.seq;
          this.deps.projects().requestMetaSave();
          if (!res.more) break;
        }
        if (!this.pending.size && this.link) this.view({ status: 'online', message: '' });
        void this.fetchFilesAround(this.store.getState().currentImageId);
      }
    };
    const p: Promise<void> = run().finally(() => {
      if (this.pulling === p) this.pulling = null;
    });
    this.pulling = p;
    return p;
  }

  // ---- image files ------------------------------------------------------------------------------------

  /** Uploads the files of images that have none on the server yet (admins), and notes their hash. */
  private async uploadMissingFiles(): Promise<void> {
    const l = this.link;
    if (!l) return;
    for (const im of this.store.getState().project.images) {
      if (im.sha256) continue;
      const file = this.deps.images.blob(im.id);
      if (!file) continue;
      const sha = await sha256Hex(file.blob);
      await this.api.putFile(l.serverProjectId, sha, file.blob);
      if (this.link !== l) return;
      const s = this.store.getState();
      const cur = s.project.images.find((x) => x.id === im.id);
      if (cur && !cur.sha256)
        s.change({ ops: [{ coll: 'images', id: im.id, before: cur, after: { ...cur, sha256: sha } }] }, 'ignore', {
          label: 'image file on the server',
        });
    }
  }

  /** Fetches the files of the shown image and the next few from the server (then kept in the browser). */
  private async fetchFilesAround(imageId: number | null): Promise<void> {
    const l = this.link;
    if (!l) return;
    const images = this.store.getState().project.images;
    const at = Math.max(
      0,
      images.findIndex((im) => im.id === imageId),
    );
    for (const im of images.slice(at, at + 4)) {
      if (!im.sha256 || this.deps.images.blob(im.id) || this.fetching.has(im.id)) continue;
      this.fetching.add(im.id);
      try {
        const blob = await this.api.file(l.serverProjectId, im.sha256);
        if (this.link !== l) return;
        this.deps.projects().addImageFile(im.id, blob, im.fileName);
        // the image was shown (or listed) without its file: encode it now
        this.store.deps.engine.fileAttached(im.id);
        const st = this.store.getState();
        st.setImageStatus(im.id, 'pending');
        if (st.currentImageId !== null) this.store.deps.engine.show(st.currentImageId, nextImageId(st, st.currentImageId));
      } catch (e) {
        if (e instanceof OfflineError) return;
        // not uploaded yet: asked this.again on the next this.pull
      } finally {
        this.fetching.delete(im.id);
      }
    }
  }

  // ---- what the user does -------------------------------------------------------------------------------

  async serverLogin(username: string, password: string): Promise<void> {
    const user = await this.api.login(username, password);
    this.view({ available: true, user: { username: user.username, isAdmin: user.isAdmin }, message: '' });
    if (this.link) void this.connect();
  }

  async serverLogout(): Promise<void> {
    await this.api.logout().catch(() => undefined);
    this.stopLive();
    this.view({
      user: null,
      status: this.link ? 'error' : 'off',
      message: this.link ? 'Logged out: changes wait here until you log in this.again.' : '',
    });
  }

  serverProjects(): Promise<ServerProject[]> {
    return this.api.projects();
  }

  /**
   * Puts the open (local) project on the server as a new server project: its records keep their this.ids,
   * image files are uploaded, and from then on it syncs. Resolves to the server project's id.
   */
  async uploadProject(name?: string): Promise<number> {
    if (this.link) throw new Error('This project is on the server already.');
    await this.store.session.acceptsDone();
    await this.deps.projects().saveNow();
    const s = this.store.getState();
    const project = s.project;
    const created = await this.api.createProject(name?.trim() || project.name);
    // the server's id counters start past every id this project has
    for (const coll of COLLECTIONS) {
      const max = (project[coll] as { id: number }[]).reduce((m, r) => Math.max(m, r.id), 0);
      if (max > 0) await this.api.reserveIds(created.id, coll, max);
    }
    this.link = {
      serverProjectId: created.id,
      serverProjectName: created.name,
      clientId: newClientId(),
      cursor: 0,
      opCounter: 0,
      pending: [],
    };
    this.role = created.role;
    await this.deps.ids.moveToRemote((coll, n) => this.api.reserveIds(created.id, coll, n), project);
    for (const coll of COLLECTIONS) for (const r of project[coll] as { id: number }[]) this.markPending(coll, r.id);
    this.view({ project: { id: created.id, name: created.name, role: created.role }, status: 'syncing', pending: this.pending.size });
    this.deps.projects().requestMetaSave();
    await this.deps.projects().saveNow();
    await this.uploadMissingFiles();
    await this.connect();
    return created.id;
  }

  /** Opens a server project in this browser (a new local copy, linked). */
  async openServerProject(serverProjectId: number): Promise<void> {
    const info = await this.api.project(serverProjectId);
    const project: Project = { ...emptyProject(info.name), categories: [] };
    let after: string | null = null;
    let seq = 0;
    let first = true;
    do {
      const page = await this.api.records(serverProjectId, after);
      // changes made while the pages are read are pulled afterwards, from the first page's number
      if (first) seq = page.seq;
      first = false;
      for (const r of page.records) (project[r.coll] as unknown[]).push(r.data);
      after = page.next;
    } while (after);
    const meta: SyncMeta = {
      serverProjectId,
      serverProjectName: info.name,
      clientId: newClientId(),
      cursor: seq,
      opCounter: 0,
      pending: [],
    };
    await this.deps.projects().openLinked(project, meta);
  }

  /** Sends every this.pending change and pulls until up to date; rejects when the server cannot be reached. */
  async syncNow(): Promise<void> {
    if (!this.link) throw new Error('This project is not on a server.');
    await this.store.session.acceptsDone();
    await this.pull();
    await this.push();
    if (this.pending.size) throw new Error(`${this.pending.size} change(s) could not be sent: ${this.store.getState().sync.message}`);
    await this.pull();
  }
}
