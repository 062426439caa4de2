import { describe, expect, it } from 'vitest';
import { DiffBuilder } from '../../core/project/changes.ts';
import { emptyProject, type Category } from '../../core/project/types.ts';
import { testStore } from '../test/fakeDeps.ts';
import { ChannelHub, turns } from '../test/fakeServices.ts';
import { MemoryProjects, metaFor } from '../test/fakeStorage.ts';
import type { ChangeInfo } from '../store/store.ts';
import { Tabs } from './tabs.ts';

const cat = (id: number, name = `cat${id}`): Category => ({ id, name, color: '#336699' });

/** Two tabs of one browser on project p1: one storage, one channel name. */
function twoTabs() {
  const storage = new MemoryProjects();
  storage.seed(metaFor('p1', 'shared'), emptyProject('shared'));
  const hub = new ChannelHub();
  const tab = (projectId: string) => {
    const { store } = testStore();
    store.getState().loadDocument(storage.project('p1')!);
    const heard: ChangeInfo[] = [];
    store.onDocChange((_d, info) => heard.push(info));
    let open = projectId;
    const tabs = new Tabs(store, () => open, storage, hub.channel());
    return { store, tabs, heard, switchTo: (id: string) => (open = id) };
  };
  return { storage, hub, a: tab('p1'), b: tab('p1') };
}

describe('Tabs', () => {
  it('hello and here: each tab counts the other and says the project is open twice; bye takes it back', async () => {
    const { a, b } = twoTabs();
    a.tabs.announce('p1');
    await turns();
    expect(b.store.getState().otherTabs).toBe(1);
    expect(a.store.getState().otherTabs).toBe(1);
    expect(b.store.getState().notifications.map((n) => n.message)).toContain('This project is open in another tab too.');
    expect(a.store.getState().notifications.map((n) => n.message)).toContain('This project is open in another tab too.');

    b.tabs.bye('p1');
    await turns();
    expect(a.store.getState().otherTabs).toBe(0);
  });

  it('a tab on another project is not counted, and its changes are not followed', async () => {
    const { a, b, storage } = twoTabs();
    b.switchTo('p2');
    a.tabs.announce('p1');
    await turns();
    expect(b.store.getState().otherTabs).toBe(0);
    expect(a.store.getState().otherTabs).toBe(0);

    await storage.write('p1', { put: [{ coll: 'categories', rec: cat(2) }], remove: [], meta: metaFor('p1', 'shared') });
    a.tabs.changed('p1', [{ coll: 'categories', id: 2 }], undefined);
    await turns();
    expect(b.heard).toEqual([]);
  });

  it('changed: the other tab reads those records and shows them as remote changes, not an undo step', async () => {
    const { a, b, storage } = twoTabs();
    const bPast = b.store.getState().past;
    await storage.write('p1', {
      put: [
        { coll: 'categories', rec: cat(2, 'dog') },
        { coll: 'categories', rec: cat(1, 'thing') },
      ],
      remove: [],
      meta: metaFor('p1', 'shared'),
    });
    a.tabs.changed(
      'p1',
      [
        { coll: 'categories', id: 2 },
        { coll: 'categories', id: 1 },
      ],
      undefined,
    );
    await turns();
    expect(b.store.getState().project.categories).toEqual([cat(1, 'thing'), cat(2, 'dog')]);
    expect(b.heard.map((h) => h.origin)).toEqual(['remote']);
    expect(b.store.getState().past).toBe(bPast);
    // the tab that wrote them hears nothing of its own message
    expect(a.heard).toEqual([]);
  });

  it('a record the other tab removed is removed here; a rename is followed', async () => {
    const { a, b, storage } = twoTabs();
    await storage.write('p1', { put: [{ coll: 'categories', rec: cat(2) }], remove: [], meta: metaFor('p1', 'shared') });
    const s = b.store.getState();
    s.change(new DiffBuilder(s.project).add('categories', cat(2)).diff, 'ignore', { origin: 'remote' });
    b.heard.length = 0;

    await storage.write('p1', { put: [], remove: [{ coll: 'categories', id: 2 }], meta: metaFor('p1', 'Renamed') });
    a.tabs.changed('p1', [{ coll: 'categories', id: 2 }], 'Renamed');
    await turns();
    expect(b.store.getState().project.categories.map((c) => c.id)).toEqual([1]);
    expect(b.store.getState().project.name).toBe('Renamed');
    expect(b.heard.map((h) => h.origin)).toEqual(['remote']);
  });

  it('a write of more records than a message should carry (an import): the other tab takes the stored project', async () => {
    const { a, b, storage, hub } = twoTabs();
    const many = Array.from({ length: 2500 }, (_, i) => ({ coll: 'categories' as const, rec: cat(i + 2) }));
    await storage.write('p1', { put: many, remove: [], meta: metaFor('p1', 'shared') });
    a.tabs.changed(
      'p1',
      many.map((m) => ({ coll: m.coll, id: m.rec.id })),
      undefined,
    );
    expect(hub.posted.at(-1)).toMatchObject({ type: 'changed', all: true, keys: [] });
    await turns();
    expect(b.store.getState().project.categories).toHaveLength(2501);
    expect(b.heard.map((h) => h.origin)).toEqual(['remote']);
  });
});
