import { describe, expect, it } from 'vitest';
import { applyDiff, applyDiffChecked, composeDiffs, DiffBuilder, integrityProblems, invertDiff } from './changes.ts';
import { emptyProject, type Annotation, type Project } from './types.ts';

function ann(id: number, imageId: number, categoryId: number): Annotation {
  return {
    id,
    imageId,
    categoryId,
    segmentation: { size: [2, 2], counts: '04' },
    area: 4,
    bbox: [0, 0, 2, 2],
    score: null,
    prompts: { points: [], box: null },
    source: 'points',
    createdAt: 0,
  };
}

function base(): Project {
  return {
    ...emptyProject('p'),
    images: [
      { id: 1, fileName: 'a.png', width: 2, height: 2 },
      { id: 2, fileName: 'b.png', width: 2, height: 2 },
    ],
    annotations: [ann(1, 1, 1)],
  };
}

describe('document diffs', () => {
  it('apply, invert and apply again give back the project exactly (records, order, name)', () => {
    const p = base();
    const b = new DiffBuilder(p)
      .add('categories', { id: 2, name: 'cat', color: '#00ff00' })
      .add('annotations', ann(2, 2, 2))
      .update('annotations', 1, (a) => ({ ...a, categoryId: 2 }))
      .remove('images', 1)
      .rename('q');
    // the builder's view equals the applied diff
    const after = applyDiff(p, b.diff);
    expect(after).toEqual(b.project);
    expect(after.images.map((i) => i.id)).toEqual([2]);
    expect(after.name).toBe('q');
    const back = applyDiff(after, invertDiff(b.diff));
    expect(back).toEqual(p);
    // a removed record goes back to where it was (id order), not to the end
    expect(back.images.map((i) => i.id)).toEqual([1, 2]);
  });

  it('leaves untouched collections shared (cheap snapshots)', () => {
    const p = base();
    const d = new DiffBuilder(p).add('categories', { id: 2, name: 'x', color: '#000000' }).diff;
    const q = applyDiff(p, d);
    expect(q.annotations).toBe(p.annotations);
    expect(q.categories).not.toBe(p.categories);
  });

  it('composes steps on one record into one operation (a rename typed letter by letter)', () => {
    const p = base();
    const d1 = new DiffBuilder(p).update('categories', 1, (c) => ({ ...c, name: 'c' })).diff;
    const p1 = applyDiff(p, d1);
    const d2 = new DiffBuilder(p1).update('categories', 1, (c) => ({ ...c, name: 'ca' })).diff;
    const both = composeDiffs(d1, d2);
    expect(both.ops).toHaveLength(1);
    expect(both.ops[0]!.before).toEqual(p.categories[0]);
    expect((both.ops[0]!.after as { name: string }).name).toBe('ca');
    // created and removed again: nothing left
    const d3 = new DiffBuilder(p).add('categories', { id: 9, name: 'tmp', color: '#000000' }).diff;
    const d4 = new DiffBuilder(applyDiff(p, d3)).remove('categories', 9).diff;
    expect(composeDiffs(d3, d4).ops).toHaveLength(0);
  });

  it('finds dangling references: a record pointing at a missing category or image, a removal something still uses', () => {
    const p = base();
    const bad = new DiffBuilder(p).add('annotations', ann(5, 1, 42)).diff;
    expect(integrityProblems(applyDiff(p, bad), bad).map((x) => x.missing)).toEqual([{ coll: 'categories', id: 42 }]);
    const removal = new DiffBuilder(p).remove('categories', 1).diff;
    expect(integrityProblems(applyDiff(p, removal), removal).map((x) => [x.coll, x.id])).toEqual([['annotations', 1]]);
    const fine = new DiffBuilder(p).add('annotations', ann(5, 2, 1)).diff;
    expect(integrityProblems(applyDiff(p, fine), fine)).toEqual([]);
  });

  it('checked apply leaves records changed since alone and never leaves a dangling reference', () => {
    const p = base();
    // the user adds a category (one step)...
    const step = new DiffBuilder(p).add('categories', { id: 2, name: 'dog', color: '#00ff00' }).diff;
    let q = applyDiff(p, step);
    // ...then an import (not the user's step) adds an annotation that uses it
    q = applyDiff(q, new DiffBuilder(q).add('annotations', ann(7, 2, 2)).diff);
    const undo = applyDiffChecked(q, invertDiff(step));
    // removing the category would orphan the imported annotation: it stays
    expect(undo.project.categories.map((c) => c.id)).toEqual([1, 2]);
    expect(undo.applied.ops).toHaveLength(0);
    expect(undo.skipped).toHaveLength(1);

    // a record changed by someone else since the step keeps that change
    const rename = new DiffBuilder(p).update('categories', 1, (c) => ({ ...c, name: 'mine' })).diff;
    let r = applyDiff(p, rename);
    r = applyDiff(r, new DiffBuilder(r).update('categories', 1, (c) => ({ ...c, name: 'theirs' })).diff);
    const u = applyDiffChecked(r, invertDiff(rename));
    expect(u.project.categories[0]!.name).toBe('theirs');

    // an annotation re-created by undo whose image is gone meanwhile is not re-created
    const del = new DiffBuilder(p).remove('annotations', 1).diff;
    let s = applyDiff(p, del);
    s = applyDiff(s, new DiffBuilder(s).remove('images', 1).diff);
    const u2 = applyDiffChecked(s, invertDiff(del));
    expect(u2.project.annotations).toHaveLength(0);
    expect(integrityProblems(u2.project, u2.applied)).toHaveLength(0);
    expect(u2.skipped).toHaveLength(1);
  });
});
