import { describe, expect, it } from 'vitest';
import { emptyProject, type Annotation, type Project } from '../project/types.ts';
import { diffFromServerChanges } from './apply.ts';
import type { ServerChange } from './protocol.ts';
import { mayWrite } from './roles.ts';
import { applyDiff } from '../project/changes.ts';

function ann(id: number, imageId: number, area = 4): Annotation {
  return {
    id,
    imageId,
    categoryId: 1,
    segmentation: { size: [2, 2], counts: area === 4 ? '04' : '13' },
    area,
    bbox: [0, 0, 2, 2],
    score: null,
    prompts: { points: [], box: null },
    source: 'sam',
    createdAt: 1,
  };
}

function base(): Project {
  return { ...emptyProject('p'), images: [{ id: 1, fileName: 'a.jpg', width: 2, height: 2 }], annotations: [ann(1, 1)] };
}

let seq = 0;
function change(c: Partial<ServerChange> & Pick<ServerChange, 'coll' | 'id' | 'data'>): ServerChange {
  return { seq: ++seq, username: 'bob', clientId: 'bob-1', opId: `o${seq}`, ...c };
}

describe('diffFromServerChanges', () => {
  it('adds, updates and removes records as the server says, the latest change of a record winning', () => {
    const p = base();
    const r = diffFromServerChanges(
      p,
      [
        change({ coll: 'annotations', id: 2, data: ann(2, 1, 3) }),
        change({ coll: 'annotations', id: 1, data: ann(1, 1, 3) }),
        change({ coll: 'annotations', id: 2, data: ann(2, 1, 4) }),
      ],
      'me',
      new Set(),
      new Set(),
    );
    const after = applyDiff(p, r.diff);
    expect(after.annotations.map((a) => [a.id, a.area])).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(r.parked).toEqual([]);
  });

  it("leaves out this client's own changes and records it changed and has not pushed yet", () => {
    const p = base();
    const r = diffFromServerChanges(
      p,
      [
        change({ coll: 'annotations', id: 1, data: null, clientId: 'me' }),
        change({ coll: 'annotations', id: 1, data: ann(1, 1, 3), clientId: 'x' }),
      ],
      'me',
      new Set(['annotations:1']),
      new Set(),
    );
    expect(r.diff.ops).toEqual([]);
  });

  it('keeps back a change whose image has not arrived, and applies it once the image is there', () => {
    const p = base();
    const orphan = change({ coll: 'annotations', id: 5, data: ann(5, 9) });
    const r = diffFromServerChanges(p, [orphan], 'me', new Set(), new Set());
    expect(r.diff.ops).toEqual([]);
    expect(r.parked).toEqual([orphan]);
    const image = change({ coll: 'images', id: 9, data: { id: 9, fileName: 'b.jpg', width: 2, height: 2 } });
    const r2 = diffFromServerChanges(p, [...r.parked, image], 'me', new Set(), new Set());
    expect(applyDiff(p, r2.diff).annotations.map((a) => a.id)).toEqual([1, 5]);
  });

  it('applies an image removal after the removals of what referred to it', () => {
    const p = base();
    const r = diffFromServerChanges(
      p,
      [change({ coll: 'images', id: 1, data: null }), change({ coll: 'annotations', id: 1, data: null })],
      'me',
      new Set(),
      new Set(),
    );
    const after = applyDiff(p, r.diff);
    expect(after.images).toEqual([]);
    expect(after.annotations).toEqual([]);
  });

  it("reports others' changes to records this client wrote", () => {
    const c = change({ coll: 'annotations', id: 1, data: ann(1, 1, 3) });
    expect(diffFromServerChanges(base(), [c], 'me', new Set(), new Set(['annotations:1'])).touchedMine).toEqual([c]);
  });
});

describe('mayWrite', () => {
  const im = { id: 1, fileName: 'a.jpg', width: 2, height: 2 };
  it('lets annotators and reviewers mark images done and nothing else about images', () => {
    for (const role of ['annotator', 'reviewer'] as const) {
      expect(mayWrite(role, 'images', im, { ...im, done: true })).toBe(true);
      expect(mayWrite(role, 'images', im, { ...im, width: 3 })).toBe(false);
      expect(mayWrite(role, 'images', null, im)).toBe(false);
      expect(mayWrite(role, 'images', im, null)).toBe(false);
      expect(mayWrite(role, 'categories', null, { id: 2, name: 'x', color: '#000000' })).toBe(false);
    }
    expect(mayWrite('admin', 'images', null, im)).toBe(true);
  });
  it('lets reviewers change and remove annotations but not draw new ones', () => {
    expect(mayWrite('reviewer', 'annotations', ann(1, 1), { ...ann(1, 1), review: 'accepted' })).toBe(true);
    expect(mayWrite('reviewer', 'annotations', ann(1, 1), null)).toBe(true);
    expect(mayWrite('reviewer', 'annotations', null, ann(2, 1))).toBe(false);
    expect(mayWrite('annotator', 'annotations', null, ann(2, 1))).toBe(true);
    expect(mayWrite('reviewer', 'skipped', null, { id: 1, imageId: 1, timeMs: 1, clicks: 1, strokes: 0, at: 1 })).toBe(false);
  });
});
