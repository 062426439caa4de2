/**
 * Turning the server's changes into a document diff (pure). Changes made by this very client, and
 * changes to records this client has changed and not yet pushed (its own push comes later and wins),
 * are left out; a change whose image or category is not here (yet) is kept back for a later pull.
 */
import { applyDiffChecked, DiffBuilder, type Collection, type DocDiff, type RecordOp } from '../project/changes.ts';
import type { Project } from '../project/types.ts';
import { recordKey, type ServerChange } from './protocol.ts';

export interface ServerDiff {
  diff: DocDiff;
  /** changes to apply after a later pull (what they refer to has not arrived) */
  parked: ServerChange[];
  /** changes by others to records this client wrote (for a notice) */
  touchedMine: ServerChange[];
}

export function diffFromServerChanges(
  project: Project,
  changes: readonly ServerChange[],
  clientId: string,
  pendingKeys: ReadonlySet<string>,
  mine: ReadonlySet<string>,
): ServerDiff {
  const b = new DiffBuilder(project);
  const latest = new Map<string, ServerChange>();
  for (const c of changes) {
    if (c.clientId === clientId) continue;
    const k = recordKey(c.coll, c.id);
    if (pendingKeys.has(k)) continue;
    latest.set(k, c);
  }
  const touchedMine: ServerChange[] = [];
  // dependency order: images and categories before what refers to them
  const order: Collection[] = ['images', 'categories', 'annotations', 'pendingBoxes', 'skipped'];
  const sorted = [...latest.values()].sort((a, b2) => order.indexOf(a.coll) - order.indexOf(b2.coll) || a.seq - b2.seq);
  // removals of images/categories go last (after what referred to them)
  const removals = sorted.filter((c) => c.data === null && (c.coll === 'images' || c.coll === 'categories'));
  const rest = sorted.filter((c) => !removals.includes(c));
  for (const c of [...rest, ...removals]) {
    if (mine.has(recordKey(c.coll, c.id))) touchedMine.push(c);
    if (c.data === null) b.remove(c.coll, c.id);
    else {
      // update finds the record by binary search; nothing happens when there is none, then it is new
      const n = b.ops.length;
      b.update(c.coll, c.id, () => c.data as never);
      if (b.ops.length === n) b.add(c.coll, c.data as never);
    }
  }
  const checked = applyDiffChecked(project, b.diff);
  const skippedKeys = new Set(checked.skipped.map((op: RecordOp) => recordKey(op.coll, op.id)));
  const parked = [...latest.values()].filter((c) => skippedKeys.has(recordKey(c.coll, c.id)));
  return { diff: checked.applied, parked, touchedMine };
}

/** A pending change as kept in the project's meta record (io/persist.ts's PendingSync). */
export interface TabPending {
  coll: string;
  id: number;
  opId: string;
  /** the page that holds it (absent: written before pending lists were kept per tab) */
  tab?: string;
}

/**
 * The pending list to store for a project several tabs of one browser have open: this tab's own
 * list, and every other tab's entries as stored now, except those this tab took over when it opened
 * the project (`adopted`: it sends them itself). Two tabs writing in turn no longer drop each other's
 * unsent changes, and a tab that crashed leaves its entries for the next page that opens the project.
 */
export function mergeTabPending<T extends TabPending>(
  stored: readonly T[],
  mine: readonly T[],
  tab: string,
  adopted: ReadonlySet<string>,
): T[] {
  const own = new Set(mine.map((p) => `${p.coll}:${p.id}`));
  const others = stored.filter((p) => p.tab !== undefined && p.tab !== tab && !adopted.has(p.opId) && !own.has(`${p.coll}:${p.id}`));
  return [...others, ...mine];
}
