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
import { type Project } from '../../core/project/types.ts';
import { diffFromServerChanges, mergeTabPending } from '../../core/sync/apply.ts';
import { MAX_PUSH_OPS, recordKey, type ServerChange, type ServerProject, type SyncOp } from '../../core/sync/protocol.ts';
import type { PendingSync, SyncMeta } from '../../io/persist.ts';
import { OfflineError, ServerError, type ServerApi } from '../../io/serverApi.ts';
import type { ProjectSync } from './persistence.ts';
import type { ProjectIds } from './projectIds.ts';
import type { AppStore } from '../store/store.ts';
import type { SyncView } from '../store/slices/view.ts';
import { readServerProject, reserveIdsOf, ServerFiles, serverVersions } from './serverFiles.ts';
import { changedByOthersNotice, overwroteNotice } from './syncNotices.ts';

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
  images: { file(id: number): { read(): Promise<Blob> } | undefined; onChange(l: () => void): () => void };
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
  private readonly files: ServerFiles;

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
    this.files = new ServerFiles({
      store: deps.store,
      api: deps.api,
      images: deps.images,
      addImageFile: (id, blob, name) => deps.projects().addImageFile(id, blob, name),
      // the link object itself: a link replaced meanwhile (another project) is not the one the work began on
      linked: () => this.link?.serverProjectId ?? null,
    });
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
      if (this.link && this.role === 'admin') this.files.uploadMissing().catch((e: unknown) => this.failed(e));
    });
    this.store.subscribe((st, prev) => {
      if (this.link && st.currentImageId !== prev.currentImageId) void this.files.fetchAround(st.currentImageId);
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
      this.view({ status: 'error', user: null, message: 'Logged out of the server: log in again to send and receive changes.' });
      this.store
        .getState()
        .notify(
          'error',
          'The project server asks you to log in again.',
          'Your changes are kept here and sent once you are logged in (Server panel).',
        );
      return;
    }
    const msg = e instanceof Error ? e.message : String(e);
    this.view({ status: 'error', message: msg });
    this.store.getState().notify('error', `Sync with the server failed: ${msg}`, e instanceof ServerError ? e.hint : undefined);
  }

  /** (Re)connects: the role, live events, then a pull and a push. */
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
      if (this.role === 'admin') this.files.uploadMissing().catch((e: unknown) => this.failed(e));
      void this.files.fetchAround(this.store.getState().currentImageId);
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

  /** Sends what is pending, in batches, until nothing is (one push at a time). */
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
    // cleared after it is set, even when the run ends at once (nothing pending)
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
        // changes this role may not make: taken back here (the server's version is pulled again), the rest is sent
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
    if (overwrote.length) this.store.getState().notify('info', ...overwroteNotice(overwrote));
    this.setPendingCount();
    this.deps.projects().requestMetaSave();
  }

  /** Puts the server's current version of these records back here (after a refused change). */
  private async restoreFromServer(keys: { coll: Collection; id: number }[]): Promise<void> {
    const l = this.link;
    if (!l) return;
    const found = await serverVersions(this.api, l.serverProjectId, keys);
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
      s.notify('info', ...changedByOthersNotice(others));
      for (const o of others) this.mine.delete(recordKey(o.coll, o.id));
    }
  }

  /** Pulls every change after the cursor (one pull at a time). */
  private pull(): Promise<void> {
    if (this.pulling) return this.pulling.then(() => this.pull());
    const run = async () => {
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
      void this.files.fetchAround(this.store.getState().currentImageId);
    };
    const p: Promise<void> = run().finally(() => {
      if (this.pulling === p) this.pulling = null;
    });
    this.pulling = p;
    return p;
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
      message: this.link ? 'Logged out: changes wait here until you log in again.' : '',
    });
  }

  serverProjects(): Promise<ServerProject[]> {
    return this.api.projects();
  }

  /**
   * Puts the open (local) project on the server as a new server project: its records keep their ids,
   * image files are uploaded, and from then on it syncs. Resolves to the server project's id.
   */
  async uploadProject(name?: string): Promise<number> {
    if (this.link) throw new Error('This project is on the server already.');
    await this.store.session.acceptsDone();
    await this.deps.projects().saveNow();
    const s = this.store.getState();
    const project = s.project;
    const created = await this.api.createProject(name?.trim() || project.name);
    await reserveIdsOf(this.api, created.id, project);
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
    await this.files.uploadMissing();
    await this.connect();
    return created.id;
  }

  /** Opens a server project in this browser (a new local copy, linked). */
  async openServerProject(serverProjectId: number): Promise<void> {
    const { name, project, seq } = await readServerProject(this.api, serverProjectId);
    const meta: SyncMeta = {
      serverProjectId,
      serverProjectName: name,
      clientId: newClientId(),
      cursor: seq,
      opCounter: 0,
      pending: [],
    };
    await this.deps.projects().openLinked(project, meta);
  }

  /** Sends every pending change and pulls until up to date; rejects when the server cannot be reached. */
  async syncNow(): Promise<void> {
    if (!this.link) throw new Error('This project is not on a server.');
    await this.store.session.acceptsDone();
    await this.pull();
    await this.push();
    if (this.pending.size) throw new Error(`${this.pending.size} change(s) could not be sent: ${this.store.getState().sync.message}`);
    await this.pull();
  }
}
