/**
 * The write-ahead journal of unsaved records. IndexedDB writes are asynchronous and a page that is
 * closed (or navigated away) before one commits loses it, so every local change also writes the
 * records not yet in IndexedDB to `localStorage`, synchronously, in the event that made the change
 * (an Enter). A page that opens the project applies what a closed page left there and writes it to
 * IndexedDB. Each tab has its own entry per project; it is cleared once its records are written.
 * Large writes (imports) are not journaled: they are too big for `localStorage` and are not made by
 * a single key press.
 */
import type { Collection, Collections } from '../core/project/changes.ts';

export interface JournalEntry {
  put: { coll: Collection; rec: Collections[Collection] }[];
  remove: { coll: Collection; id: number }[];
}

const PREFIX = 'sam-annotator-journal:';
/** at most this many records are journaled per tab (more is an import, not a key press) */
export const JOURNAL_MAX_RECORDS = 500;
/** at most this many characters are journaled per tab (localStorage holds about 5 M per site) */
export const JOURNAL_MAX_CHARS = 2_000_000;
const tabId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/**
 * Replaces this tab's entry for `projectId` with `entry` (or removes it when it is empty). Returns
 * false when it could not be written (too large, storage full): the entry is then removed, so no
 * older copy of these records can be applied later.
 */
export function writeJournal(projectId: string, entry: JournalEntry): boolean {
  const ls = storage();
  if (!ls || !projectId) return false;
  const key = `${PREFIX}${projectId}:${tabId}`;
  try {
    if (entry.put.length === 0 && entry.remove.length === 0) {
      ls.removeItem(key);
      return true;
    }
    const text = JSON.stringify(entry);
    if (text.length > JOURNAL_MAX_CHARS) {
      ls.removeItem(key);
      return false;
    }
    ls.setItem(key, text);
    return true;
  } catch {
    try {
      ls.removeItem(key);
    } catch {
      // nothing more can be done: the IndexedDB write still goes on
    }
    return false;
  }
}

/** What closed pages (and other tabs) left unsaved for `projectId`, with a way to clear it once written. */
export function readJournal(projectId: string): { entries: JournalEntry[]; clear(): void } {
  const ls = storage();
  if (!ls) return { entries: [], clear: () => undefined };
  const found: { key: string; text: string; entry: JournalEntry }[] = [];
  for (let i = 0; i < ls.length; i++) {
    const key = ls.key(i);
    if (!key?.startsWith(`${PREFIX}${projectId}:`)) continue;
    const text = ls.getItem(key);
    if (!text) continue;
    try {
      const e = JSON.parse(text) as Partial<JournalEntry>;
      if (Array.isArray(e.put) && Array.isArray(e.remove)) found.push({ key, text, entry: { put: e.put, remove: e.remove } });
    } catch {
      // a damaged entry holds nothing usable
      ls.removeItem(key);
    }
  }
  return {
    entries: found.map((f) => f.entry),
    clear() {
      // an entry rewritten meanwhile (a live tab) is that tab's to clear
      for (const f of found) if (ls.getItem(f.key) === f.text) ls.removeItem(f.key);
    },
  };
}

/** Removes every entry of a deleted project. */
export function dropJournal(projectId: string): void {
  const ls = storage();
  if (!ls) return;
  const keys: string[] = [];
  for (let i = 0; i < ls.length; i++) {
    const key = ls.key(i);
    if (key?.startsWith(`${PREFIX}${projectId}:`)) keys.push(key);
  }
  for (const k of keys) ls.removeItem(k);
}

const PLACE_PREFIX = 'sam-annotator-place:';

/**
 * Where the user is in a project (the shown image, their settings), written synchronously on every
 * change of it, beside the project's meta record in IndexedDB: a page reloaded before its autosave
 * lands (a slow disk, writes queued behind a large import) opens where it was, not where the last
 * landed write says. `at` tells it from an older meta record.
 */
export function writePlace<T>(projectId: string, value: T): void {
  const ls = storage();
  if (!ls || !projectId) return;
  try {
    ls.setItem(`${PLACE_PREFIX}${projectId}`, JSON.stringify({ at: Date.now(), value }));
  } catch {
    // a full storage: the autosave still writes it
  }
}

/** The place last written for `projectId` and when, or null. */
export function readPlace<T>(projectId: string): { at: number; value: T } | null {
  const ls = storage();
  if (!ls) return null;
  try {
    const text = ls.getItem(`${PLACE_PREFIX}${projectId}`);
    if (!text) return null;
    const p = JSON.parse(text) as { at?: unknown; value?: unknown };
    return typeof p.at === 'number' && p.value && typeof p.value === 'object' ? { at: p.at, value: p.value as T } : null;
  } catch {
    return null;
  }
}

/** Forgets the place of a deleted project. */
export function dropPlace(projectId: string): void {
  try {
    storage()?.removeItem(`${PLACE_PREFIX}${projectId}`);
  } catch {
    // nothing to do
  }
}
