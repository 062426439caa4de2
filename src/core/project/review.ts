import { rleIou } from '../mask/rle.ts';
import type { Annotation } from './types.ts';

/** A proposal is hidden once an accepted annotation covers it this much (IoU). */
export const COVERED_IOU = 0.5;

function boxesOverlap(a: readonly number[], b: readonly number[]): boolean {
  return a[0]! < b[0]! + b[2]! && b[0]! < a[0]! + a[2]! && a[1]! < b[1]! + b[3]! && b[1]! < a[1]! + a[3]!;
}

/**
 * Ids of the proposals (review 'pending') that an accepted annotation of the same image covers with
 * IoU > {@link COVERED_IOU}: the object is done, so its machine proposal is not shown again.
 * Computed on the RLE runs, with a box test first.
 */
export function coveredProposalIds(annotations: readonly Annotation[]): Set<number> {
  const accepted = new Map<number, Annotation[]>();
  for (const a of annotations) {
    if (a.review === 'pending') continue;
    const list = accepted.get(a.imageId) ?? [];
    list.push(a);
    accepted.set(a.imageId, list);
  }
  const out = new Set<number>();
  for (const p of annotations) {
    if (p.review !== 'pending') continue;
    for (const a of accepted.get(p.imageId) ?? []) {
      const sameSize = p.segmentation.size[0] === a.segmentation.size[0] && p.segmentation.size[1] === a.segmentation.size[1];
      if (sameSize && boxesOverlap(p.bbox, a.bbox) && rleIou(p.segmentation, a.segmentation) > COVERED_IOU) {
        out.add(p.id);
        break;
      }
    }
  }
  return out;
}

/**
 * The proposals of an image still to review, in review order: most confident first (the model's
 * predicted IoU), larger first on ties, then by id.
 */
export function proposalsToReview(annotations: readonly Annotation[], imageId: number, covered: ReadonlySet<number>): Annotation[] {
  return annotations
    .filter((a) => a.imageId === imageId && a.review === 'pending' && !covered.has(a.id))
    .sort((a, b) => (b.score ?? 0) - (a.score ?? 0) || b.area - a.area || a.id - b.id);
}
