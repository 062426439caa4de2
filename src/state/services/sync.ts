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
import { diffFromServerChanges } from '../../core/sync/apply.ts';
import {
  MAX_PUSH_OPS,
  recordKey,
  type ServerChange,
  type ServerProject,
  type ServerRun,
  type ServerWorker,
  type SyncOp,
} from '../../core/sync/protocol.ts';
import { maskPngImageKeys } from '../../core/coco/maskPng.ts';
import { fileStem } from '../../core/export/files.ts';
import { imageBlob, onImageRegistryChange, registerImageBlob } from '../../io/images.ts';
import type { PendingSync, SyncMeta } from '../../io/persist.ts';
import { OfflineError, ServerApi, ServerError, sha256Hex, type ServerJob, type ServerReview } from '../../io/serverApi.ts';
import { openLinkedProject, registerSyncHooks, requestMetaSave, saveNow } from './persistence.ts';
import type { ProjectIds } from './projectIds.ts';
import type { AppStore } from '../store/store.ts';
import { nextImageId } from '../store/selectors.ts';
import { registerReviewDecider } from '../store/slices/team.ts';
import type { SyncView } from '../store/slices/view.ts';

const api = new ServerApi();
let store: AppStore;
let ids: ProjectIds;
let link: SyncMeta | null = null;
const pending = new Map<string, PendingSync>();
/** keys this browser pushed (for the notice when someone else changes one) */
const mine = new Set<string>();
let parked: ServerChange[] = [];
let events: EventSource | null = null;
let pushing: Promise<void> | null = null;
let pulling: Promise<void> | null = null;
let again = false;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let retryDelay = 1000;
let role: ServerProject['role'] | null = null;
/** files being fetched from the server, by image id */
const fetching = new Set<number>();

function view(patch: Partial<SyncView>): void {
  store.setState((s) => ({ sync: { ...s.sync, ...patch } }));
}

function metaOut(): SyncMeta | undefined {
  return link ? { ...link, pending: [...pending.values()] } : undefined;
}

function newClientId(): string {
  const b = crypto.getRandomValues(new Uint8Array(9));
  return `c${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

function nextOpId(): string {
  link!.opCounter++;
  return `${link!.clientId}:${link!.opCounter}`;
}

function setPendingCount(): void {
  view({ pending: pending.size });
}

/** Starts the sync with the server; called once at start-up. */
export function startSync(s: AppStore, projectIds: ProjectIds): void {
  store = s;
  // a job's reviewer decides on masks with Enter / Delete (src/state/slices/team.ts)
  registerReviewDecider((id, decision, comment) => reviewMask(id, decision, comment));
  ids = projectIds;
  registerSyncHooks({
    meta: metaOut,
    opened(_id, meta, recovered) {
      stopLive();

      // a client id of this page's own: two tabs on one project (or a reload) never make two operations with one id;
      // pending operations saved by an earlier page keep theirs
      link = meta ? { ...meta, clientId: newClientId(), opCounter: 0, pending: [] } : null;
      pending.clear();
      mine.clear();
      parked = [];
      role = null;
      for (const p of meta?.pending ?? []) pending.set(recordKey(p.coll, p.id), p);
      // records a closed page had journaled but not saved: they were never pushed either
      if (link) for (const k of recovered) markPending(k.coll, k.id);
      ids.setRemote(link ? (coll, n) => api.reserveIds(link!.serverProjectId, coll, n) : null);
      view({
        project: link ? { id: link.serverProjectId, name: link.serverProjectName, role: 'annotator' } : null,
        status: link ? 'syncing' : 'off',
        pending: pending.size,
        message: '',
      });
      if (link) void connect();
    },
    localChange(diff: DocDiff) {
      if (!link) return;
      for (const k of touchedKeys(diff)) markPending(k.coll, k.id);
      setPendingCount();
      schedulePush(50);
    },
    closing() {
      stopLive();
      link = null;
      ids.setRemote(null);
    },
  });
  addEventListener('online', () => link && void connect());
  addEventListener('offline', () => link && view({ status: 'offline' }));
  // images registered here (opened files) of a linked project go to the server
  onImageRegistryChange(() => {
    if (link && role === 'admin') uploadMissingFiles().catch(failed);
  });
  store.subscribe((st, prev) => {
    if (link && st.currentImageId !== prev.currentImageId) void fetchFilesAround(st.currentImageId);
  });
  void api.available().then(async (available) => {
    if (!available) return;
    const user = await api.me().catch(() => null);
    view({ available, user: user && { username: user.username, isAdmin: user.isAdmin } });
    if (user && link) void connect();
  });
}

function markPending(coll: Collection, id: number): void {
  if (!link) return;
  pending.set(recordKey(coll, id), { coll, id, seen: link.cursor, opId: nextOpId() });
}

function stopLive(): void {
  events?.close();
  events = null;
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
}

function offline(): void {
  view({ status: 'offline', message: `Offline: ${pending.size} change(s) wait and are sent when the server answers.` });
  if (retryTimer) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    void connect();
  }, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 30_000);
}

function failed(e: unknown): void {
  if (e instanceof OfflineError) return offline();
  if (e instanceof ServerError && e.status === 401) {
    view({ status: 'error', user: null, message: 'Logged out of the server: log in again to send and receive changes.' });
    store
      .getState()
      .notify(
        'error',
        'The project server asks you to log in again.',
        'Your changes are kept here and sent once you are logged in (Server panel).',
      );
    return;
  }
  const msg = e instanceof Error ? e.message : String(e);
  view({ status: 'error', message: msg });
  store.getState().notify('error', `Sync with the server failed: ${msg}`, e instanceof ServerError ? e.hint : undefined);
}

/** (Re)connects: the role, live events, then a pull and a push. */
async function connect(): Promise<void> {
  const l = link;
  if (!l || !store.getState().sync.available) return;
  try {
    const p = await api.project(l.serverProjectId);
    if (link !== l) return;
    role = p.role;
    view({ project: { id: p.id, name: p.name, role: p.role } });
    retryDelay = 1000;
    if (!events) {
      events = api.events(l.serverProjectId);
      events.addEventListener('seq', (ev) => {
        const seq = Number((ev as MessageEvent).data);
        if (link && seq > link.cursor) pull().catch(failed);
        if (pending.size) schedulePush(0);
      });
      events.addEventListener('jobs', () => view({ jobsChanged: (store.getState().sync.jobsChanged ?? 0) + 1 }));
      events.onerror = () => {
        if (link && events?.readyState !== EventSource.OPEN) view({ status: 'offline' });
      };
    }
    await pull();
    await push();
    if (role === 'admin') uploadMissingFiles().catch(failed);
    void fetchFilesAround(store.getState().currentImageId);
  } catch (e) {
    failed(e);
  }
}

let pushTimer: ReturnType<typeof setTimeout> | null = null;
function schedulePush(ms: number): void {
  if (pushTimer) clearTimeout(pushTimer);
  pushTimer = setTimeout(() => {
    pushTimer = null;
    void push();
  }, ms);
}

function recordNow(coll: Collection, id: number): SyncOp['data'] {
  const list = store.getState().project[coll] as { id: number }[];
  return (list[indexOfId(list, id)] as SyncOp['data'] | undefined) ?? null;
}

/** Sends what is pending, in batches, until nothing is (one push at a time). */
function push(): Promise<void> {
  if (pushing) {
    again = true;
    return pushing;
  }
  const run = async () => {
    try {
      do {
        again = false;
        while (link && pending.size) await pushBatch(link);
      } while (again && link && pending.size);
      if (link && store.getState().sync.status !== 'error') view({ status: 'online', message: '' });
    } catch (e) {
      failed(e);
    }
  };
  // cleared after it is set, even when the run ends at once (nothing pending)
  const p: Promise<void> = run().finally(() => {
    if (pushing === p) pushing = null;
  });
  pushing = p;
  return p;
}

async function pushBatch(l: SyncMeta): Promise<void> {
  view({ status: 'syncing' });
  // images and categories first: what refers to them lands after them
  const order = (p: PendingSync) => COLLECTIONS.indexOf(p.coll);
  const batch = [...pending.values()].sort((a, b) => order(a) - order(b)).slice(0, Math.min(MAX_PUSH_OPS, 500));
  const ops: SyncOp[] = batch.map((p) => ({ opId: p.opId, coll: p.coll, id: p.id, baseRev: p.seen, data: recordNow(p.coll, p.id) }));
  let res;
  try {
    res = await api.push(l.serverProjectId, { clientId: l.clientId, ops });
  } catch (e) {
    if (e instanceof ServerError && e.status === 403 && Array.isArray(e.body.refused)) {
      // changes this role may not make: taken back here (the server's version is pulled again), the rest is sent
      const refused = e.body.refused as { opId: string; coll: Collection; id: number }[];
      for (const r of refused) {
        const p = pending.get(recordKey(r.coll, r.id));
        if (p && p.opId === r.opId) pending.delete(recordKey(r.coll, r.id));
      }
      store.getState().notify('error', e.message, 'Those changes were taken back here; the server keeps its version.');
      await restoreFromServer(refused);
      setPendingCount();
      requestMetaSave();
      return;
    }
    throw e;
  }
  if (link !== l) return;
  const overwrote: string[] = [];
  for (const r of res.results) {
    const k = recordKey(r.coll, r.id);
    mine.add(k);
    const p = pending.get(k);
    if (p && p.opId === r.opId) pending.delete(k);
    if (r.overwrote) overwrote.push(`${r.coll === 'annotations' ? 'annotation' : r.coll} ${r.id} (${r.overwrote.username}'s version)`);
  }
  if (overwrote.length)
    store
      .getState()
      .notify(
        'info',
        `Your change replaced a newer one by someone else: ${overwrote.slice(0, 3).join(', ')}${overwrote.length > 3 ? ` and ${overwrote.length - 3} more` : ''}.`,
        'The later write wins; the replaced version is kept in the server’s history.',
      );
  setPendingCount();
  requestMetaSave();
}

/** Puts the server's current version of these records back here (after a refused change). */
async function restoreFromServer(keys: { coll: Collection; id: number }[]): Promise<void> {
  const l = link;
  if (!l) return;
  const want = new Set(keys.map((k) => recordKey(k.coll, k.id)));
  const found: ServerChange[] = [];
  let after: string | null = null;
  do {
    const page = await api.records(l.serverProjectId, after);
    for (const r of page.records)
      if (want.has(recordKey(r.coll, r.id)))
        found.push({ seq: r.rev, coll: r.coll, id: r.id, data: r.data, username: '', clientId: '', opId: '' });
    after = page.next;
  } while (after);
  for (const k of keys)
    if (!found.some((f) => f.coll === k.coll && f.id === k.id))
      found.push({ seq: 0, coll: k.coll, id: k.id, data: null, username: '', clientId: '', opId: '' });
  applyChanges(found);
}

function applyChanges(changes: ServerChange[]): void {
  if (!link) return;
  const s = store.getState();
  const r = diffFromServerChanges(s.project, [...parked, ...changes], link.clientId, new Set(pending.keys()), mine);
  parked = r.parked;
  if (r.diff.ops.length) s.change(r.diff, 'ignore', { origin: 'server', label: 'from the server' });
  const others = r.touchedMine.filter((c) => c.username);
  if (others.length) {
    const c = others[0]!;
    s.notify(
      'info',
      `${c.username} changed ${c.coll === 'annotations' ? 'annotation' : c.coll} ${c.id}, which you had ${c.data === null ? 'made (it was removed)' : 'made or edited'}${others.length > 1 ? ` (and ${others.length - 1} more)` : ''}.`,
      'Their later change is shown; your version is kept in the server’s history.',
    );
    for (const o of others) mine.delete(recordKey(o.coll, o.id));
  }
}

/** Pulls every change after the cursor (one pull at a time). */
function pull(): Promise<void> {
  if (pulling) return pulling.then(() => pull());
  const run = async () => {
    {
      for (;;) {
        const l = link;
        if (!l) return;
        const res = await api.changes(l.serverProjectId, l.cursor);
        if (link !== l) return;
        applyChanges(res.changes);
        l.cursor = res.seq;
        requestMetaSave();
        if (!res.more) break;
      }
      if (!pending.size && link) view({ status: 'online', message: '' });
      void fetchFilesAround(store.getState().currentImageId);
    }
  };
  const p: Promise<void> = run().finally(() => {
    if (pulling === p) pulling = null;
  });
  pulling = p;
  return p;
}

// ---- image files ------------------------------------------------------------------------------------

/** Uploads the files of images that have none on the server yet (admins), and notes their hash. */
async function uploadMissingFiles(): Promise<void> {
  const l = link;
  if (!l) return;
  for (const im of store.getState().project.images) {
    if (im.sha256) continue;
    const file = imageBlob(im.id);
    if (!file) continue;
    const sha = await sha256Hex(file.blob);
    await api.putFile(l.serverProjectId, sha, file.blob);
    if (link !== l) return;
    const s = store.getState();
    const cur = s.project.images.find((x) => x.id === im.id);
    if (cur && !cur.sha256)
      s.change({ ops: [{ coll: 'images', id: im.id, before: cur, after: { ...cur, sha256: sha } }] }, 'ignore', {
        label: 'image file on the server',
      });
  }
}

/** Fetches the files of the shown image and the next few from the server (then kept in the browser). */
async function fetchFilesAround(imageId: number | null): Promise<void> {
  const l = link;
  if (!l) return;
  const images = store.getState().project.images;
  const at = Math.max(
    0,
    images.findIndex((im) => im.id === imageId),
  );
  for (const im of images.slice(at, at + 4)) {
    if (!im.sha256 || imageBlob(im.id) || fetching.has(im.id)) continue;
    fetching.add(im.id);
    try {
      const blob = await api.file(l.serverProjectId, im.sha256);
      if (link !== l) return;
      registerImageBlob(im.id, blob, im.fileName, true);
      // the image was shown (or listed) without its file: encode it now
      store.deps.engine.fileAttached(im.id);
      const st = store.getState();
      st.setImageStatus(im.id, 'pending');
      if (st.currentImageId !== null) store.deps.engine.show(st.currentImageId, nextImageId(st, st.currentImageId));
    } catch (e) {
      if (e instanceof OfflineError) return;
      // not uploaded yet: asked again on the next pull
    } finally {
      fetching.delete(im.id);
    }
  }
}

// ---- what the user does -------------------------------------------------------------------------------

export async function serverLogin(username: string, password: string): Promise<void> {
  const user = await api.login(username, password);
  view({ available: true, user: { username: user.username, isAdmin: user.isAdmin }, message: '' });
  if (link) void connect();
}

export async function serverLogout(): Promise<void> {
  await api.logout().catch(() => undefined);
  stopLive();
  view({ user: null, status: link ? 'error' : 'off', message: link ? 'Logged out: changes wait here until you log in again.' : '' });
}

export function serverProjects(): Promise<ServerProject[]> {
  return api.projects();
}

/**
 * Puts the open (local) project on the server as a new server project: its records keep their ids,
 * image files are uploaded, and from then on it syncs. Resolves to the server project's id.
 */
export async function uploadProject(name?: string): Promise<number> {
  if (link) throw new Error('This project is on the server already.');
  await store.session.acceptsDone();
  await saveNow();
  const s = store.getState();
  const project = s.project;
  const created = await api.createProject(name?.trim() || project.name);
  // the server's id counters start past every id this project has
  for (const coll of COLLECTIONS) {
    const max = (project[coll] as { id: number }[]).reduce((m, r) => Math.max(m, r.id), 0);
    if (max > 0) await api.reserveIds(created.id, coll, max);
  }
  link = { serverProjectId: created.id, serverProjectName: created.name, clientId: newClientId(), cursor: 0, opCounter: 0, pending: [] };
  role = created.role;
  await ids.moveToRemote((coll, n) => api.reserveIds(created.id, coll, n), project);
  for (const coll of COLLECTIONS) for (const r of project[coll] as { id: number }[]) markPending(coll, r.id);
  view({ project: { id: created.id, name: created.name, role: created.role }, status: 'syncing', pending: pending.size });
  requestMetaSave();
  await saveNow();
  await uploadMissingFiles();
  await connect();
  return created.id;
}

/** Opens a server project in this browser (a new local copy, linked). */
export async function openServerProject(serverProjectId: number): Promise<void> {
  const info = await api.project(serverProjectId);
  const project: Project = { ...emptyProject(info.name), categories: [] };
  let after: string | null = null;
  let seq = 0;
  let first = true;
  do {
    const page = await api.records(serverProjectId, after);
    // changes made while the pages are read are pulled afterwards, from the first page's number
    if (first) seq = page.seq;
    first = false;
    for (const r of page.records) (project[r.coll] as unknown[]).push(r.data);
    after = page.next;
  } while (after);
  const meta: SyncMeta = { serverProjectId, serverProjectName: info.name, clientId: newClientId(), cursor: seq, opCounter: 0, pending: [] };
  await openLinkedProject(project, meta);
}

/** Sends every pending change and pulls until up to date; rejects when the server cannot be reached. */
export async function syncNow(): Promise<void> {
  if (!link) throw new Error('This project is not on a server.');
  await store.session.acceptsDone();
  await pull();
  await push();
  if (pending.size) throw new Error(`${pending.size} change(s) could not be sent: ${store.getState().sync.message}`);
  await pull();
}

export { api as serverApi };

/** Gives a user a role in the open server project (project admins). */
export async function addServerMember(username: string, memberRole: ServerProject['role']): Promise<void> {
  if (!link) throw new Error('This project is not on a server.');
  await api.setMember(link.serverProjectId, username.trim(), memberRole);
}

/** Makes an account on the server (server admins). */
export async function createServerUser(username: string, password: string, isAdmin = false): Promise<void> {
  await api.createUser(username.trim(), password, isAdmin);
}

// ---- jobs and review (issue 14) -----------------------------------------------------------------

function linked(): number {
  if (!link) throw new Error('This project is not on a server.');
  return link.serverProjectId;
}

/** The user's jobs in the open server project: to annotate, and to review. */
export function myQueue(): Promise<{ annotate: ServerJob[]; review: ServerJob[] }> {
  return api.queue(linked());
}

export function projectJobs(): Promise<ServerJob[]> {
  return api.jobs(linked());
}

/** What jobs to make: given images, or a split (of the free images a filter picks), for annotators in turn. */
export type NewJobsSpec = {
  imageIds?: number[];
  split?: { by: 'count'; size: number } | { by: 'folder' };
  /** a split takes the free images this picks: a part of the name or a glob, and what they have */
  filter?: { name?: string; has?: 'nothing' | 'proposals' | 'annotations' };
  name?: string;
  annotators: string[];
  reviewer?: string | null;
};

/** Splits the project's images into jobs (admins). */
export function createJobs(spec: NewJobsSpec): Promise<ServerJob[]> {
  return api.createJobs(linked(), spec);
}

/** Moves a job (start, submit for review, accept, send back with a comment, resume, reopen); pending changes go first. */
export async function moveJob(jobId: number, to: ServerJob['state'], comment?: string): Promise<ServerJob> {
  if (to === 'in_review') await syncNow();
  return api.moveJob(linked(), jobId, to, comment);
}

/** A review decision on one annotation (the job's reviewer). */
export async function reviewMask(annotationId: number, decision: 'accept' | 'reject', comment?: string): Promise<void> {
  await api.review(linked(), annotationId, decision, comment);
}

export function jobReviews(jobId?: number): Promise<ServerReview[]> {
  return api.reviews(linked(), jobId);
}

export function teamStatistics(jobId?: number): Promise<unknown> {
  return api.stats(linked(), jobId);
}

// ---- pre-annotation on the server's workers -------------------------------------------------------

export interface ServerPreannotateRequest {
  mode: 'box' | 'box-crop' | 'auto-box' | 'coarse' | 'everything';
  /** the images of this job (else the whole project) */
  jobId?: number;
  redo?: boolean;
  boxPlan?: { margin?: number; minCropSide?: number };
  amg?: Record<string, number>;
  everythingCategory?: string;
  /** coarse: the label PNGs, matched to the project's images by name (uploaded first) */
  coarseFiles?: { blob: Blob; name: string }[];
  coarse?: Record<string, unknown>;
  classMap?: string;
  expireSeconds?: number;
}

/**
 * Queues a pre-annotation run on the server's workers (project admins); its proposals arrive like
 * anyone's changes. Coarse label PNGs are uploaded to the project's files first.
 */
export async function queueServerPreannotation(
  req: ServerPreannotateRequest,
): Promise<{ runId: number; images: number; skipped: Record<string, number> }> {
  const pid = linked();
  const { coarseFiles, ...spec } = req;
  const body: Record<string, unknown> = { ...spec };
  if (req.mode === 'coarse') {
    const byKey = new Map(store.getState().project.images.map((im) => [fileStem(im.fileName).toLowerCase(), im.id]));
    const map: Record<string, string> = {};
    const unmatched: string[] = [];
    for (const f of coarseFiles ?? []) {
      const id = maskPngImageKeys(f.name)
        .map((k) => byKey.get(k))
        .find((x) => x !== undefined);
      if (id === undefined) {
        unmatched.push(f.name);
        continue;
      }
      const sha = await sha256Hex(f.blob);
      await api.putFile(pid, sha, f.blob);
      map[String(id)] = sha;
    }
    if (unmatched.length)
      store
        .getState()
        .notify('warning', `${unmatched.length} label PNG(s) match no image by name and are left out.`, unmatched.slice(0, 3).join(', '));
    body['coarseFiles'] = map;
  }
  const r = await api.preannotate(pid, body);
  return { runId: r.runId, images: r.images, skipped: r.skipped };
}

export function serverRuns(): Promise<{ runs: ServerRun[]; workers: ServerWorker[]; workerMode: 'external' | number }> {
  return api.runs(linked());
}

export async function cancelServerRun(runId: number): Promise<boolean> {
  return (await api.cancelRun(linked(), runId)).cancelled;
}
