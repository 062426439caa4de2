/**
 * Property: whatever the user does, mixed with changes that are not theirs (images opened, imports,
 * machine proposals), undoing every recorded step gives back the document as it was plus exactly
 * those other changes, and redoing every step gives back the final document. No step ever leaves a
 * dangling reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDiff, integrityProblems, type DocDiff } from '../../core/project/changes.ts';
import { rleFromMask } from '../../core/mask/rle.ts';
import type { Project } from '../../core/project/types.ts';
import { imageFile, testStore } from '../test/fakeDeps.ts';
import type { HistoryPolicy } from './history.ts';
import type { AppStore } from './store.ts';

const W = 24;
const H = 16;

type Step =
  | { kind: 'addCategory'; n: number }
  | { kind: 'rename'; pick: number; n: number }
  | { kind: 'recolor'; pick: number; c: number }
  | { kind: 'accept'; x: number; y: number; more: boolean }
  | { kind: 'draft'; x: number; y: number }
  | { kind: 'stroke'; x: number; y: number }
  | { kind: 'discard' }
  | { kind: 'delete'; pick: number }
  | { kind: 'select'; pick: number }
  | { kind: 'category'; index: number }
  | { kind: 'box'; x: number; y: number }
  | { kind: 'removeBox' }
  | { kind: 'image'; delta: 1 | -1 }
  | { kind: 'skip'; x: number; y: number }
  | { kind: 'undo' }
  | { kind: 'redo' }
  // not the user's: never undone
  | { kind: 'open' }
  | { kind: 'proposals'; n: number }
  | { kind: 'import'; n: number };

const xy = { x: fc.integer({ min: 0, max: W - 1 }), y: fc.integer({ min: 0, max: H - 1 }) };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('addCategory' as const), n: fc.nat(99) }),
  fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(), n: fc.nat(99) }),
  fc.record({ kind: fc.constant('recolor' as const), pick: fc.nat(), c: fc.nat(0xffffff) }),
  fc.record({ kind: fc.constant('accept' as const), ...xy, more: fc.boolean() }),
  fc.record({ kind: fc.constant('draft' as const), ...xy }),
  fc.record({ kind: fc.constant('stroke' as const), ...xy }),
  fc.record({ kind: fc.constant('discard' as const) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('select' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('category' as const), index: fc.nat(8) }),
  fc.record({ kind: fc.constant('box' as const), ...xy }),
  fc.record({ kind: fc.constant('removeBox' as const) }),
  fc.record({ kind: fc.constant('image' as const), delta: fc.constantFrom(1 as const, -1 as const) }),
  fc.record({ kind: fc.constant('skip' as const), ...xy }),
  fc.record({ kind: fc.constant('undo' as const) }),
  fc.record({ kind: fc.constant('redo' as const) }),
  fc.record({ kind: fc.constant('open' as const) }),
  fc.record({ kind: fc.constant('proposals' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('import' as const), n: fc.nat(99) }),
);

function pick<T>(list: readonly T[], i: number): T | undefined {
  return list.length ? list[i % list.length] : undefined;
}

function rectRle(x0: number, w: number) {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = x0; x < Math.min(W, x0 + w); x++) m[y * W + x] = 1;
  return rleFromMask(m, W, H);
}

let opened = 0;
let imported = 0;

async function run(store: AppStore, st: Step): Promise<void> {
  const s = store.getState();
  switch (st.kind) {
    case 'addCategory':
      s.addCategory(`user-${st.n}`);
      break;
    case 'rename': {
      const c = pick(s.project.categories, st.pick);
      if (c) s.renameCategory(c.id, `renamed-${st.n}`, c.name);
      break;
    }
    case 'recolor': {
      const c = pick(s.project.categories, st.pick);
      if (c) s.recolorCategory(c.id, `#${st.c.toString(16).padStart(6, '0')}`);
      break;
    }
    case 'accept':
      s.addPoint(st.x, st.y, true);
      if (st.more) s.addPoint((st.x + 7) % W, (st.y + 3) % H, false);
      await s.accept();
      break;
    case 'draft':
      s.addPoint(st.x, st.y, true);
      break;
    case 'stroke': {
      const stroke = { mode: 'add' as const, radius: 1.5, points: [st.x, st.y, (st.x + 4) % W, st.y] };
      s.beginStroke();
      s.strokeProgress(stroke);
      s.endStroke(stroke);
      break;
    }
    case 'discard':
      s.discardPrompts();
      break;
    case 'delete': {
      const a = pick(
        s.project.annotations.filter((x) => x.imageId === s.currentImageId),
        st.pick,
      );
      if (a) s.deleteAnnotation(a.id);
      break;
    }
    case 'select': {
      const a = pick(
        s.project.annotations.filter((x) => x.imageId === s.currentImageId),
        st.pick,
      );
      s.selectAnnotation(a?.id ?? null);
      break;
    }
    case 'category':
      s.setCategoryByIndex(st.index);
      break;
    case 'box':
      s.addPendingBox({ x0: st.x / 2, y0: st.y / 2, x1: st.x / 2 + 4, y1: st.y / 2 + 4 });
      break;
    case 'removeBox':
      s.removePendingBoxes(false);
      break;
    case 'image':
      s.stepImage(st.delta);
      break;
    case 'skip':
      s.addPoint(st.x, st.y, true);
      s.skipObject();
      break;
    case 'undo':
      s.undo();
      break;
    case 'redo':
      s.redo();
      break;
    case 'open':
      await s.addImageBlobs([{ blob: imageFile(W, H), name: `opened-${++opened}.png` }], 'if-none');
      break;
    case 'proposals': {
      const im = s.currentImageId;
      if (im === null) break;
      const masks = Array.from({ length: st.n }, (_, i) => ({
        rle: rectRle(i * 5, 3),
        area: 3 * H,
        bbox: [i * 5, 0, 3, H] as [number, number, number, number],
        score: 0.5 + i / 10,
        categoryId: s.project.categories[0]!.id,
        prompts: { points: [], box: null },
        source: 'auto',
        attributes: {},
      }));
      s.addProposals(im, masks, []);
      break;
    }
    case 'import': {
      const im = s.project.images[0];
      if (!im) break;
      const coco = {
        images: [{ id: 1, file_name: im.fileName, width: W, height: H }],
        categories: [{ id: 5, name: `imp-${++imported}-${st.n}` }],
        annotations: [
          { id: 1, image_id: 1, category_id: 5, segmentation: rectRle(2, 4), area: 4 * H, bbox: [2, 0, 4, H], iscrowd: 0 },
          { id: 2, image_id: 1, category_id: 5, bbox: [1, 1, 3, 3], iscrowd: 0 },
        ],
      };
      await s.importCoco(new Blob([JSON.stringify(coco)]), 'in.json');
      break;
    }
  }
  await store.session.settled();
}

function intact(p: Project): boolean {
  const ops: DocDiff['ops'] = [
    ...p.annotations.map((r) => ({ coll: 'annotations' as const, id: r.id, before: null, after: r })),
    ...p.pendingBoxes.map((r) => ({ coll: 'pendingBoxes' as const, id: r.id, before: null, after: r })),
    ...p.skipped.map((r) => ({ coll: 'skipped' as const, id: r.id, before: null, after: r })),
  ];
  return integrityProblems(p, { ops }).length === 0;
}

describe('history (property)', () => {
  it('undo all = the start plus what was not the user’s; redo all = the end; never a dangling reference', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const { store } = testStore();
        await store.getState().addImageBlobs([
          { blob: imageFile(W, H), name: 'a.png' },
          { blob: imageFile(W, H), name: 'b.png' },
        ]);
        const start = store.getState().project;
        // every change not the user's, as it was applied
        const ignored: DocDiff[] = [];
        const change = store.getState().change;
        store.setState({
          change: (diff: DocDiff, policy: HistoryPolicy, options?: Parameters<typeof change>[2]) => {
            const ok = change(diff, policy, options);
            if (ok && policy === 'ignore') ignored.push(diff);
            return ok;
          },
        });
        for (const st of steps) {
          await run(store, st);
          expect(intact(store.getState().project)).toBe(true);
        }
        const end = store.getState().project;
        const pastLength = store.getState().past.length;
        for (let i = 0; i < pastLength; i++) {
          store.getState().undo();
          await store.session.settled();
          expect(intact(store.getState().project)).toBe(true);
        }
        expect(store.getState().past).toHaveLength(0);
        const expected = ignored.reduce(applyDiff, start);
        expect(store.getState().project).toEqual(expected);
        for (let i = 0; i < pastLength; i++) {
          store.getState().redo();
          await store.session.settled();
        }
        expect(store.getState().project).toEqual(end);
        // lists stay in id order (what a reload gives)
        for (const coll of ['images', 'categories', 'annotations', 'pendingBoxes', 'skipped'] as const) {
          const got = (end[coll] as { id: number }[]).map((r) => r.id);
          expect(got).toEqual([...got].sort((a, b) => a - b));
        }
      }),
      { numRuns: 60 },
    );
  });
});
