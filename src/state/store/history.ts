/**
 * The undo history: a list of the user's steps, each a document diff and/or a mask-session change,
 * with the image it was made on. Only `record` and `squash` changes enter it; `ignore` changes
 * (opening images, imports, machine proposals, restores, changes from elsewhere) never do, so undo
 * can only revert what the user did. Pure functions on plain data.
 */
import { composeDiffs, EMPTY_DIFF, type DocDiff } from '../../core/project/changes.ts';
import type { SessionSnapshot } from '../../inference/maskSession.ts';

export type HistoryPolicy = 'record' | 'ignore' | 'squash';

export const HISTORY_LIMIT = 200;

export interface HistoryEntry {
  /** what the step did, for the Undo/Redo buttons ("Undo accept") */
  label: string;
  /** the image the step was made on: undo and redo show it first */
  imageId: number | null;
  doc: DocDiff;
  /** the mask being drafted before and after the step */
  session: { before: SessionSnapshot; after: SessionSnapshot } | null;
  /** a `squash` change with the same key joins this step */
  squashKey?: string;
  /** the step is written to disk at once (an accept), and so are its undo and redo */
  saveNow?: true;
}

export interface History {
  past: HistoryEntry[];
  future: HistoryEntry[];
}

export const EMPTY_HISTORY: History = { past: [], future: [] };

/** Adds a step (`record`), or joins it to the last one when both have the same squash key (`squash`). */
export function pushStep(h: History, entry: HistoryEntry, policy: 'record' | 'squash'): History {
  const last = h.past[h.past.length - 1];
  if (policy === 'squash' && last && entry.squashKey !== undefined && last.squashKey === entry.squashKey) {
    const joined: HistoryEntry = {
      ...last,
      doc: composeDiffs(last.doc, entry.doc),
      session:
        last.session && entry.session ? { before: last.session.before, after: entry.session.after } : (last.session ?? entry.session),
    };
    return { past: [...h.past.slice(0, -1), joined], future: [] };
  }
  return { past: [...h.past.slice(-(HISTORY_LIMIT - 1)), entry], future: [] };
}

export function sessionStep(label: string, before: SessionSnapshot, after: SessionSnapshot): HistoryEntry {
  return { label, imageId: before.imageId ?? after.imageId, doc: EMPTY_DIFF, session: { before, after } };
}
