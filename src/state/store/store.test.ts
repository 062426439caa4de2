import { describe, expect, it, vi } from 'vitest';
import { rleFromMask } from '../../core/mask/rle.ts';
import { instanceColor } from '../../core/project/palette.ts';
import { projectToCoco } from '../../core/coco/export.ts';
import { integrityProblems, type DocDiff } from '../../core/project/changes.ts';
import type { Project } from '../../core/project/types.ts';
import { imageFile, testStore } from '../test/fakeDeps.ts';
import type { AppStore } from './store.ts';
import { reviewQueue } from './selectors.ts';
import type { ProposalInput } from './slices/review.ts';
import { actionForKey } from './actions.ts';

const W = 40;
const H = 20;

async function withImages(n = 2) {
  const t = testStore();
  await t.store.getState().addImageBlobs(Array.from({ length: n }, (_, i) => ({ blob: imageFile(W, H), name: `img${i + 1}.png` })));
  return t;
}

async function settle(store: AppStore) {
  await store.session.settled();
}

async function liveArea(store: AppStore): Promise<number | null> {
  return (await store.session.liveMask())?.area ?? null;
}

/** Every reference in the project points at a record that exists. */
function assertIntact(p: Project) {
  const all: DocDiff = {
    ops: [
      ...p.annotations.map((a) => ({ coll: 'annotations' as const, id: a.id, before: null, after: a })),
      ...p.pendingBoxes.map((b) => ({ coll: 'pendingBoxes' as const, id: b.id, before: null, after: b })),
    ],
  };
  expect(integrityProblems(p, all)).toEqual([]);
}

describe('store: defects found by trying the app (each failed before the state redesign)', () => {
  it('Enter, →, Ctrl+Z: the undo shows the first image again, takes back its annotation and restores its prompt there', async () => {
    const { store } = await withImages();
    const s = () => store.getState();
    expect(s().currentImageId).toBe(1);
    s().addPoint(10, 5, true);
    const shown = await liveArea(store);
    await s().accept();
    expect(s().project.annotations).toHaveLength(1);
    s().stepImage(1);
    expect(s().currentImageId).toBe(2);
    s().undo();
    await settle(store);
    expect(s().currentImageId).toBe(1);
    expect(s().project.annotations).toHaveLength(0);
    expect(s().prompts.points).toEqual([{ x: 10, y: 5, positive: true }]);
    expect(store.session.snapshot().imageId).toBe(1);
    expect(await liveArea(store)).toBe(shown);
  });

  it('add a category, open an image, Ctrl+Z: only the category goes; the opened image stays', async () => {
    const { store } = await withImages(1);
    const s = () => store.getState();
    s().addCategory('dog');
    await s().addImageBlobs([{ blob: imageFile(W, H), name: 'new.png' }]);
    expect(s().project.images.map((i) => i.fileName)).toEqual(['img1.png', 'new.png']);
    s().undo();
    expect(s().project.images.map((i) => i.fileName)).toEqual(['img1.png', 'new.png']);
    expect(s().project.categories.map((c) => c.name)).toEqual(['object']);
  });

  it('add a category, import COCO, Ctrl+Z: the import stays', async () => {
    const { store } = await withImages(1);
    const s = () => store.getState();
    s().addCategory('dog');
    const m = new Uint8Array(W * H).fill(1, 0, 100);
    const coco = {
      images: [{ id: 7, file_name: 'img1.png', width: W, height: H }],
      categories: [{ id: 3, name: 'cat' }],
      annotations: [{ id: 1, image_id: 7, category_id: 3, segmentation: rleFromMask(m, W, H), area: 100, bbox: [0, 0, 40, 3], iscrowd: 0 }],
    };
    expect(await s().importCoco(new Blob([JSON.stringify(coco)]), 'in.json')).toBe(true);
    expect(s().project.annotations).toHaveLength(1);
    s().undo();
    expect(s().project.annotations).toHaveLength(1);
    expect(s().project.categories.map((c) => c.name)).toEqual(['object', 'cat']);
  });

  it('a COCO import cancelled while it is parsed adds nothing and says so; the next one goes through', async () => {
    const { store } = await withImages(1);
    const s = () => store.getState();
    const m = new Uint8Array(W * H).fill(1, 0, 100);
    const coco = {
      images: [{ id: 7, file_name: 'img1.png', width: W, height: H }],
      categories: [{ id: 3, name: 'cat' }],
      annotations: [{ id: 1, image_id: 7, category_id: 3, segmentation: rleFromMask(m, W, H), iscrowd: 0 }],
    };
    const before = s().project;
    const run = s().importCoco(new Blob([JSON.stringify(coco)]), 'big.json');
    expect(s().importing).toEqual({ name: 'big.json', done: 0, total: 0 });
    s().cancelImport();
    expect(await run).toBe(false);
    expect(s().importing).toBeNull();
    expect(s().project).toBe(before);
    expect(s().notifications.at(-1)?.message).toBe('The import of big.json was cancelled; nothing was imported.');
    expect(await s().importCoco(new Blob([JSON.stringify(coco)]), 'big.json')).toBe(true);
    expect(s().project.annotations).toHaveLength(1);
  });

  it('undo a category creation across an image change, then Enter: the annotation gets a category that exists, and so does the export', async () => {
    const { store } = await withImages();
    const s = () => store.getState();
    const dog = s().addCategory('dog');
    expect(s().currentCategoryId).toBe(dog);
    s().stepImage(1);
    s().undo();
    expect(s().project.categories.some((c) => c.id === dog)).toBe(false);
    expect(s().project.categories.some((c) => c.id === s().currentCategoryId)).toBe(true);
    s().addPoint(5, 5, true);
    const ann = await s().accept();
    expect(ann).not.toBeNull();
    const coco = projectToCoco(s().project);
    const catIds = new Set(coco.categories.map((c) => c.id));
    expect(coco.annotations.every((a) => catIds.has(a.category_id))).toBe(true);
    assertIntact(s().project);
  });

  it('a category name field that shows a stale name cannot write it over the real one; undo of a rename gives the old name back', async () => {
    const { store } = await withImages(1);
    const s = () => store.getState();
    // the field began editing when the name was "object"; meanwhile it became "car" (another project, undo, another tab)
    expect(s().renameCategory(1, 'car')).toBe(true);
    expect(s().renameCategory(1, 'object', 'object')).toBe(false);
    expect(s().project.categories[0]!.name).toBe('car');
    // a rename typed letter by letter is one undo step
    s().renameCategory(1, 'b', 'car', 'typing');
    s().renameCategory(1, 'bu', 'b', 'typing');
    s().renameCategory(1, 'bus', 'bu', 'typing');
    s().undo();
    expect(s().project.categories[0]!.name).toBe('car');
  });

  it('1–9 and "Add category" while a mask is drafted never run the decoder again and never change the mask', async () => {
    const { store, engine } = await withImages(1);
    const s = () => store.getState();
    s().addCategory('second');
    s().setCurrentCategory(1);
    s().addPoint(10, 10, true);
    const before = await store.session.liveMask();
    const decodes = engine.decodes.length;
    s().setCategoryByIndex(1);
    s().addCategory('third');
    s().setCategoryByIndex(0);
    await settle(store);
    expect(engine.decodes.length).toBe(decodes);
    expect(engine.recolors).toBeGreaterThan(0);
    expect(await store.session.liveMask()).toEqual(before);
  });

  it('draws the draft in the colour its mask will have once accepted: its instance colour, or its category colour', async () => {
    const { store, engine } = await withImages(1);
    const s = () => store.getState();
    expect(s().display.colorBy).toBe('instance');
    s().addPoint(10, 10, true);
    await settle(store);
    const drawn = engine.colors.at(-1)!;
    await s().accept();
    const accepted = s().project.annotations.at(-1)!;
    // the canvas draws an accepted mask in its instance colour: the draft had it already
    expect(drawn).toBe(instanceColor(accepted.id));
    // the next draft: the next id's colour
    s().addPoint(20, 20, true);
    await settle(store);
    const next = engine.colors.at(-1)!;
    await s().accept();
    expect(next).toBe(instanceColor(s().project.annotations.at(-1)!.id));
    expect(next).not.toBe(s().project.categories[0]!.color);
    // coloured by category: the category's colour, and a draft under way is drawn again when the setting changes
    s().addPoint(30, 30, true);
    await settle(store);
    s().setDisplay({ colorBy: 'category' });
    await settle(store);
    expect(engine.colors.at(-1)).toBe(s().project.categories[0]!.color);
  });

  it('starts no mask, point, box or stroke on an image of another person’s job, and says whose it is; an admin may', async () => {
    const { store, engine } = await withImages(2);
    const s = () => store.getState();
    const [a, b] = s().project.images.map((im) => im.id) as [number, number];
    store.setState({
      sync: { ...s().sync, available: true, user: { username: 'olaf', isAdmin: false }, project: { id: 1, name: 'p', role: 'annotator' } },
    });
    s().setProjectJobs([
      { id: 7, name: 'Street', state: 'annotating', annotatorId: 3, annotator: 'anna', reviewerId: null, reviewer: null, imageIds: [a] },
    ]);
    s().showImage(a);
    await settle(store);
    const decodes = engine.decodes.length;
    s().addPoint(10, 10, true);
    s().setBox({ x0: 1, y0: 1, x1: 20, y1: 20 });
    s().beginStroke();
    s().strokeProgress({
      points: [
        { x: 1, y: 1 },
        { x: 5, y: 5 },
      ],
      radius: 3,
      erase: false,
    } as never);
    s().endStroke({
      points: [
        { x: 1, y: 1 },
        { x: 5, y: 5 },
      ],
      radius: 3,
      erase: false,
    } as never);
    await settle(store);
    expect(engine.decodes.length).toBe(decodes);
    expect(store.session.underWay()).toBe(false);
    expect(s().timer.status).toBe('idle');
    // one notice (repeats replace it), naming the job's annotator
    expect(s().notifications.filter((n) => /anna/.test(n.message))).toHaveLength(1);
    // an image in no job: as usual
    s().showImage(b);
    s().addPoint(10, 10, true);
    await settle(store);
    expect(engine.decodes.length).toBe(decodes + 1);
    // a project admin may work on anna's image
    s().discardPrompts();
    store.setState({ sync: { ...s().sync, project: { id: 1, name: 'p', role: 'admin' } } });
    s().showImage(a);
    s().addPoint(10, 10, true);
    await settle(store);
    expect(engine.decodes.length).toBe(decodes + 2);
    // a mask there (the admin's) cannot be deleted by an annotator of another job either
    const made = (await s().accept())!;
    store.setState({ sync: { ...s().sync, project: { id: 1, name: 'p', role: 'annotator' } } });
    s().deleteAnnotation(made.id);
    expect(s().project.annotations.map((x) => x.id)).toContain(made.id);
  });

  it('keeps the latest review decision per mask, for the list and the canvas', async () => {
    const { store } = await withImages(1);
    const s = () => store.getState();
    s().setReviews([
      { annotationId: 5, decision: 'reject', comment: 'cut off', reviewer: 'rita' },
      { annotationId: 6, decision: 'accept', comment: null, reviewer: 'rita' },
      { annotationId: 5, decision: 'accept', comment: null, reviewer: 'boss' },
    ]);
    expect(s().reviewMarks).toEqual({
      5: { decision: 'accept', comment: null, reviewer: 'boss' },
      6: { decision: 'accept', comment: null, reviewer: 'rita' },
    });
    s().setReviews([]);
    expect(s().reviewMarks).toEqual({});
  });

  it('undo then redo gives back exactly the mask that was shown (same prompts, same mask_input)', async () => {
    const { store, engine } = await withImages(1);
    const s = () => store.getState();
    s().addPoint(10, 10, true);
    await settle(store);
    s().addPoint(30, 15, false);
    const second = await store.session.liveMask();
    const fed = engine.decodes.at(-1)!.feedbackFrom;
    expect(fed).not.toBeNull();
    s().addPoint(20, 4, true);
    await settle(store);
    s().undo();
    expect(await store.session.liveMask()).toEqual(second);
    s().undo();
    s().redo();
    expect(await store.session.liveMask()).toEqual(second);
    expect(engine.decodes.at(-1)!.feedbackFrom).toBe(fed);
  });

  it('a stroke after a point, undone and redone, and an accepted edit undone: each gives back its mask', async () => {
    const { store } = await withImages(1);
    const s = () => store.getState();
    s().addPoint(5, 5, true);
    const sam = await liveArea(store);
    s().beginStroke();
    const stroke = { mode: 'add' as const, radius: 2, points: [30, 10, 38, 10] };
    s().strokeProgress(stroke);
    s().endStroke(stroke);
    const both = await liveArea(store);
    expect(both).toBeGreaterThan(sam!);
    s().undo();
    expect(await liveArea(store)).toBe(sam);
    s().redo();
    expect(await liveArea(store)).toBe(both);
    await s().accept();
    expect(s().project.annotations[0]!.area).toBe(both);
    s().undo();
    expect(await liveArea(store)).toBe(both);
  });

  it('Enter then → at once: the accept lands on its image and the next image is shown after it', async () => {
    const { store } = await withImages();
    const s = () => store.getState();
    s().addPoint(5, 5, true);
    const accepting = s().accept();
    s().stepImage(1);
    s().addPoint(7, 7, true);
    await accepting;
    await settle(store);
    expect(s().project.annotations.map((a) => a.imageId)).toEqual([1]);
    expect(s().currentImageId).toBe(2);
    expect(s().prompts.points).toEqual([{ x: 7, y: 7, positive: true }]);
  });

  it('leaving an image with a draft is an undo step: Ctrl+Z brings the draft back on its image', async () => {
    const { store } = await withImages();
    const s = () => store.getState();
    s().addPoint(5, 5, true);
    const area = await liveArea(store);
    s().stepImage(1);
    expect(s().prompts.points).toHaveLength(0);
    s().undo();
    expect(s().currentImageId).toBe(1);
    expect(await liveArea(store)).toBe(area);
  });
});

function rect(x0: number, x1: number, score: number, categoryId = 1): ProposalInput {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 1;
  return {
    rle: rleFromMask(m, W, H),
    area: (x1 - x0) * H,
    bbox: [x0, 0, x1 - x0, H],
    score,
    categoryId,
    prompts: { points: [], box: { x0, y0: 0, x1, y1: H } },
    source: 'auto',
    attributes: {},
  };
}

describe('store: proposals and their review (actions called directly)', () => {
  async function reviewStore() {
    const t = await withImages(1);
    const s = t.store.getState();
    s.addCategory('b');
    s.addPendingBox({ x0: 0, y0: 0, x1: 10, y1: 20 });
    return t;
  }

  it('adds an image’s proposals as one change that undo leaves alone, consumes its boxes and selects the most confident', async () => {
    const { store } = await reviewStore();
    const s = store.getState();
    const box = s.project.pendingBoxes[0]!.id;
    expect(s.addProposals(1, [rect(0, 10, 0.9, 2), rect(20, 30, 0.95), { ...rect(0, 0, 0.99), area: 0 }], [box])).toBe(2);
    const st = store.getState();
    expect(st.project.annotations.map((a) => [a.review, a.source, a.categoryId])).toEqual([
      ['pending', 'auto', 2],
      ['pending', 'auto', 1],
    ]);
    expect(st.project.pendingBoxes).toHaveLength(0);
    expect(st.selectedAnnotationId).toBe(reviewQueue(st)[0]!.id);
    expect(st.project.annotations.find((a) => a.id === st.selectedAnnotationId)!.score).toBe(0.95);
    // machine work is not the user's step: undo takes back the box the user drew (already consumed: nothing to do) and no proposal
    st.undo();
    expect(store.getState().project.annotations).toHaveLength(2);
  });

  it('accept (Enter), reject and step: each moves on to the next proposal; each verdict is one undo step', async () => {
    const { store } = await reviewStore();
    store.getState().addProposals(1, [rect(0, 10, 0.9), rect(12, 20, 0.95), rect(22, 30, 0.93)], []);
    const ids = reviewQueue(store.getState()).map((a) => a.id);
    expect(ids).toHaveLength(3);
    expect(store.getState().timer.status).not.toBe('idle');
    const accepted = await store.getState().accept();
    expect(accepted!.id).toBe(ids[0]);
    let st = store.getState();
    expect(st.project.annotations.find((a) => a.id === ids[0])!.review).toBe('accepted');
    expect(st.selectedAnnotationId).toBe(ids[1]);
    st.stepProposal(1);
    expect(store.getState().selectedAnnotationId).toBe(ids[2]);
    store.getState().deleteAnnotation(ids[2]!);
    st = store.getState();
    expect(st.project.annotations.some((a) => a.id === ids[2])).toBe(false);
    expect(st.selectedAnnotationId).toBe(ids[1]);
    st.setCategoryByIndex(1);
    expect(store.getState().project.annotations.find((a) => a.id === ids[1])!.categoryId).toBe(2);
    // undo: the relabel, the reject, the accept
    store.getState().undo();
    store.getState().undo();
    store.getState().undo();
    st = store.getState();
    expect(st.project.annotations.map((a) => [a.id, a.review, a.categoryId])).toEqual([...ids].sort().map((id) => [id, 'pending', 1]));
  });

  it('a proposal accepted while its image is still being encoded records the time spent reviewing it (the model is not needed to review)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_000_000);
      const { store } = await reviewStore();
      store.getState().setModel({ status: 'ready' });
      // the image is (again) being encoded: a click would wait for it, a verdict on a proposal does not
      store.getState().setImageStatus(1, 'encoding');
      store.getState().addProposals(1, [rect(0, 10, 0.9)], []);
      const id = store.getState().selectedAnnotationId!;
      expect(store.getState().waitingFor).toBe('encoding');
      vi.setSystemTime(1_004_000);
      store.getState().acceptProposal();
      expect(store.getState().project.annotations.find((a) => a.id === id)!.timeMs).toBe(4_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('"every proposal of this image is reviewed" goes when another image is shown (it is about that image)', async () => {
    const t = await withImages(2);
    const s = () => t.store.getState();
    s().addProposals(1, [rect(0, 10, 0.9)], []);
    s().acceptProposal();
    expect(s().notifications.map((n) => n.message)).toContain('Every proposal of this image is reviewed.');
    s().notify('info', 'Something about the project.');
    s().showImage(2);
    const left = s().notifications.map((n) => n.message);
    expect(left).not.toContain('Every proposal of this image is reviewed.');
    expect(left).toContain('Something about the project.');
  });

  it('hides a proposal once an accepted annotation covers it', async () => {
    const { store } = await reviewStore();
    store.getState().addProposals(1, [rect(0, 10, 0.9), rect(20, 30, 0.95)], []);
    const covered = store.getState().project.annotations[0]!;
    store.setState((s) => ({
      project: {
        ...s.project,
        annotations: [...s.project.annotations, { ...covered, id: 99, review: undefined as never, source: 'points' }],
      },
    }));
    expect(reviewQueue(store.getState()).map((a) => a.id)).not.toContain(covered.id);
  });
});

describe('store: mask candidates and zoom-in refinement', () => {
  it('one click offers the candidates; choosing one shows it, is one undo step, and the next click refines it', async () => {
    const { store, engine } = await withImages(1);
    const s = () => store.getState();
    s().addPoint(10, 10, true);
    const first = await store.session.liveMask();
    expect(s().candidates.map((c) => c.token)).toEqual([3, 1, 2]);
    expect(s().candidateShown).toBe(3);
    s().cycleCandidate(1);
    await settle(store);
    expect(s().candidateShown).toBe(1);
    expect(engine.decodes.at(-1)!.candidate).toBe(1);
    const chosen = await store.session.liveMask();
    expect(chosen).not.toEqual(first);
    const chosenGeneration = s().generation;
    s().addPoint(30, 15, false);
    await settle(store);
    // the chosen candidate's logits go in as mask_input; two clicks are not ambiguous
    expect(engine.decodes.at(-1)!.feedbackFrom).toBe(chosenGeneration);
    expect(s().candidates).toEqual([]);
    s().undo();
    expect(await store.session.liveMask()).toEqual(chosen);
    expect(s().candidateShown).toBe(1);
    s().undo();
    expect(await store.session.liveMask()).toEqual(first);
    expect(s().candidateShown).toBe(3);
    s().cycleCandidate(-1);
    await settle(store);
    expect(s().candidateShown).toBe(2);
  });

  /** A first click whose mask gets a zoom-in crop (the fake's masks have random sizes; some are too large to crop). */
  async function firstClickWithCrop(store: AppStore) {
    const s = () => store.getState();
    for (let x = 5; x < 400; x += 37) {
      s().addPoint(x, 40, true);
      await settle(store);
      if (s().zoom) return s().zoom!;
      s().discardPrompts();
    }
    throw new Error('no first mask small enough for a crop');
  }

  it('after the first mask a crop is encoded; the next clicks inside it are decoded on it, and undo/redo give the same masks', async () => {
    const t = testStore();
    await t.store.getState().addImageBlobs([{ blob: imageFile(1200, 900), name: 'big.png' }]);
    const { store, engine } = t;
    const s = () => store.getState();
    // off by default (BENCHMARKS.md)
    expect(s().zoomIn).toBe(false);
    s().setZoomIn(true);
    const zoom = await firstClickWithCrop(store);
    await settle(store);
    // the fake encodes crops after a tick
    await new Promise((r) => setTimeout(r, 5));
    expect(s().zoom!.ready).toBe(true);
    const inside = { x: (zoom.roi.x0 + zoom.roi.x1) / 2, y: (zoom.roi.y0 + zoom.roi.y1) / 2 };
    s().addPoint(inside.x, inside.y, false);
    const second = await store.session.liveMask();
    expect(engine.decodes.at(-1)!.crop).toEqual(zoom.roi);
    // the decoder dropped the crop meanwhile: undo/redo encodes it again and decodes exactly on it
    engine.crops.clear();
    s().undo();
    s().redo();
    expect(await store.session.liveMask()).toEqual(second);
    expect(engine.decodes.at(-1)!.crop).toEqual(zoom.roi);
  });

  it('a click before the crop is ready uses the whole image; a positive click outside the crop asks for a new one', async () => {
    const t = testStore();
    await t.store.getState().addImageBlobs([{ blob: imageFile(1200, 900), name: 'big.png' }]);
    const { store, engine } = t;
    const s = () => store.getState();
    // off by default (BENCHMARKS.md)
    expect(s().zoomIn).toBe(false);
    s().setZoomIn(true);
    engine.holdCrops = true;
    const zoom = await firstClickWithCrop(store);
    expect(zoom.ready).toBe(false);
    s().addPoint((zoom.roi.x0 + zoom.roi.x1) / 2, (zoom.roi.y0 + zoom.roi.y1) / 2, false);
    await settle(store);
    expect(engine.decodes.at(-1)!.crop).toBeNull();
    engine.releaseCrops();
    await new Promise((r) => setTimeout(r, 5));
    expect(s().zoom!.ready).toBe(true);
    s().addPoint(zoom.roi.x0 + 1, zoom.roi.y0 + 1, false);
    await settle(store);
    expect(engine.decodes.at(-1)!.crop).toEqual(zoom.roi);
    const requests = engine.cropRequests.length;
    // just outside the crop: a slightly larger crop around the mask and the clicks
    s().addPoint(zoom.roi.x1 + 5 < 1200 ? zoom.roi.x1 + 5 : zoom.roi.x0 - 5, zoom.roi.y0 + 1, true);
    await settle(store);
    expect(engine.decodes.at(-1)!.crop).toBeNull();
    expect(engine.cropRequests.length).toBe(requests + 1);
    // zoom-in off: never a crop
    s().discardPrompts();
    s().setZoomIn(false);
    s().addPoint(100, 100, true);
    await settle(store);
    s().addPoint(110, 100, true);
    await settle(store);
    expect(engine.decodes.at(-1)!.crop).toBeNull();
    expect(s().zoom).toBeNull();
  });
});

describe('store: hover preview', () => {
  it('previews at the resting pointer only with nothing drafted; a prompt ends it; it can be turned off', async () => {
    const { store, engine } = await withImages(1);
    const s = () => store.getState();
    s().hoverAt({ x: 10, y: 10 });
    await settle(store);
    await new Promise((r) => setTimeout(r, 5));
    expect(s().hoverPoint).toEqual({ x: 10, y: 10 });
    expect(engine.hovers).toHaveLength(1);
    s().hoverAt(null);
    expect(s().hoverPoint).toBeNull();
    s().addPoint(10, 10, true);
    await settle(store);
    // something is drafted: no preview
    s().hoverAt({ x: 20, y: 5 });
    await new Promise((r) => setTimeout(r, 5));
    expect(engine.hovers).toHaveLength(1);
    expect(s().hoverPoint).toBeNull();
    s().discardPrompts();
    s().setHoverPreview(false);
    s().hoverAt({ x: 20, y: 5 });
    await new Promise((r) => setTimeout(r, 5));
    expect(engine.hovers).toHaveLength(1);
    // other tools do not preview
    s().setHoverPreview(true);
    s().setTool('brush');
    s().hoverAt({ x: 20, y: 5 });
    await new Promise((r) => setTimeout(r, 5));
    expect(engine.hovers).toHaveLength(1);
  });

  it('a preview that lands after a click is not shown', async () => {
    const { store, engine } = await withImages(1);
    const s = () => store.getState();
    s().hoverAt({ x: 10, y: 10 });
    s().addPoint(30, 15, true);
    await settle(store);
    await new Promise((r) => setTimeout(r, 5));
    expect(engine.hovers).toHaveLength(1);
    expect(s().hoverPoint).toBeNull();
  });
});

describe('store: a job on the project server, by its keys (issue 14)', () => {
  const press = (store: AppStore, key: string, shiftKey = false) => {
    const a = actionForKey({ key, shiftKey, ctrlKey: false, metaKey: false, altKey: false })!;
    expect(a).not.toBeNull();
    if (a.enabled(store.getState()))
      a.perform(store.getState(), { toggleHelp() {}, exportCoco() {}, openCategoryPicker() {}, zoom() {}, propagate() {} }, key);
  };
  async function reviewed() {
    const decisions: [number, string, string | undefined][] = [];
    // the server's side of the review: stores decisions until told to fail
    const server = { offline: false };
    const t = testStore({
      team: {
        reviewMask: async (id, d, c) => {
          if (server.offline) throw new Error('offline');
          decisions.push([id, d, c]);
        },
      },
    });
    await t.store.getState().addImageBlobs(Array.from({ length: 3 }, (_, i) => ({ blob: imageFile(W, H), name: `img${i + 1}.png` })));
    const s = () => t.store.getState();
    // two masks of a person on image 1
    s().addPoint(5, 5, true);
    await s().accept();
    s().addPoint(30, 5, true);
    await s().accept();
    expect(s().project.annotations).toHaveLength(2);
    return { ...t, s, decisions, server };
  }

  it('J steps through the job’s images, round to the first; Shift+J back', async () => {
    const { store, s } = await reviewed();
    s().setJobFocus({ jobId: 7, name: 'Job 1', imageIds: [1, 3], reviewing: false, decided: [] });
    press(store, 'j');
    expect(s().currentImageId).toBe(3);
    press(store, 'j');
    expect(s().currentImageId).toBe(1);
    press(store, 'J', true);
    expect(s().currentImageId).toBe(3);
    // an annotator's Enter still accepts drafts, Delete still deletes
    s().showImage(1);
    s().selectAnnotation(s().project.annotations[0]!.id);
    press(store, 'Delete');
    expect(s().project.annotations).toHaveLength(1);
  });

  it('reviewing: the first mask is selected; Enter accepts it and selects the next; Delete asks why, then rejects with that comment', async () => {
    const { store, s, decisions, server } = await reviewed();
    const [a1, a2] = s().project.annotations.map((a) => a.id) as [number, number];
    s().setJobFocus({ jobId: 7, name: 'Job 1', imageIds: [1, 2], reviewing: true, decided: [] });
    expect(s().selectedAnnotationId).toBe(a1);
    press(store, 'Enter');
    expect(decisions).toEqual([[a1, 'accept', undefined]]);
    expect(s().selectedAnnotationId).toBe(a2);
    // Delete rejects (the mask stays for its annotator to fix) once the comment is given
    press(store, 'Delete');
    expect(s().rejecting).toBe(a2);
    expect(s().project.annotations).toHaveLength(2);
    s().decideSelected('reject', '  the tail is missing ');
    expect(decisions[1]).toEqual([a2, 'reject', 'the tail is missing']);
    expect(s().rejecting).toBeNull();
    expect(s().selectedAnnotationId).toBeNull();
    expect(s().jobFocus!.decided).toEqual([a1, a2]);
    // a decision the server did not store is to make again
    server.offline = true;
    s().selectAnnotation(a1);
    press(store, 'Enter');
    await new Promise((r) => setTimeout(r, 0));
    expect(s().jobFocus!.decided).toEqual([a2]);
    // another image and back (or the same image shown again: the job's name clicked): its first mask to decide is selected
    s().showImage(2);
    expect(s().selectedAnnotationId).toBeNull();
    s().showImage(1);
    expect(s().selectedAnnotationId).toBe(a1);
    s().selectAnnotation(null);
    s().showImage(1);
    expect(s().selectedAnnotationId).toBe(a1);
    expect(s().notifications.at(-1)!.message).toMatch(/not stored: offline/);
  });
});

describe('store: the model that made a mask (issue 15)', () => {
  it('an accepted SAM mask records the model in use, a brush-only fix keeps the mask’s model, a hand-made mask has none, proposals get the model', async () => {
    const { store } = await withImages(1);
    const s = () => store.getState();
    s().setModel({ id: 'model-a' });
    s().addPoint(5, 5, true);
    await liveArea(store);
    const a = (await s().accept())!;
    expect(a.model).toBe('model-a');

    // another model; the mask fixed with the brush alone is still model-a's
    s().setModel({ id: 'model-b' });
    s().selectAnnotation(a.id);
    s().beginStroke();
    const stroke = { mode: 'add' as const, radius: 2, points: [30, 10, 38, 10] };
    s().strokeProgress(stroke);
    s().endStroke(stroke);
    await settle(store);
    const fixed = (await s().accept())!;
    expect(fixed.id).toBe(a.id);
    expect(fixed.model).toBe('model-a');

    // painted by hand from nothing: no model made it
    s().setTool('brush');
    s().beginStroke();
    const hand = { mode: 'add' as const, radius: 1, points: [2, 17, 6, 17] };
    s().strokeProgress(hand);
    s().endStroke(hand);
    await settle(store);
    const painted = (await s().accept())!;
    expect(painted.id).not.toBe(a.id);
    expect(painted.model).toBeUndefined();

    // proposals of a batch: the model in use
    const mask = new Uint8Array(W * H);
    mask[W * 3 + 3] = 1;
    const rle = rleFromMask(mask, W, H);
    const n = s().addProposals(
      1,
      [{ rle, area: 1, bbox: [3, 3, 1, 1], score: 0.9, categoryId: 1, prompts: { points: [], box: null }, source: 'auto', attributes: {} }],
      [],
    );
    expect(n).toBe(1);
    const proposal = s().project.annotations.at(-1)!;
    expect(proposal.model).toBe('model-b');
    const coco = projectToCoco(s().project);
    expect(coco.annotations.map((x) => x.attributes['model'])).toEqual(['model-a', undefined, 'model-b']);
  });
});
