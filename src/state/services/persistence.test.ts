import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiffBuilder } from '../../core/project/changes.ts';
import { emptyProject, type Category, type Project } from '../../core/project/types.ts';
import { JOURNAL_MAX_RECORDS } from '../../io/journal.ts';
import type { SyncMeta } from '../../io/persist.ts';
import { imageFile, testStore } from '../test/fakeDeps.ts';
import { FakeServerApi } from '../test/fakeServer.ts';
import type { StoredVideoMeta } from '../../core/video/videoFile.ts';
import { UNUSED_VIDEO_DELAY_MS } from './storedVideos.ts';
import { ChannelHub, FakeBatch, FakeIdBlocks, FakeImages, RecordingSync, fakeLifecycle, fakeOpenVideo } from '../test/fakeServices.ts';
import { DEFAULT_UI, MemoryJournal, MemoryProjects, metaFor } from '../test/fakeStorage.ts';
import type { AppStore } from '../store/store.ts';
import { Persistence } from './persistence.ts';
import { SyncService } from './sync.ts';
import { Tabs } from './tabs.ts';

const cat = (id: number, name = `cat${id}`): Category => ({ id, name, color: '#336699' });

/** Adds categories as one change (an accept when `saveNow`). */
function addCats(store: AppStore, cats: Category[], options: { saveNow?: boolean; origin?: 'local' | 'remote' | 'server' } = {}) {
  const s = store.getState();
  const b = new DiffBuilder(s.project);
  for (const c of cats) b.add('categories', c);
  expect(s.change(b.diff, options.origin && options.origin !== 'local' ? 'ignore' : 'record', options)).toBe(true);
}

function renameCat(store: AppStore, id: number, name: string, saveNow = false) {
  const s = store.getState();
  expect(s.change(new DiffBuilder(s.project).update('categories', id, (c) => ({ ...c, name })).diff, 'record', { saveNow })).toBe(true);
}

/** Lets promise chains run (writes asked for, landed handlers) without letting the 200 ms autosave fire. */
const flush = () => vi.advanceTimersByTimeAsync(0);

function setup(options: { tabs?: ChannelHub } = {}) {
  const log: string[] = [];
  const { store } = testStore();
  const projects = new MemoryProjects();
  const journal = new MemoryJournal();
  projects.onWrite = () => log.push('projects.write');
  journal.onWrite = () => log.push('journal.write');
  const sync = new RecordingSync(log);
  const ids = new FakeIdBlocks(log);
  const images = new FakeImages(log);
  const batch = new FakeBatch(log);
  const life = fakeLifecycle();
  const hub = options.tabs;
  const p = new Persistence({
    store,
    ids,
    images,
    openVideo: fakeOpenVideo,
    sync,
    batch,
    projects,
    journal,
    tabs: hub ? (projectId) => new Tabs(store, projectId, projects, hub.channel()) : null,
    lifecycle: life,
  });
  const errors = () => store.getState().notifications.filter((n) => n.level === 'error');
  return { log, store, projects, journal, sync, ids, images, batch, life, p, errors };
}

const link = (extra: Partial<SyncMeta> = {}): SyncMeta => ({
  serverProjectId: 7,
  serverProjectName: 'team',
  clientId: 'cThis',
  cursor: 3,
  opCounter: 1,
  pending: [{ coll: 'categories', id: 2, seen: 3, opId: 'cThis:1', tab: 'cThis' }],
  ...extra,
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Persistence: start-up', () => {
  it('with no saved project, starts a new one and makes it the current one', async () => {
    const t = setup();
    expect(await t.p.start()).toBe(false);
    const id = t.p.current();
    expect(id).not.toBe('');
    expect(t.store.getState().projectId).toBe(id);
    expect(await t.projects.current()).toBe(id);
    expect(t.projects.meta(id)?.name).toBe('Untitled project');
    expect(t.sync.openedWith).toEqual([{ id, meta: undefined, recovered: [] }]);
    expect(t.ids.used).toEqual([id]);
  });

  it('opening a project applies what a closed page journaled: the records are shown, written, and the journal cleared', async () => {
    const t = setup();
    const saved = emptyProject('saved');
    t.projects.seed(metaFor('p1', 'saved'), saved);
    await t.projects.setCurrent('p1');
    t.journal.leftByClosedPage('p1', {
      put: [{ coll: 'categories', rec: cat(2, 'dog') }],
      remove: [{ coll: 'categories', id: 1 }],
    });

    expect(await t.p.start()).toBe(true);
    expect(t.store.getState().project.categories).toEqual([cat(2, 'dog')]);
    expect(t.sync.openedWith[0]!.recovered).toEqual(
      expect.arrayContaining([
        { coll: 'categories', id: 2 },
        { coll: 'categories', id: 1 },
      ]),
    );
    expect(t.sync.openedWith[0]!.recovered).toHaveLength(2);
    expect(t.projects.writes).toHaveLength(1);
    expect(t.projects.writes[0]!.w.put).toEqual([{ coll: 'categories', rec: cat(2, 'dog') }]);
    expect(t.projects.writes[0]!.w.remove).toEqual([{ coll: 'categories', id: 1 }]);
    expect(t.projects.project('p1')!.categories).toEqual([cat(2, 'dog')]);
    expect(t.journal.all('p1')).toEqual([]);
  });

  it('a recovered record whose write fails stays in the journal (the next page applies it again)', async () => {
    const t = setup();
    t.projects.seed(metaFor('p1', 'saved'), emptyProject('saved'));
    await t.projects.setCurrent('p1');
    const entry = { put: [{ coll: 'categories' as const, rec: cat(2, 'dog') }], remove: [] };
    t.journal.leftByClosedPage('p1', entry);
    t.projects.failWrites = new Error('disk gone');

    expect(await t.p.start()).toBe(true);
    expect(t.store.getState().project.categories.map((c) => c.id)).toEqual([1, 2]);
    expect(t.journal.all('p1')).toContainEqual(entry);
    expect(t.errors()).toHaveLength(1);
    expect(t.store.getState().saveState).toBe('error');
  });

  it.each([
    { at: 200, shown: 2 },
    { at: 50, shown: 1 },
  ])('a place journaled at $at (meta written at 100) opens image $shown', async ({ at, shown }) => {
    const t = setup();
    const project: Project = {
      ...emptyProject('two images'),
      images: [
        { id: 1, fileName: 'a.png', width: 40, height: 20 },
        { id: 2, fileName: 'b.png', width: 40, height: 20 },
      ],
    };
    t.projects.seed(metaFor('p1', 'two images', { updatedAt: 100, ui: { ...DEFAULT_UI, currentImageId: 1 } }), project);
    await t.projects.setCurrent('p1');
    t.journal.seedPlace('p1', at, { ...DEFAULT_UI, currentImageId: 2 });
    await t.p.start();
    await flush();
    expect(t.store.getState().currentImageId).toBe(shown);
  });
});

describe('Persistence: the save pipeline', () => {
  it('a local change: sync marks it pending, the journal covers it, then one write carries exactly the touched records and the meta with sync.meta()', async () => {
    const t = setup();
    t.sync.link = link();
    await t.p.start();
    const id = t.p.current();
    t.log.length = 0;

    addCats(t.store, [cat(2, 'dog'), cat(3, 'cow')]);
    expect(t.log).toEqual(['sync.localChange', 'journal.write']);
    expect(t.sync.localChanges).toHaveLength(1);
    expect(t.journal.own(id)?.put).toEqual([
      { coll: 'categories', rec: cat(2, 'dog') },
      { coll: 'categories', rec: cat(3, 'cow') },
    ]);
    expect(t.store.getState().saveState).toBe('saving');

    await vi.advanceTimersByTimeAsync(200);
    expect(t.log).toEqual(['sync.localChange', 'journal.write', 'projects.write', 'journal.write']);
    const w = t.projects.writes.at(-1)!;
    expect(w.id).toBe(id);
    expect(w.w.put).toEqual([
      { coll: 'categories', rec: cat(2, 'dog') },
      { coll: 'categories', rec: cat(3, 'cow') },
    ]);
    expect(w.w.remove).toEqual([]);
    expect(w.w.meta).toMatchObject({ id, name: 'Untitled project', sync: link() });
    // landed: nothing is left to journal
    expect(t.journal.own(id)).toBeUndefined();
    expect(t.store.getState().saveState).toBe('saved');

    // a removal is written as one
    const s = t.store.getState();
    s.change(new DiffBuilder(s.project).remove('categories', 3).diff, 'record');
    await vi.advanceTimersByTimeAsync(200);
    expect(t.projects.writes.at(-1)!.w.put).toEqual([]);
    expect(t.projects.writes.at(-1)!.w.remove).toEqual([{ coll: 'categories', id: 3 }]);
    expect(t.projects.project(id)!.categories.map((c) => c.id)).toEqual([1, 2]);
  });

  it('a local project has no server link in its meta', async () => {
    const t = setup();
    await t.p.start();
    addCats(t.store, [cat(2)], { saveNow: true });
    await flush();
    expect(t.projects.writes.at(-1)!.w.meta.sync).toBeUndefined();
    expect(t.sync.merges).toEqual([]);
  });

  it('an accept is written at once; other changes wait 200 ms, gathered into one write', async () => {
    const t = setup();
    await t.p.start();
    addCats(t.store, [cat(2)], { saveNow: true });
    await flush();
    expect(t.projects.writes).toHaveLength(1);

    addCats(t.store, [cat(3)]);
    addCats(t.store, [cat(4)]);
    await vi.advanceTimersByTimeAsync(199);
    expect(t.projects.writes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.projects.writes).toHaveLength(2);
    expect(t.projects.writes[1]!.w.put.map((r) => r.rec.id)).toEqual([3, 4]);
  });

  it("the editor's accept is written at once", async () => {
    const t = setup();
    await t.p.start();
    const s = () => t.store.getState();
    await s().addImageBlobs([{ blob: imageFile(40, 20), name: 'a.png' }]);
    await vi.advanceTimersByTimeAsync(200);
    const before = t.projects.writes.length;
    s().addPoint(10, 5, true);
    await vi.advanceTimersByTimeAsync(5);
    const accepted = s().accept();
    await vi.advanceTimersByTimeAsync(5);
    const ann = await accepted;
    expect(ann).not.toBeNull();
    // well before the 200 ms autosave
    expect(t.projects.writes).toHaveLength(before + 1);
    expect(t.projects.writes.at(-1)!.w.put).toContainEqual({ coll: 'annotations', rec: ann });
  });

  it('a failed write is reported once, keeps its records journaled, and they are written with the next change', async () => {
    const t = setup();
    await t.p.start();
    const id = t.p.current();
    t.projects.failWrites = new DOMException('no room', 'QuotaExceededError');

    addCats(t.store, [cat(2)], { saveNow: true });
    await flush();
    expect(t.store.getState().saveState).toBe('error');
    expect(t.errors()).toHaveLength(1);
    expect(t.errors()[0]!.message).toBe('Could not save the project: The browser’s storage for this site is full.');
    expect(t.journal.own(id)?.put).toEqual([{ coll: 'categories', rec: cat(2) }]);

    addCats(t.store, [cat(3)], { saveNow: true });
    await flush();
    expect(t.errors()).toHaveLength(1);
    expect(t.journal.own(id)?.put.map((r) => r.rec.id)).toEqual([2, 3]);

    t.projects.failWrites = null;
    addCats(t.store, [cat(4)], { saveNow: true });
    await flush();
    expect(
      t.projects.writes
        .at(-1)!
        .w.put.map((r) => r.rec.id)
        .sort(),
    ).toEqual([2, 3, 4]);
    expect(t.projects.project(id)!.categories.map((c) => c.id)).toEqual([1, 2, 3, 4]);
    expect(t.journal.own(id)).toBeUndefined();
    expect(t.store.getState().saveState).toBe('saved');
  });

  it('a record written again while its earlier write is in flight stays journaled until the last write lands', async () => {
    const t = setup();
    await t.p.start();
    const id = t.p.current();
    t.projects.hold();
    addCats(t.store, [cat(2, 'dog')], { saveNow: true });
    await flush();
    expect(t.projects.heldCount()).toBe(1);
    renameCat(t.store, 2, 'puppy', true);
    await flush();

    // the first write lands with 'dog': 'puppy' is not in storage until the second one does
    await t.projects.releaseOne();
    await flush();
    expect(t.projects.project(id)!.categories[1]).toEqual(cat(2, 'dog'));
    expect(t.journal.own(id)?.put).toEqual([{ coll: 'categories', rec: cat(2, 'puppy') }]);

    expect(t.projects.heldCount()).toBe(1);
    await t.projects.releaseOne();
    await flush();
    expect(t.projects.project(id)!.categories[1]).toEqual(cat(2, 'puppy'));
    expect(t.journal.own(id)).toBeUndefined();
  });

  it('an import too large to journal does not stop an accept made while it is written from being journaled at once', async () => {
    const t = setup();
    await t.p.start();
    const id = t.p.current();
    const imported = Array.from({ length: JOURNAL_MAX_RECORDS + 100 }, (_, i) => cat(10 + i));
    addCats(t.store, imported, { origin: 'server' });
    expect(t.journal.own(id)).toBeUndefined();

    t.projects.hold();
    await vi.advanceTimersByTimeAsync(200);
    expect(t.projects.heldCount()).toBe(1);
    expect(t.projects.writes.at(-1)!.w.put).toHaveLength(imported.length);

    addCats(t.store, [cat(2, 'accepted')], { saveNow: true });
    // synchronously, in the change
    expect(t.journal.own(id)).toEqual({ put: [{ coll: 'categories', rec: cat(2, 'accepted') }], remove: [] });

    await t.projects.releaseAll();
    await flush();
    await t.projects.releaseAll();
    await flush();
    expect(t.projects.project(id)!.categories).toHaveLength(imported.length + 2);
    expect(t.journal.own(id)).toBeUndefined();
  });

  it("another tab's changes are not saved again; the server's are saved but never sent back", async () => {
    const t = setup();
    await t.p.start();
    const id = t.p.current();
    const writes = t.projects.writes.length;

    addCats(t.store, [cat(2)], { origin: 'remote' });
    expect(t.journal.writes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.projects.writes).toHaveLength(writes);
    expect(t.sync.localChanges).toHaveLength(0);

    addCats(t.store, [cat(3)], { origin: 'server' });
    expect(t.sync.localChanges).toHaveLength(0);
    expect(t.journal.own(id)?.put).toEqual([{ coll: 'categories', rec: cat(3) }]);
    await vi.advanceTimersByTimeAsync(200);
    expect(t.projects.writes.at(-1)!.w.put).toEqual([{ coll: 'categories', rec: cat(3) }]);
  });

  it('where the user is (the shown image) is journaled at each change and written with the next save', async () => {
    const t = setup();
    await t.p.start();
    const id = t.p.current();
    const s = () => t.store.getState();
    await s().addImageBlobs([
      { blob: imageFile(40, 20), name: 'a.png' },
      { blob: imageFile(40, 20), name: 'b.png' },
    ]);
    await vi.advanceTimersByTimeAsync(200);
    expect(s().currentImageId).toBe(1);

    s().stepImage(1);
    await flush();
    expect(s().currentImageId).toBe(2);
    expect(t.journal.placeWrites.at(-1)).toEqual({ projectId: id, value: expect.objectContaining({ currentImageId: 2 }) });
    expect(t.journal.readPlace<{ currentImageId: number }>(id)?.value.currentImageId).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(t.projects.meta(id)!.ui.currentImageId).toBe(2);
  });

  it('the tab hidden writes at once; the page closing journals, writes, gives the ids back and says bye', async () => {
    const hub = new ChannelHub();
    const t = setup({ tabs: hub });
    await t.p.start();
    const id = t.p.current();
    addCats(t.store, [cat(2)]);
    t.life.hide();
    await flush();
    expect(t.projects.writes.at(-1)!.w.put).toEqual([{ coll: 'categories', rec: cat(2) }]);

    addCats(t.store, [cat(3)]);
    t.life.pageHide();
    await flush();
    expect(t.projects.writes.at(-1)!.w.put).toEqual([{ coll: 'categories', rec: cat(3) }]);
    expect(t.ids.releases).toBe(1);
    expect(hub.posted).toContainEqual(expect.objectContaining({ type: 'bye', projectId: id }));
  });

  it('a write that lands tells the other tabs which records it wrote, and a rename the new name', async () => {
    const hub = new ChannelHub();
    const t = setup({ tabs: hub });
    await t.p.start();
    const id = t.p.current();
    expect(hub.posted).toEqual([expect.objectContaining({ type: 'hello', projectId: id })]);
    addCats(t.store, [cat(2)], { saveNow: true });
    await flush();
    expect(hub.posted.at(-1)).toMatchObject({ type: 'changed', projectId: id, keys: [{ coll: 'categories', id: 2 }] });
    await t.p.rename('Renamed');
    expect(t.projects.meta(id)!.name).toBe('Renamed');
    expect(hub.posted.at(-1)).toMatchObject({ type: 'changed', projectId: id, name: 'Renamed' });
  });
});

describe('Persistence: the meta record of a server-linked project', () => {
  it("the write hands sync.mergeMeta the link stored now (another tab's pending entries) and stores what it answers", async () => {
    const t = setup();
    t.sync.link = link();
    await t.p.start();
    const id = t.p.current();
    const other = { coll: 'categories' as const, id: 9, seen: 3, opId: 'cOther:4', tab: 'cOther' };
    // another tab wrote its pending change into the meta record meanwhile
    t.projects.seed(metaFor(id, 'Untitled project', { sync: link({ clientId: 'cOther', pending: [other] }) }), t.store.getState().project);
    t.sync.merge = (stored, next) => ({ ...next, pending: [...(stored?.pending ?? []), ...next.pending] });

    addCats(t.store, [cat(2)], { saveNow: true });
    await flush();
    expect(t.sync.merges).toHaveLength(1);
    expect(t.sync.merges[0]!.stored?.pending).toEqual([other]);
    expect(t.sync.merges[0]!.next).toEqual(link());
    expect(t.projects.meta(id)!.sync!.pending).toEqual([other, ...link().pending]);
  });

  it("two tabs with the real sync: each write keeps the other tab's pending changes in the stored meta", async () => {
    const projects = new MemoryProjects();
    const saved = emptyProject('team');
    projects.seed(
      metaFor('p1', 'team', {
        sync: { serverProjectId: 7, serverProjectName: 'team', clientId: 'cOld', cursor: 3, opCounter: 0, pending: [] },
      }),
      saved,
    );
    await projects.setCurrent('p1');
    const tab = () => {
      const { store } = testStore();
      const api = new FakeServerApi();
      api.offline = true;
      const images = new FakeImages();
      // eslint-disable-next-line prefer-const
      let p: Persistence;
      const sync = new SyncService({
        store,
        ids: { setRemote: () => undefined, moveToRemote: () => Promise.resolve() },
        api: api.asApi(),
        images,
        projects: () => p,
      });
      p = new Persistence({
        store,
        ids: new FakeIdBlocks(),
        images,
        openVideo: fakeOpenVideo,
        sync,
        batch: new FakeBatch(),
        projects,
        journal: new MemoryJournal(),
        tabs: null,
        lifecycle: fakeLifecycle(),
      });
      return { store, sync, p };
    };
    const a = tab();
    const b = tab();
    await a.p.start();
    await b.p.start();
    const aId = a.sync.meta()!.clientId;
    const bId = b.sync.meta()!.clientId;
    expect(aId).not.toBe(bId);

    addCats(a.store, [cat(2)], { saveNow: true });
    await flush();
    addCats(b.store, [cat(3)], { saveNow: true });
    await flush();
    const pendingNow = () => projects.meta('p1')!.sync!.pending.map((p) => ({ key: `${p.coll}:${p.id}`, tab: p.tab }));
    expect(pendingNow()).toEqual(
      expect.arrayContaining([
        { key: 'categories:2', tab: aId },
        { key: 'categories:3', tab: bId },
      ]),
    );

    addCats(a.store, [cat(4)], { saveNow: true });
    await flush();
    expect(pendingNow()).toHaveLength(3);
    expect(pendingNow()).toContainEqual({ key: 'categories:3', tab: bId });
  });
});

describe('Persistence: project operations', () => {
  const leaving = ['ids.release', 'sync.closing', 'batch.abandon', 'images.clear'];

  it('switch and new run one after the other, each leaving the project before (sync closed, batch abandoned, images cleared)', async () => {
    const t = setup();
    await t.p.start();
    t.projects.seed(metaFor('p2', 'second'), emptyProject('second'));
    t.log.length = 0;
    t.projects.holdLoads();

    const switching = t.p.switchTo('p2');
    const making = t.p.newProject('Fresh');
    await flush();
    // the switch left the first project and waits for p2 to load; the new project waits its turn
    expect(t.log).toEqual(leaving);

    t.projects.releaseLoads();
    await switching;
    await making;
    const fresh = t.p.current();
    expect(t.log).toEqual([...leaving, 'sync.opened p2', 'ids.use p2', ...leaving, `sync.opened ${fresh}`, `ids.use ${fresh}`]);
    expect(t.store.getState().project.name).toBe('Fresh');
    expect(t.batch.abandons).toBe(2);
    expect(t.sync.closings).toBe(2);
    expect(t.images.clears).toBe(2);
  });

  it('a new project without a name gets one no stored project has', async () => {
    const t = setup();
    await t.p.start();
    const first = t.store.getState().project.name;
    await t.p.newProject();
    await t.p.newProject();
    const names = (await t.p.list()).map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining([first, `${first} 2`, `${first} 3`]));
  });

  it('what the project left had not written yet is written to it, not to the next one', async () => {
    const t = setup();
    await t.p.start();
    const first = t.p.current();
    t.projects.seed(metaFor('p2', 'second'), emptyProject('second'));
    addCats(t.store, [cat(2, 'unsaved')]);
    await t.p.switchTo('p2');
    expect(t.projects.project(first)!.categories).toContainEqual(cat(2, 'unsaved'));
    expect(t.projects.project('p2')!.categories.map((c) => c.id)).toEqual([1]);
    expect(t.store.getState().project.name).toBe('second');
  });

  it('deleting another project leaves the open one alone; its journal and place are dropped', async () => {
    const t = setup();
    await t.p.start();
    const open = t.p.current();
    t.projects.seed(metaFor('p2', 'second'), emptyProject('second'));
    t.journal.leftByClosedPage('p2', { put: [{ coll: 'categories', rec: cat(5) }], remove: [] });
    t.journal.seedPlace('p2', 1, DEFAULT_UI);
    t.log.length = 0;
    await t.p.remove('p2');
    expect(t.projects.meta('p2')).toBeUndefined();
    expect(t.journal.all('p2')).toEqual([]);
    expect(t.journal.readPlace('p2')).toBeNull();
    expect(t.p.current()).toBe(open);
    expect(t.log).toEqual([]);
  });

  it('deleting the open project opens the next one, or starts a new one when none is left', async () => {
    const t = setup();
    await t.p.start();
    const first = t.p.current();
    t.projects.seed(metaFor('p2', 'second'), emptyProject('second'));
    await t.p.remove(first);
    expect(t.p.current()).toBe('p2');
    expect(t.store.getState().project.name).toBe('second');
    expect(t.sync.closings).toBe(1);

    await t.p.remove('p2');
    expect(t.p.current()).not.toBe('p2');
    expect(t.p.current()).not.toBe('');
    expect(t.store.getState().project.name).toBe('Untitled project');
    expect((await t.projects.list()).map((p) => p.id)).toEqual([t.p.current()]);
    expect(t.sync.closings).toBe(2);
  });

  // the other tabs hear this one leave the deleted project (it used to say bye for project '')
  it('deleting the open project says bye to the other tabs on it', async () => {
    const hub = new ChannelHub();
    const t = setup({ tabs: hub });
    await t.p.start();
    const first = t.p.current();
    await t.p.remove(first);
    expect(hub.posted).toContainEqual(expect.objectContaining({ type: 'bye', projectId: first }));
  });

  it('a project that cannot be opened (deleted in another tab) is said, and a new one started', async () => {
    const t = setup();
    await t.p.start();
    await t.p.switchTo('gone');
    expect(t.errors().map((n) => n.message)).toEqual(['That project could not be opened.']);
    expect(t.p.current()).not.toBe('gone');
    expect(t.store.getState().projectId).toBe(t.p.current());
  });
});

describe('Persistence: video files stored with the project', () => {
  const meta = (name: string, frames: number): StoredVideoMeta => ({
    name,
    timestamps: Array.from({ length: frames }, (_, f) => f * 40_000),
    width: 8,
    height: 6,
    fps: 25,
    bytes: 3,
  });

  it('a video file is stored once and its frames are decoded from it; reopened, the frames come from the stored file', async () => {
    const t = setup();
    await t.p.start();
    const id = t.p.current();
    const file = new Blob(['vid']);
    expect(await t.p.addVideoFile(3, file, meta('dog.mp4', 5))).toBeNull();
    const [stored] = t.projects.storedVideos.get(id)!;
    expect([stored!.videoId, await stored!.file.text(), stored!.meta.name]).toEqual([3, 'vid', 'dog.mp4']);
    // frames are decoded from the stored copy, not from the file as picked (it may be moved or changed)
    expect(t.images.video(3)!.file).toBe(stored!.file);
    // the frame images: records with the clip's id, their files decoded from the video
    const frames = [0, 2, 4].map((f, i) => ({
      id: 10 + i,
      fileName: `dog/${String(f).padStart(5, '0')}.png`,
      width: 8,
      height: 6,
      video: { id: 3, name: 'dog.mp4', frame: f, fps: 25 },
    }));
    for (const im of frames) expect(t.p.addVideoFrame(im.id, 3, im.video.frame, im.fileName)).toBe(true);
    expect(t.p.addVideoFrame(20, 4, 0, 'x.png')).toBe(false);
    expect(await (await t.images.file(11)!.read()).text()).toBe(`8x6 ${id}:3@0.100000`);
    const s = t.store.getState();
    s.change({ ops: frames.map((im) => ({ coll: 'images' as const, id: im.id, before: null, after: im })) }, 'record', {
      label: 'open video',
    });
    await t.p.saveNow();
    expect(t.projects.project(id)!.images).toHaveLength(3);
    // no image file was written for a frame
    expect((await t.projects.load(id))!.images).toEqual([]);

    // (frame 4 is the last: decoded from 1 ms into it)
    // another project, then this one opened again: each frame's file is the stored video's frame
    await t.p.newProject('other');
    expect(t.images.frames.size).toBe(0);
    await t.p.switchTo(id);
    expect([...t.images.frames.keys()].sort()).toEqual([10, 11, 12]);
    expect(await (await t.images.file(12)!.read()).text()).toBe(`8x6 ${id}:3@0.161000`);
    expect(t.images.video(3)!.file).toBe(stored!.file);
  });

  it('a clip whose frames were all deleted: its stored file is removed when the project is next opened and no other tab has it open (an undo there could bring the frames back)', async () => {
    const t = setup();
    await t.p.start();
    const id = t.p.current();
    expect(await t.p.addVideoFile(3, new Blob(['vid']), meta('dog.mp4', 2))).toBeNull();
    expect(await t.p.addVideoFile(4, new Blob(['cat']), meta('cat.mp4', 1))).toBeNull();
    // a file stored a moment ago whose frames are not saved yet (another tab adding them): left alone; the others
    // were stored an hour ago
    expect(await t.p.addVideoFile(5, new Blob(['new']), meta('new.mp4', 1))).toBeNull();
    for (const v of [3, 4]) t.projects.ageVideo(id, v, 3_600_000);
    const frames = [
      { id: 10, fileName: 'dog/00000.png', width: 8, height: 6, video: { id: 3, name: 'dog.mp4', frame: 0, fps: 25 } },
      { id: 11, fileName: 'dog/00001.png', width: 8, height: 6, video: { id: 3, name: 'dog.mp4', frame: 1, fps: 25 } },
      { id: 12, fileName: 'cat/00000.png', width: 8, height: 6, video: { id: 4, name: 'cat.mp4', frame: 0, fps: 25 } },
    ];
    for (const im of frames) t.p.addVideoFrame(im.id, im.video.id, im.video.frame, im.fileName);
    const s = () => t.store.getState();
    s().change({ ops: frames.map((im) => ({ coll: 'images' as const, id: im.id, before: null, after: im })) }, 'record', { label: 'open' });
    await t.p.saveNow();
    // the dog clip deleted (both frames); saved; while the project is open its file stays (an undo brings the frames back)
    s().change({ ops: frames.slice(0, 2).map((im) => ({ coll: 'images' as const, id: im.id, before: im, after: null })) }, 'record', {
      label: 'delete',
    });
    await t.p.saveNow();
    expect(
      t.projects.storedVideos
        .get(id)!
        .map((v) => v.videoId)
        .sort(),
    ).toEqual([3, 4, 5]);
    // opened again while another tab has it open (an undo there could bring the frames back): kept
    await t.p.newProject('other');
    await t.p.switchTo(id);
    t.store.setState({ otherTabs: 1 });
    await vi.advanceTimersByTimeAsync(UNUSED_VIDEO_DELAY_MS + 100);
    expect(
      t.projects.storedVideos
        .get(id)!
        .map((v) => v.videoId)
        .sort(),
    ).toEqual([3, 4, 5]);
    // opened again alone: removed a moment after
    t.store.setState({ otherTabs: 0 });
    await t.p.newProject('other 2');
    await t.p.switchTo(id);
    await vi.advanceTimersByTimeAsync(UNUSED_VIDEO_DELAY_MS + 100);
    expect(t.projects.storedVideos.get(id)!.map((v) => v.videoId)).toEqual([4, 5]);
    expect(t.images.video(3)).toBeUndefined();
    expect([...t.images.frames.keys()]).toEqual([12]);
  });

  it('a file that cannot be stored (storage full) is said and nothing opened; a deleted project takes its video files with it', async () => {
    const t = setup();
    await t.p.start();
    const id = t.p.current();
    t.projects.failVideos = new DOMException('quota', 'QuotaExceededError');
    expect(await t.p.addVideoFile(1, new Blob(['v']), meta('big.mp4', 3))).toMatch(/^big\.mp4 could not be stored: /);
    expect(t.images.video(1)).toBeUndefined();
    t.projects.failVideos = null;
    expect(await t.p.addVideoFile(1, new Blob(['v']), meta('ok.mp4', 3))).toBeNull();
    await t.p.remove(id);
    expect(t.projects.storedVideos.has(id)).toBe(false);
  });
});
