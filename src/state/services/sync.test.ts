import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiffBuilder } from '../../core/project/changes.ts';
import type { Category } from '../../core/project/types.ts';
import { mergeTabPending } from '../../core/sync/apply.ts';
import type { PendingSync, SyncMeta } from '../../io/persist.ts';
import { ServerError } from '../../io/serverApi.ts';
import { testStore } from '../test/fakeDeps.ts';
import { FakeServerApi } from '../test/fakeServer.ts';
import { FakeImages } from '../test/fakeServices.ts';
import type { AppStore, ChangeInfo } from '../store/store.ts';
import { SyncService } from './sync.ts';

const cat = (id: number, name = `cat${id}`): Category => ({ id, name, color: '#336699' });

function addCat(store: AppStore, c: Category) {
  const s = store.getState();
  expect(s.change(new DiffBuilder(s.project).add('categories', c).diff, 'record')).toBe(true);
}

function renameCat(store: AppStore, id: number, name: string) {
  const s = store.getState();
  expect(s.change(new DiffBuilder(s.project).update('categories', id, (c) => ({ ...c, name })).diff, 'record')).toBe(true);
}

const flush = () => vi.advanceTimersByTimeAsync(0);

/** The server project's link as a page stored it: server project 7, changes seen up to 3. */
const stored = (extra: Partial<SyncMeta> = {}): SyncMeta => ({
  serverProjectId: 7,
  serverProjectName: 'team',
  clientId: 'cOld',
  cursor: 3,
  opCounter: 12,
  pending: [],
  ...extra,
});

function setup() {
  const { store } = testStore();
  const api = new FakeServerApi();
  api.addProject(7, 'team', 'annotator', 3);
  const images = new FakeImages();
  const projects = {
    metaSaves: 0,
    requestMetaSave() {
      this.metaSaves++;
    },
    saveNow: () => Promise.resolve(),
    openLinked: () => Promise.resolve('local'),
    addImageFile: () => undefined,
  };
  const onOnline: (() => void)[] = [];
  const onOffline: (() => void)[] = [];
  const sync = new SyncService({
    store,
    ids: { setRemote: () => undefined, moveToRemote: () => Promise.resolve() },
    api: api.asApi(),
    images,
    projects: () => projects,
    network: { onOnline: (fn) => void onOnline.push(fn), onOffline: (fn) => void onOffline.push(fn) },
  });
  // as persistence does: the user's changes reach the sync
  store.onDocChange((diff, info) => {
    if (info.origin === 'local') sync.localChange(diff);
  });
  const heard: ChangeInfo[] = [];
  store.onDocChange((_d, info) => heard.push(info));
  const view = () => store.getState().sync;
  const notes = (level: 'error' | 'info' | 'warning') => store.getState().notifications.filter((n) => n.level === level);
  const net = { online: () => onOnline.forEach((f) => f()), offline: () => onOffline.forEach((f) => f()) };
  return { store, api, sync, projects, heard, view, notes, net };
}

/** Start-up (the server answers, the user is logged in), then the project opens with its link. */
async function open(t: ReturnType<typeof setup>, meta: SyncMeta = stored()) {
  t.sync.start();
  await flush();
  t.sync.opened('p1', meta, []);
  await flush();
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SyncService: pushing local changes', () => {
  it('a local change is pending (in the meta, tagged with this page) until pushed with opId clientId:n and the cursor as baseRev', async () => {
    const t = setup();
    await open(t);
    expect(t.view()).toMatchObject({ status: 'online', project: { id: 7, name: 'team', role: 'annotator' } });
    const clientId = t.sync.meta()!.clientId;
    // each page takes its own client id: no two pages make operations with one id
    expect(clientId).not.toBe('cOld');

    addCat(t.store, cat(2, 'dog'));
    const pending: PendingSync = { coll: 'categories', id: 2, seen: 3, opId: `${clientId}:1`, tab: clientId };
    expect(t.sync.meta()!.pending).toEqual([pending]);
    expect(t.view().pending).toBe(1);

    await vi.advanceTimersByTimeAsync(50);
    expect(t.api.pushes).toEqual([
      {
        projectId: 7,
        req: { clientId, ops: [{ opId: `${clientId}:1`, coll: 'categories', id: 2, baseRev: 3, data: cat(2, 'dog') }] },
      },
    ]);
    expect(t.sync.meta()!.pending).toEqual([]);
    expect(t.view()).toMatchObject({ status: 'online', pending: 0 });
    expect(t.projects.metaSaves).toBeGreaterThan(0);
    expect(t.api.record(7, 'categories', 2)?.data).toEqual(cat(2, 'dog'));

    addCat(t.store, cat(3));
    expect(t.sync.meta()!.pending[0]!.opId).toBe(`${clientId}:2`);
  });

  it("pending changes a page stored (another tab's, or a crashed one's) are sent by the page that opens the project, with their op ids", async () => {
    const t = setup();
    addCat(t.store, cat(2, 'left'));
    const left: PendingSync = { coll: 'categories', id: 2, seen: 3, opId: 'cDead:5', tab: 'cDead' };
    await open(t, stored({ pending: [left] }));
    expect(t.api.pushes.map((p) => p.req.ops)).toEqual([
      [{ opId: 'cDead:5', coll: 'categories', id: 2, baseRev: 3, data: cat(2, 'left') }],
    ]);
    expect(t.sync.meta()!.pending).toEqual([]);
    // adopted: once sent, the next write drops it from the stored list
    const next = t.sync.meta()!;
    expect(t.sync.mergeMeta(stored({ pending: [left] }), next).pending).toEqual([]);
  });

  it('records a closed page had journaled are pending too (they were never pushed)', async () => {
    const t = setup();
    addCat(t.store, cat(4));
    t.sync.start();
    await flush();
    t.sync.opened('p1', stored(), [{ coll: 'categories', id: 4 }]);
    await flush();
    expect(t.api.pushes[0]!.req.ops).toMatchObject([{ coll: 'categories', id: 4, data: cat(4) }]);
  });

  it('offline: the push fails, the status says so, and the sync tries again after 1, 2, 4 … s, at most 30 s apart; back online it sends what waits', async () => {
    const t = setup();
    await open(t);
    t.api.offline = true;
    addCat(t.store, cat(2));
    await vi.advanceTimersByTimeAsync(50);
    expect(t.view().status).toBe('offline');
    expect(t.view().message).toBe('Offline: 1 change(s) wait and are sent when the server answers.');
    expect(t.sync.meta()!.pending).toHaveLength(1);

    const since = Date.now();
    const tries = () => t.api.calls.filter((c) => c.name === 'project' && c.at > since).map((c) => c.at);
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 4000 + 8000 + 16000 + 30000 + 30000);
    const at = tries();
    expect(at.map((x, i) => x - (i ? at[i - 1]! : since))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(t.api.pushes).toEqual([]);
    expect(t.view().status).toBe('offline');

    t.api.offline = false;
    await vi.advanceTimersByTimeAsync(30000);
    expect(t.api.pushes.map((p) => p.req.ops.map((o) => o.id))).toEqual([[2]]);
    expect(t.view()).toMatchObject({ status: 'online', pending: 0 });
  });

  it("the browser's offline and online events: shown offline, then reconnected and sent", async () => {
    const t = setup();
    await open(t);
    t.net.offline();
    expect(t.view().status).toBe('offline');
    t.api.offline = true;
    addCat(t.store, cat(2));
    await vi.advanceTimersByTimeAsync(50);
    t.api.offline = false;
    t.net.online();
    await flush();
    expect(t.api.pushes).toHaveLength(1);
    expect(t.view().status).toBe('online');
  });

  it('a push refused (403) takes those changes back to the server version and says so; they are no longer pending', async () => {
    const t = setup();
    const original = t.store.getState().project.categories[0]!;
    const seq = t.api.othersWrite(7, 'admin', 'categories', 1, original);
    await open(t, stored({ cursor: seq }));
    renameCat(t.store, 1, 'mine');
    addCat(t.store, cat(5, 'new'));
    const ops = t.sync.meta()!.pending.map((p) => ({ opId: p.opId, coll: p.coll, id: p.id }));
    t.api.failNextPush(new ServerError(403, 'Annotators may not change categories.', undefined, { refused: ops }));
    await vi.advanceTimersByTimeAsync(50);

    expect(t.notes('error').map((n) => [n.message, n.hint])).toEqual([
      ['Annotators may not change categories.', 'Those changes were taken back here; the server keeps its version.'],
    ]);
    expect(t.store.getState().project.categories).toEqual([original]);
    expect(t.heard.at(-1)?.origin).toBe('server');
    expect(t.sync.meta()!.pending).toEqual([]);
    expect(t.view().pending).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.api.pushes).toEqual([]);
  });

  it('a push that replaced a newer version by someone else gives a notice naming them', async () => {
    const t = setup();
    const original = t.store.getState().project.categories[0]!;
    const seq = t.api.othersWrite(7, 'admin', 'categories', 1, original);
    await open(t, stored({ cursor: seq }));
    // bob renames it on the server; this page has not pulled that yet
    t.api.othersWrite(7, 'bob', 'categories', 1, { ...original, name: 'bobs' });
    renameCat(t.store, 1, 'mine');
    await vi.advanceTimersByTimeAsync(50);
    expect(t.notes('info').map((n) => n.message)).toEqual([
      "Your change replaced a newer one by someone else: categories 1 (bob's version).",
    ]);
    expect(t.api.record(7, 'categories', 1)?.data).toMatchObject({ name: 'mine' });
  });

  it('logged out (401): the sync needs the user; the changes wait and are sent after logging in', async () => {
    const t = setup();
    await open(t);
    t.api.failNextPush(new ServerError(401, 'Log in first.', undefined, {}));
    addCat(t.store, cat(2));
    await vi.advanceTimersByTimeAsync(50);
    expect(t.view()).toMatchObject({ status: 'error', user: null });
    expect(t.notes('error')).toHaveLength(1);
    expect(t.sync.meta()!.pending).toHaveLength(1);

    await t.sync.serverLogin('ann', 'secret');
    await flush();
    expect(t.api.pushes).toHaveLength(1);
    expect(t.sync.meta()!.pending).toEqual([]);
  });

  // the service rewrite (49708e0) had turned these into "log in this.again"
  it('logged out (401): the messages ask to log in again', async () => {
    const t = setup();
    await open(t);
    t.api.failNextPush(new ServerError(401, 'Log in first.', undefined, {}));
    addCat(t.store, cat(2));
    await vi.advanceTimersByTimeAsync(50);
    expect(t.view().message).toBe('Logged out of the server: log in again to send and receive changes.');
    expect(t.notes('error')[0]!.message).toBe('The project server asks you to log in again.');
  });

  it('closing stops the live events and the link: nothing is pending or pushed any more', async () => {
    const t = setup();
    await open(t);
    t.sync.closing();
    expect(t.api.streams[0]!.closed).toBe(true);
    expect(t.sync.meta()).toBeUndefined();
    expect(t.sync.linkedProjectId()).toBeNull();
    addCat(t.store, cat(2));
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.api.pushes).toEqual([]);
  });
});

describe('SyncService: pulling others’ changes', () => {
  it("a change number on the live stream pulls others' changes, applied as 'server' changes nobody undoes here", async () => {
    const t = setup();
    await open(t);
    const past = t.store.getState().past;
    const seq = t.api.othersWrite(7, 'bob', 'categories', 5, cat(5, 'from bob'));
    t.api.streams[0]!.emit('seq', String(seq));
    await flush();
    expect(t.store.getState().project.categories.map((c) => c.id)).toEqual([1, 5]);
    expect(t.heard.map((h) => h.origin)).toEqual(['server']);
    expect(t.store.getState().past).toBe(past);
    expect(t.sync.meta()!.cursor).toBe(seq);
    // not sent back
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.api.pushes).toEqual([]);
  });

  it('this page’s own changes coming back from the server are not applied again', async () => {
    const t = setup();
    await open(t);
    addCat(t.store, cat(2));
    await vi.advanceTimersByTimeAsync(50);
    t.heard.length = 0;
    // the push made change 4 (the project was at 3)
    t.api.streams[0]!.emit('seq', '4');
    await flush();
    expect(t.heard).toEqual([]);
  });

  it('someone else changing a record this page pushed: their version is shown, with a notice', async () => {
    const t = setup();
    await open(t);
    addCat(t.store, cat(2, 'mine'));
    await vi.advanceTimersByTimeAsync(50);
    const seq = t.api.othersWrite(7, 'bob', 'categories', 2, cat(2, 'bobs'));
    t.api.streams[0]!.emit('seq', String(seq));
    await flush();
    expect(t.store.getState().project.categories[1]).toEqual(cat(2, 'bobs'));
    expect(t.notes('info').map((n) => n.message)).toEqual(['bob changed categories 2, which you had made or edited.']);
  });
});

describe('pending lists of two tabs on one project', () => {
  const p = (tab: string | undefined, id: number, op: number): PendingSync => ({
    coll: 'categories',
    id,
    seen: 3,
    opId: `${tab ?? 'cLegacy'}:${op}`,
    ...(tab ? { tab } : {}),
  });

  it("mergeTabPending keeps another tab's entries, except those this tab adopted or now holds itself", () => {
    const otherTabs = p('cB', 5, 1);
    const adopted = p('cDead', 6, 2);
    const myOlder = p('cA', 7, 1);
    const legacy = p(undefined, 8, 1);
    const sameRecordAsMine = p('cB', 9, 2);
    const mine = [p('cA', 7, 3), p('cA', 9, 4)];
    const out = mergeTabPending([otherTabs, adopted, myOlder, legacy, sameRecordAsMine], mine, 'cA', new Set(['cDead:2']));
    expect(out).toEqual([otherTabs, ...mine]);
  });

  it('SyncService.mergeMeta: keeps the other tab’s entries not adopted at open, drops adopted ones; another server project is not merged', async () => {
    const t = setup();
    const crashed = p('cDead', 6, 2);
    addCat(t.store, cat(6));
    t.api.offline = true;
    await open(t, stored({ pending: [crashed] }));
    const me = t.sync.meta()!;
    expect(me.pending).toEqual([{ ...crashed, tab: me.clientId }]);
    const otherTab = p('cB', 5, 1);

    // the stored list now: the crashed page's entry (adopted here) and a live tab's new one
    const merged = t.sync.mergeMeta(stored({ pending: [crashed, otherTab] }), me);
    expect(merged.pending).toEqual([otherTab, { ...crashed, tab: me.clientId }]);
    expect(merged.clientId).toBe(me.clientId);

    expect(t.sync.mergeMeta(undefined, me)).toEqual(me);
    expect(t.sync.mergeMeta(stored({ serverProjectId: 8, pending: [otherTab] }), me)).toEqual(me);
  });
});
