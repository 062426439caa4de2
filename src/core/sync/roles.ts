/**
 * Who may change what in a server project. Admins: everything (images, categories, members, the
 * project). Annotators: annotations, waiting boxes and skipped objects, and an image's "done" mark.
 * Reviewers: change or remove existing annotations (accept, relabel, fix, reject), and an image's
 * "done" mark; they do not draw new ones. The server checks every operation with this; the app uses it
 * to say why a change was refused.
 */
import type { Collection } from '../project/changes.ts';
import type { AnyRecord, Role } from './protocol.ts';

function onlyDoneChanged(before: AnyRecord | null, after: AnyRecord | null): boolean {
  if (!before || !after) return false;
  const a = { ...(before as unknown as Record<string, unknown>) };
  const b = { ...(after as unknown as Record<string, unknown>) };
  delete a.done;
  delete b.done;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return false;
  return true;
}

/** Whether `role` may turn `before` (null: none) into `after` (null: removed) in `coll`. */
export function mayWrite(role: Role, coll: Collection, before: AnyRecord | null, after: AnyRecord | null): boolean {
  if (role === 'admin') return true;
  if (coll === 'images') return onlyDoneChanged(before, after);
  if (coll === 'categories') return false;
  if (role === 'annotator') return true;
  // reviewer
  return coll === 'annotations' && before !== null;
}
