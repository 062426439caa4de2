/**
 * The undo history: a list of the user's steps, each a document diff and/or a mask-session change,
 * with the image it was made on. Only `record`, `squash` and `run` changes enter it; `ignore` changes
 * (opening images, imports, machine proposals, restores, changes from elsewhere) never do, so undo
 * can only revert what the user did. Pure functions on plain data.
 */
import { composeDiffs, EMPTY_DIFF, type DocDiff } from '../../core/project/changes.ts';
import type { SessionSnapshot } from '../../inference/maskSession.ts';

/**
 * `run`: a background run's machine-made change (a propagation's frames), keyed by the run: its first change is a
 * new step; the later ones join the run's step wherever that is in the past (the person's steps made meanwhile stay
 * after it, their redo kept) and are refused once the run's step was undone (it is in the future: the run is taken
 * back; the store also refuses them once the step has left the history altogether).
 */
export type HistoryPolicy = 'record' | 'ignore' | 'squash' | 'run';

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

/** Whether any of `steps` changed a record `doc` changes. */
function touchesAny(steps: readonly HistoryEntry[], doc: DocDiff): boolean {
  if (steps.length === 0) return false;
  const keys = new Set(doc.ops.map((o) => `${o.coll}:${o.id}`));
  return steps.some((e) => e.doc.ops.some((o) => keys.has(`${o.coll}:${o.id}`)));
}

const join = (a: HistoryEntry, b: HistoryEntry): HistoryEntry => ({
  ...a,
  doc: composeDiffs(a.doc, b.doc),
  session: a.session && b.session ? { before: a.session.before, after: b.session.after } : (a.session ?? b.session),
});

/**
 * Adds a step (`record`), or joins it to the last one when both have the same squash key (`squash`), or to its
 * run's step (`run`, see HistoryPolicy). Null: a `run` change whose run was undone (not to be made).
 */
export function pushStep(h: History, entry: HistoryEntry, policy: 'record' | 'squash' | 'run'): History | null {
  const key = entry.squashKey;
  if (policy === 'run' && key !== undefined) {
    if (h.future.some((e) => e.squashKey === key)) return null;
    const at = h.past.findLastIndex((e) => e.squashKey === key);
    // joined in place unless a later step touched one of its records (undoing that step, then the run, must give
    // back what was there): then it is a step of its own at the end, with the same key
    if (at >= 0 && !touchesAny(h.past.slice(at + 1), entry.doc))
      return { past: h.past.map((e, i) => (i === at ? join(e, entry) : e)), future: h.future };
    // a run's first change is a new step, made now: the redo before it goes, as with any new step
    return { past: [...h.past.slice(-(HISTORY_LIMIT - 1)), entry], future: at >= 0 ? h.future : [] };
  }
  const last = h.past[h.past.length - 1];
  if (policy === 'squash' && last && key !== undefined && last.squashKey === key)
    return { past: [...h.past.slice(0, -1), join(last, entry)], future: [] };
  return { past: [...h.past.slice(-(HISTORY_LIMIT - 1)), entry], future: [] };
}

export function sessionStep(label: string, before: SessionSnapshot, after: SessionSnapshot): HistoryEntry {
  return { label, imageId: before.imageId ?? after.imageId, doc: EMPTY_DIFF, session: { before, after } };
}
