import { describe, expect, it } from 'vitest';
import { rleFromMask } from '../mask/rle.ts';
import { annotationIndex, annotationsOf } from './annotationIndex.ts';
import { coveredProposalIds } from './review.ts';
import type { Annotation } from './types.ts';

const W = 12;
const H = 10;
function rect(x: number, y: number, w: number, h: number) {
  const m = new Uint8Array(W * H);
  for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) m[yy * W + xx] = 1;
  return rleFromMask(m, W, H);
}

function ann(id: number, imageId: number, categoryId: number, x: number, pending: boolean): Annotation {
  return {
    id,
    imageId,
    categoryId,
    segmentation: rect(x, 2, 4, 4),
    area: 16,
    bbox: [x, 2, 4, 4],
    score: null,
    prompts: { points: [], box: null },
    source: pending ? 'auto' : 'click',
    createdAt: 0,
    ...(pending ? { review: 'pending' as const } : {}),
  };
}

/** What the index must say, computed from scratch. */
function expected(list: readonly Annotation[]) {
  const byImage = new Map<number, number[]>();
  const perCategory = new Map<number, number>();
  const pendingByImage = new Map<number, number>();
  for (const a of list) {
    if (a.review === 'pending') pendingByImage.set(a.imageId, (pendingByImage.get(a.imageId) ?? 0) + 1);
    byImage.set(a.imageId, [...(byImage.get(a.imageId) ?? []), a.id]);
    perCategory.set(a.categoryId, (perCategory.get(a.categoryId) ?? 0) + 1);
  }
  return {
    byImage,
    perCategory,
    covered: coveredProposalIds(list),
    ids: list.map((a) => a.id).sort((x, y) => x - y),
    pending: list.filter((a) => a.review === 'pending').length,
    pendingByImage,
  };
}

function actual(list: readonly Annotation[]) {
  const idx = annotationIndex(list);
  return {
    byImage: new Map([...idx.byImage].map(([k, v]) => [k, v.map((a) => a.id)])),
    perCategory: new Map(idx.perCategory),
    covered: new Set(idx.covered),
    ids: [...idx.byId.keys()].sort((a, b) => a - b),
    pending: idx.pending,
    pendingByImage: new Map(idx.pendingByImage),
  };
}

describe('annotationIndex', () => {
  it('patched change by change, it says what a fresh count says (adds, edits, removals, proposals covered and uncovered)', () => {
    let s = 3;
    const r = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    let list: Annotation[] = [];
    let nextId = 1;
    for (let step = 0; step < 400; step++) {
      const op = r();
      if (op < 0.5 || list.length === 0)
        list = [...list, ann(nextId++, 1 + Math.floor(r() * 4), 1 + Math.floor(r() * 3), Math.floor(r() * 6), r() < 0.5)];
      else if (op < 0.75) {
        const i = Math.floor(r() * list.length);
        const a = list[i]!;
        const { review: _review, ...rest } = a;
        const edited: Annotation = { ...rest, categoryId: 1 + Math.floor(r() * 3), ...(r() < 0.5 ? { review: 'pending' as const } : {}) };
        list = list.map((x, k) => (k === i ? edited : x));
      } else {
        const i = Math.floor(r() * list.length);
        list = list.filter((_, k) => k !== i);
      }
      // now and then several at once, as an import or an undo of many makes them
      if (step % 50 === 49) for (let k = 0; k < 30; k++) list = [...list, ann(nextId++, 5, 2, k % 6, k % 2 === 0)];
      expect(actual(list), `step ${step}`).toEqual(expected(list));
    }
  });

  it('an image whose annotations did not change keeps its array (views of it can memoize on it)', () => {
    const a = [ann(1, 1, 1, 0, false), ann(2, 2, 1, 0, false)];
    const first = annotationsOf(a, 1);
    const b = [...a, ann(3, 2, 1, 4, false)];
    expect(annotationsOf(b, 1)).toBe(first);
    expect(annotationsOf(b, 2).map((x) => x.id)).toEqual([2, 3]);
    expect(annotationsOf(b, 9)).toEqual([]);
    // an older list is indexed anew, correctly
    expect(annotationsOf(a, 2).map((x) => x.id)).toEqual([2]);
    // so is a list out of id order (an old save)
    const shuffled = [ann(9, 3, 1, 0, false), ann(4, 3, 1, 4, false), ann(6, 1, 1, 0, false)];
    expect(actual(shuffled)).toEqual(expected(shuffled));
  });
});
