/**
 * Per-image indexes of a project's annotations, kept up to date incrementally: a project of 300,000
 * annotations changes one record per accept, and the views (the image list, the canvas, the panels,
 * statistics) must not walk all of them on every change. Annotation lists are id-ordered and
 * records are immutable, so the records a new list changed are found by walking it beside the
 * previous one (pointer comparisons, no work per record), and only the images they belong to are
 * indexed again.
 *
 * `byImage` gives each image its own array, replaced only when one of its annotations changed: a
 * view of one image can memoize on it. The maps of the index are updated in place for the newest
 * list; an index asked for an older list is built anew.
 */
import { coveredProposalIds } from './review.ts';
import type { Annotation } from './types.ts';

export interface AnnotationIndex {
  /** the list this index describes */
  readonly annotations: readonly Annotation[];
  readonly byId: ReadonlyMap<number, Annotation>;
  /** each image's annotations in id order (absent: none); an image's array changes only when they do */
  readonly byImage: ReadonlyMap<number, readonly Annotation[]>;
  /** proposals hidden because an accepted annotation of their image covers them */
  readonly covered: ReadonlySet<number>;
  /** annotations per category */
  readonly perCategory: ReadonlyMap<number, number>;
  /** proposals (review 'pending'), covered ones included */
  readonly pending: number;
  /** proposals per image (absent: none) */
  readonly pendingByImage: ReadonlyMap<number, number>;
}

interface Mutable {
  annotations: readonly Annotation[];
  byId: Map<number, Annotation>;
  byImage: Map<number, Annotation[]>;
  coveredByImage: Map<number, Set<number>>;
  covered: Set<number>;
  perCategory: Map<number, number>;
  pending: number;
  pendingByImage: Map<number, number>;
}

let last: Mutable | null = null;

/** How many records may change before building the index anew is cheaper than patching it. */
const PATCH_LIMIT = 2000;

function build(annotations: readonly Annotation[]): Mutable {
  const byId = new Map<number, Annotation>();
  const byImage = new Map<number, Annotation[]>();
  const perCategory = new Map<number, number>();
  let pending = 0;
  const pendingByImage = new Map<number, number>();
  for (const a of annotations) {
    if (a.review === 'pending') {
      pending++;
      pendingByImage.set(a.imageId, (pendingByImage.get(a.imageId) ?? 0) + 1);
    }
    byId.set(a.id, a);
    const list = byImage.get(a.imageId);
    if (list) list.push(a);
    else byImage.set(a.imageId, [a]);
    perCategory.set(a.categoryId, (perCategory.get(a.categoryId) ?? 0) + 1);
  }
  const coveredByImage = new Map<number, Set<number>>();
  const covered = new Set<number>();
  for (const [imageId, list] of byImage) {
    const c = coveredIn(list);
    if (c.size) {
      coveredByImage.set(imageId, c);
      for (const id of c) covered.add(id);
    }
  }
  return { annotations, byId, byImage, coveredByImage, covered, perCategory, pending, pendingByImage };
}

function coveredIn(list: readonly Annotation[]): Set<number> {
  // only images with proposals can have covered ones
  return list.some((a) => a.review === 'pending') ? coveredProposalIds(list) : new Set();
}

/**
 * The records that differ between two id-ordered lists: removed (in `a` only), added (in `b` only)
 * and replaced (same id, another object). Null when more than `limit` differ.
 */
function changedRecords(
  a: readonly Annotation[],
  b: readonly Annotation[],
  limit: number,
): { before: Annotation | null; after: Annotation | null }[] | null {
  const out: { before: Annotation | null; after: Annotation | null }[] = [];
  let i = 0;
  let j = 0;
  let lastId = -Infinity;
  let checked = -1;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    // the walk needs `b` in id order (the project keeps it so); a list that is not is indexed anew
    if (y !== undefined && j !== checked) {
      if (y.id <= lastId) return null;
      lastId = y.id;
      checked = j;
    }
    if (x === y) {
      i++;
      j++;
      continue;
    }
    if (x && y && x.id === y.id) {
      out.push({ before: x, after: y });
      i++;
      j++;
    } else if (y === undefined || (x !== undefined && x.id < y.id)) {
      out.push({ before: x!, after: null });
      i++;
    } else {
      out.push({ before: null, after: y });
      j++;
    }
    if (out.length > limit) return null;
  }
  return out;
}

/** The index of `annotations` (the project's annotation list, in id order). */
export function annotationIndex(annotations: readonly Annotation[]): AnnotationIndex {
  if (last?.annotations === annotations) return last;
  const changes = last ? changedRecords(last.annotations, annotations, PATCH_LIMIT) : null;
  if (!last || !changes) {
    last = build(annotations);
    return last;
  }
  const idx = last;
  const images = new Set<number>();
  for (const { before, after } of changes) {
    if (before) {
      if (before.review === 'pending') idx.pending--;
      idx.byId.delete(before.id);
      images.add(before.imageId);
      const n = (idx.perCategory.get(before.categoryId) ?? 1) - 1;
      if (n > 0) idx.perCategory.set(before.categoryId, n);
      else idx.perCategory.delete(before.categoryId);
    }
    if (after) {
      if (after.review === 'pending') idx.pending++;
      idx.byId.set(after.id, after);
      images.add(after.imageId);
      idx.perCategory.set(after.categoryId, (idx.perCategory.get(after.categoryId) ?? 0) + 1);
    }
  }
  // the changed images get new arrays (in id order), built from the records changed
  const removed = new Set<Annotation>();
  const added = new Map<number, Annotation[]>();
  for (const { before, after } of changes) {
    if (before) removed.add(before);
    if (after) {
      const l = added.get(after.imageId);
      if (l) l.push(after);
      else added.set(after.imageId, [after]);
    }
  }
  for (const imageId of images) {
    const list = (idx.byImage.get(imageId) ?? []).filter((a) => !removed.has(a));
    const more = added.get(imageId);
    if (more) {
      list.push(...more);
      list.sort((x, y) => x.id - y.id);
    }
    if (list.length) idx.byImage.set(imageId, list);
    else idx.byImage.delete(imageId);
    let p = 0;
    for (const a of list) if (a.review === 'pending') p++;
    if (p) idx.pendingByImage.set(imageId, p);
    else idx.pendingByImage.delete(imageId);
    for (const id of idx.coveredByImage.get(imageId) ?? []) idx.covered.delete(id);
    const c = coveredIn(list);
    if (c.size) {
      idx.coveredByImage.set(imageId, c);
      for (const id of c) idx.covered.add(id);
    } else idx.coveredByImage.delete(imageId);
  }
  idx.annotations = annotations;
  return idx;
}

const NONE: readonly Annotation[] = [];

/** The annotations of one image (an empty list when it has none). */
export function annotationsOf(annotations: readonly Annotation[], imageId: number | null): readonly Annotation[] {
  if (imageId === null) return NONE;
  return annotationIndex(annotations).byImage.get(imageId) ?? NONE;
}
