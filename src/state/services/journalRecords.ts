/** The records behind journal entries and writes (pure functions on the project; persistence.ts uses them). */
import { COLLECTIONS, type Collection } from '../../core/project/changes.ts';
import { annotationIndex } from '../../core/project/annotationIndex.ts';
import type { Project } from '../../core/project/types.ts';
import type { JournalEntry } from '../../io/journal.ts';

/** The records behind `keys` as the project has them now: put if present, removed if not. */
export function recordsOf(project: Project, keys: readonly { coll: Collection; id: number }[]): JournalEntry {
  const wanted = new Map<Collection, Set<number>>();
  for (const k of keys) {
    let ids = wanted.get(k.coll);
    if (!ids) wanted.set(k.coll, (ids = new Set()));
    ids.add(k.id);
  }
  const put: JournalEntry['put'] = [];
  const remove: JournalEntry['remove'] = [];
  for (const [coll, ids] of wanted) {
    // a few annotations (an accept) are looked up in the index; many, or other records, in one pass
    if (coll === 'annotations' && ids.size < 1000) {
      const byId = annotationIndex(project.annotations).byId;
      for (const id of ids) {
        const r = byId.get(id);
        if (r) put.push({ coll, rec: r });
        else remove.push({ coll, id });
      }
      continue;
    }
    const found = new Set<number>();
    // one pass over the collection, whatever the number of keys (projects of 300,000 annotations)
    for (const r of project[coll] as { id: number }[]) {
      if (ids.has(r.id)) {
        put.push({ coll, rec: r as never });
        found.add(r.id);
      }
    }
    for (const id of ids) if (!found.has(id)) remove.push({ coll, id });
  }
  return { put, remove };
}

/**
 * Puts journaled records into a project as loaded from IndexedDB (in place; later entries win) and
 * returns their keys. Records already stored as journaled are left out.
 */
export function applyJournal(project: Project, entries: readonly JournalEntry[]): { coll: Collection; id: number }[] {
  const keys = new Map<string, { coll: Collection; id: number }>();
  for (const e of entries) {
    for (const { coll, rec } of e.put) {
      const list = project[coll] as { id: number }[];
      const i = list.findIndex((r) => r.id === rec.id);
      if (i >= 0 && JSON.stringify(list[i]) === JSON.stringify(rec)) continue;
      if (i >= 0) list[i] = rec;
      else list.push(rec);
      keys.set(`${coll}:${rec.id}`, { coll, id: rec.id });
    }
    for (const { coll, id } of e.remove) {
      const list = project[coll] as { id: number }[];
      const i = list.findIndex((r) => r.id === id);
      if (i < 0) continue;
      list.splice(i, 1);
      keys.set(`${coll}:${id}`, { coll, id });
    }
  }
  for (const coll of COLLECTIONS) (project[coll] as { id: number }[]).sort((a, b) => a.id - b.id);
  return [...keys.values()];
}
