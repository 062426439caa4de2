/**
 * Changes to a project document as diffs of records. Every change to the document (a user edit, an
 * import, a machine proposal, a change from another tab or user) is a {@link DocDiff}: a list of
 * record operations, each with the record before and after. Diffs invert exactly, compose, and
 * apply either strictly (a change made now, on the state it was computed from) or checked (undo and
 * redo, where other changes may have happened since: an operation whose record changed since is
 * left alone, and one that would leave a dangling reference is dropped). Pure: no store, no DOM.
 */
import type { Annotation, Category, ImageRecord, PendingBox, Project, SkippedObject } from './types.ts';

/** The document's record collections, each a list of records with a numeric `id`. */
export interface Collections {
  images: ImageRecord;
  categories: Category;
  annotations: Annotation;
  pendingBoxes: PendingBox;
  skipped: SkippedObject;
}
export type Collection = keyof Collections;
/** In dependency order: a record only refers to records of collections before it. */
export const COLLECTIONS: readonly Collection[] = ['images', 'categories', 'annotations', 'pendingBoxes', 'skipped'];

/**
 * One record created (`before` null), changed, or removed (`after` null). Every list is kept in id
 * order (ids are given in creation order), so a record re-created by undo goes back where it was,
 * whatever happened to the list since, and a reloaded project has the same order.
 */
export type RecordOp = {
  [C in Collection]: { coll: C; id: number; before: Collections[C] | null; after: Collections[C] | null };
}[Collection];

export interface DocDiff {
  ops: RecordOp[];
  /** the project's name */
  name?: { before: string; after: string };
}

export const EMPTY_DIFF: DocDiff = { ops: [] };

export function isEmptyDiff(d: DocDiff): boolean {
  return d.ops.length === 0 && (!d.name || d.name.before === d.name.after);
}

function list<C extends Collection>(p: Project, c: C): Collections[C][] {
  return p[c] as unknown as Collections[C][];
}

/**
 * Builds a diff against a project, one operation at a time; each operation sees the ones before it
 * (`project` is the state with all of them applied). The builder copies a collection the first time
 * an operation touches it and then changes its copy in place, so building a diff of many records
 * (an import) costs O(records), not O(records²); `project` is its working state, read it but do not
 * keep it past the next operation.
 */
export class DiffBuilder {
  readonly ops: RecordOp[] = [];
  private name: { before: string; after: string } | undefined;
  private readonly owned = new Set<Collection>();
  constructor(public project: Project) {}

  get diff(): DocDiff {
    return this.name ? { ops: [...this.ops], name: this.name } : { ops: [...this.ops] };
  }

  private push(op: RecordOp): void {
    this.ops.push(op);
    if (!this.owned.has(op.coll)) {
      this.owned.add(op.coll);
      this.project = { ...this.project, [op.coll]: [...list(this.project, op.coll)] };
    }
    applyOpInPlace(list(this.project, op.coll) as { id: number }[], op);
  }

  add<C extends Collection>(coll: C, rec: Collections[C]): this {
    this.push({ coll, id: rec.id, before: null, after: rec } as RecordOp);
    return this;
  }

  /** Replaces a record with `fn(record)`; a record that does not exist is left alone. */
  update<C extends Collection>(coll: C, id: number, fn: (r: Collections[C]) => Collections[C]): this {
    const items = list(this.project, coll);
    const before = items[indexOfId(items, id)];
    if (!before) return this;
    const after = fn(before);
    if (after !== before) this.push({ coll, id, before, after } as RecordOp);
    return this;
  }

  remove(coll: Collection, id: number): this {
    const items = list(this.project, coll);
    const before = items[indexOfId(items, id)];
    if (before) this.push({ coll, id, before, after: null } as RecordOp);
    return this;
  }

  rename(name: string): this {
    if (name === this.project.name) return this;
    this.name = { before: this.name?.before ?? this.project.name, after: name };
    this.project = { ...this.project, name };
    return this;
  }
}

/** Index of the record with `id` in an id-ordered list, or -1 (binary search; a list out of order is searched through). */
export function indexOfId(items: readonly { id: number }[], id: number): number {
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = items[mid]!.id;
    if (v === id) return mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  // lists are kept in id order; one that is not (an old save) is still searched through
  return items.findIndex((r) => r.id === id);
}

/** Applies one operation to an id-ordered list, in place (not checked: see {@link applyDiffChecked}). */
function applyOpInPlace<T extends { id: number }>(items: T[], op: { id: number; before: T | null; after: T | null }): void {
  const last = items[items.length - 1];
  // new ids are the largest: the common case appends
  if (op.after !== null && (!last || last.id < op.id)) {
    items.push(op.after);
    return;
  }
  const at = indexOfId(items, op.id);
  if (op.after === null) {
    if (at >= 0) items.splice(at, 1);
    return;
  }
  if (at >= 0) {
    items[at] = op.after;
    return;
  }
  let i = items.length;
  while (i > 0 && items[i - 1]!.id > op.id) i--;
  items.splice(i, 0, op.after);
}

/** The project with the diff applied; untouched collections are shared, each touched one is copied once. */
export function applyDiff(project: Project, diff: DocDiff): Project {
  if (diff.ops.length === 0 && !diff.name) return project;
  const out: Project = { ...project };
  const copied = new Set<Collection>();
  for (const op of diff.ops) {
    if (!copied.has(op.coll)) {
      copied.add(op.coll);
      (out as unknown as Record<Collection, unknown[]>)[op.coll] = [...list(out, op.coll)];
    }
    applyOpInPlace(list(out, op.coll) as { id: number }[], op);
  }
  if (diff.name) out.name = diff.name.after;
  return out;
}

/** The diff that undoes `diff`. */
export function invertDiff(diff: DocDiff): DocDiff {
  const ops = [...diff.ops].reverse().map((op) => ({ ...op, before: op.after, after: op.before }) as RecordOp);
  return diff.name ? { ops, name: { before: diff.name.after, after: diff.name.before } } : { ops };
}

/**
 * `a` then `b` as one diff; operations on the same record are folded into one (first `before`,
 * last `after`), and a record created and removed again disappears from the diff.
 */
export function composeDiffs(a: DocDiff, b: DocDiff): DocDiff {
  const ops: RecordOp[] = [];
  const at = new Map<string, number>();
  for (const op of [...a.ops, ...b.ops]) {
    const key = `${op.coll}:${op.id}`;
    const i = at.get(key);
    if (i === undefined) {
      at.set(key, ops.length);
      ops.push(op);
      continue;
    }
    const first = ops[i]!;
    ops[i] = { ...first, after: op.after } as RecordOp;
  }
  const kept = ops.filter((op) => !(op.before === null && op.after === null) && op.before !== op.after);
  const name = a.name || b.name ? { before: a.name?.before ?? b.name!.before, after: b.name?.after ?? a.name!.after } : undefined;
  return name && name.before !== name.after ? { ops: kept, name } : { ops: kept };
}

/** A reference from a record to one that does not exist. */
export interface IntegrityProblem {
  coll: Collection;
  id: number;
  /** the missing record it refers to */
  missing: { coll: 'images' | 'categories'; id: number };
  message: string;
}

/** Dangling references among the records the diff touches (what a change may not leave behind). */
export function integrityProblems(project: Project, diff: DocDiff): IntegrityProblem[] {
  const out: IntegrityProblem[] = [];
  const images = new Set(project.images.map((r) => r.id));
  const categories = new Set(project.categories.map((r) => r.id));
  const problem = (coll: Collection, id: number, refColl: 'images' | 'categories', refId: number): IntegrityProblem => ({
    coll,
    id,
    missing: { coll: refColl, id: refId },
    message: `${coll} ${id} refers to ${refColl === 'images' ? 'image' : 'category'} ${refId}, which does not exist`,
  });
  const checkRecord = (coll: Collection, r: { id: number; imageId?: number; categoryId?: number }) => {
    if (r.imageId !== undefined && !images.has(r.imageId)) out.push(problem(coll, r.id, 'images', r.imageId));
    if (r.categoryId !== undefined && !categories.has(r.categoryId)) out.push(problem(coll, r.id, 'categories', r.categoryId));
  };
  const removedImages = new Set<number>();
  const removedCategories = new Set<number>();
  for (const op of diff.ops) {
    if (op.after) {
      if (op.coll === 'annotations' || op.coll === 'pendingBoxes' || op.coll === 'skipped') checkRecord(op.coll, op.after);
    } else if (op.coll === 'images' && !images.has(op.id)) removedImages.add(op.id);
    else if (op.coll === 'categories' && !categories.has(op.id)) removedCategories.add(op.id);
  }
  if (removedImages.size || removedCategories.size) {
    for (const coll of ['annotations', 'pendingBoxes', 'skipped'] as const) {
      for (const r of list(project, coll) as { id: number; imageId: number; categoryId?: number }[]) {
        if (removedImages.has(r.imageId)) out.push(problem(coll, r.id, 'images', r.imageId));
        if (r.categoryId !== undefined && removedCategories.has(r.categoryId)) out.push(problem(coll, r.id, 'categories', r.categoryId));
      }
    }
  }
  return out;
}

function sameRecord(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Applies a diff where it still fits (undo and redo): an operation applies only where its record is
 * still as `before` says (a record changed since by another change, e.g. an import or another user,
 * keeps that later change), and operations that would leave an annotation, box or skip referring to
 * a missing image or category are dropped (with the operations on the same record). Returns the new
 * project, the diff that was applied and the operations left out.
 */
export function applyDiffChecked(project: Project, diff: DocDiff): { project: Project; applied: DocDiff; skipped: RecordOp[] } {
  let ops: RecordOp[] = [];
  const skipped: RecordOp[] = [];
  for (const op of diff.ops) {
    const items = list(project, op.coll);
    const current = items[indexOfId(items, op.id)] ?? null;
    if (sameRecord(current, op.before)) ops.push({ ...op, before: current } as RecordOp);
    else skipped.push(op);
  }
  // drop what would break references, until nothing does (dropping a removal can make others fit)
  for (;;) {
    const candidate = applyDiff(project, { ops });
    const problems = integrityProblems(candidate, { ops });
    if (problems.length === 0) break;
    const bad = new Set<string>();
    for (const p of problems) {
      // a removed image/category that something still refers to stays; a record that refers to a
      // missing one is not created or changed
      const removal = ops.find((op) => op.after === null && op.coll === p.missing.coll && op.id === p.missing.id);
      bad.add(removal ? `${removal.coll}:${removal.id}` : `${p.coll}:${p.id}`);
    }
    const before = ops.length;
    for (const op of ops) if (bad.has(`${op.coll}:${op.id}`)) skipped.push(op);
    ops = ops.filter((op) => !bad.has(`${op.coll}:${op.id}`));
    if (ops.length === before) break;
  }
  const name = diff.name && project.name === diff.name.before ? diff.name : undefined;
  const applied: DocDiff = name ? { ops, name } : { ops };
  return { project: applyDiff(project, applied), applied, skipped };
}

/** The records a diff touches, as `coll:id` keys (what an incremental save writes). */
export function touchedKeys(diff: DocDiff): { coll: Collection; id: number }[] {
  const seen = new Set<string>();
  const out: { coll: Collection; id: number }[] = [];
  for (const op of diff.ops) {
    const k = `${op.coll}:${op.id}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ coll: op.coll, id: op.id });
    }
  }
  return out;
}

/**
 * The diff from `a` to `b`, record by record (by id; a record whose object differs is an update).
 * For changes computed as a whole new project (imports).
 */
export function diffProjects(a: Project, b: Project): DocDiff {
  const ops: RecordOp[] = [];
  for (const coll of COLLECTIONS) {
    const before = list(a, coll);
    const after = list(b, coll);
    const inB = new Set(after.map((r) => r.id));
    for (const r of before) if (!inB.has(r.id)) ops.push({ coll, id: r.id, before: r, after: null } as RecordOp);
    const inA = new Map(before.map((r) => [r.id, r]));
    for (const r of after) {
      const old = inA.get(r.id);
      if (!old) ops.push({ coll, id: r.id, before: null, after: r } as RecordOp);
      else if (old !== r) ops.push({ coll, id: r.id, before: old, after: r } as RecordOp);
    }
  }
  const diff: DocDiff = { ops };
  if (a.name !== b.name) diff.name = { before: a.name, after: b.name };
  return diff;
}
