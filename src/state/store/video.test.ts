import { describe, expect, it } from 'vitest';
import { rleFromMask } from '../../core/mask/rle.ts';
import { EMPTY_PROMPTS } from '../../core/sam/prompts.ts';
import { tracksOf } from '../../core/video/clips.ts';
import { projectToYtvis } from '../../core/video/ytvis.ts';
import { projectToCoco } from '../../core/coco/export.ts';
import { emptyProject } from '../../core/project/types.ts';
import { idCounters, imageFile, tabStore, testStore } from '../test/fakeDeps.ts';
import type { AppStore } from './store.ts';
import type { TrackFrameMask } from './slices/video.ts';

const W = 40;
const H = 20;

/** A clip of `n` frames named as a frames folder names them (out of order, with a stray file). */
async function withClip(n = 6, every = 1) {
  const t = testStore();
  const files = Array.from({ length: n }, (_, i) => ({ blob: imageFile(W, H), name: `dog/frame_${i}.jpg` })).reverse();
  files.push({ blob: new Blob(['x']), name: 'dog/notes.txt' });
  const ids = await t.store.getState().addFrames(files, { every });
  return { ...t, ids };
}

async function acceptAt(store: AppStore, x: number, y: number) {
  store.getState().addPoint(x, y, true);
  await store.session.settled();
  return store.getState().accept();
}

/** A machine-made mask of `area` columns from the left, for putTrackMasks. */
function columns(imageId: number, cols: number, role: TrackFrameMask['role'] = 'propagated'): TrackFrameMask {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < cols; x++) m[y * W + x] = 1;
  return {
    imageId,
    rle: rleFromMask(m, W, H),
    area: cols * H,
    bbox: [0, 0, cols, H],
    score: 0.9,
    prompts: EMPTY_PROMPTS,
    flag: null,
    role,
  };
}

describe('video slice: clips', () => {
  it('a frames folder is one clip in number order (frame_2 before frame_10); files that are not images are left out', async () => {
    const t = testStore();
    const names = [10, 2, 1, 0].map((i) => ({ blob: imageFile(W, H), name: `walk/frame_${i}.png` }));
    await t.store.getState().addFrames([...names, { blob: new Blob(['{}']), name: 'walk/meta.json' }]);
    const ims = t.store.getState().project.images;
    expect(ims.map((im) => [im.fileName, im.video?.frame])).toEqual([
      ['walk/frame_0.png', 0],
      ['walk/frame_1.png', 1],
      ['walk/frame_2.png', 2],
      ['walk/frame_10.png', 3],
    ]);
    expect(new Set(ims.map((im) => im.video?.id))).toEqual(new Set([1]));
    expect(ims[0]!.video!.name).toBe('walk');
  });

  it('every k-th frame: frames 0, k, 2k, ... and the last, with their own frame numbers', async () => {
    const { store } = await withClip(8, 3);
    expect(store.getState().project.images.map((im) => im.video!.frame)).toEqual([0, 3, 6, 7]);
  });

  it('a second folder is a second clip; a folder without images is refused with a message', async () => {
    const { store } = await withClip(2);
    await store.getState().addFrames([{ blob: imageFile(W, H), name: 'cat/0.png' }]);
    const clipIds = store.getState().project.images.map((im) => im.video!.id);
    expect(new Set(clipIds).size).toBe(2);
    expect(clipIds.filter((id) => id === clipIds[0]).length).toBe(2);
    expect(await store.getState().addFrames([{ blob: new Blob(['x']), name: 'x/readme.md' }])).toEqual([]);
    expect(store.getState().notifications.at(-1)!.message).toMatch(/no images/);
  });

  it('two tabs on one project each opening a frames folder: two clips, never one clip id for both (the ids are reserved, as image ids)', async () => {
    const counters = idCounters();
    const project = emptyProject('shared');
    const [a, b] = [await tabStore(counters, project), await tabStore(counters, project)];
    await a.store.getState().addFrames([0, 1].map((i) => ({ blob: imageFile(W, H), name: `dog/${i}.png` })));
    await b.store.getState().addFrames([0, 1].map((i) => ({ blob: imageFile(W, H), name: `cat/${i}.png` })));
    const clipOfTab = (t: typeof a) => t.store.getState().project.images[0]!.video!.id;
    expect(clipOfTab(a)).not.toBe(clipOfTab(b));
    // merged (as sync or a reload merges them), they stay two clips of two frames each
    const images = [...a.store.getState().project.images, ...b.store.getState().project.images];
    expect(new Set(images.map((im) => im.id)).size).toBe(4);
    expect(new Set(images.map((im) => im.video!.id)).size).toBe(2);
  });

  it('frame stepping stays in the shown clip; showFrame goes to the frame (or the nearest annotated one before it)', async () => {
    const { store, ids } = await withClip(8, 3);
    const s = () => store.getState();
    expect(s().currentImageId).toBe(ids[0]);
    s().stepFrame(1);
    expect(s().currentImageId).toBe(ids[1]);
    s().showFrame(5);
    expect(s().currentImageId).toBe(ids[1]); // frame 3
    s().showFrame(7);
    expect(s().currentImageId).toBe(ids[3]);
    s().stepFrame(1);
    expect(s().currentImageId).toBe(ids[3]);
  });
});

describe('video slice: tracks', () => {
  it('a mask accepted on a frame starts a track (its id, a keyframe, selected); on another frame it is a keyframe of the selected track', async () => {
    const { store, ids } = await withClip(4);
    const s = () => store.getState();
    const a = (await acceptAt(store, 10, 10))!;
    expect([a.trackId, a.track]).toEqual([a.id, 'key']);
    expect(s().selectedTrackId).toBe(a.id);
    s().showImage(ids[2]!);
    const b = (await acceptAt(store, 12, 10))!;
    expect([b.trackId, b.track]).toEqual([a.id, 'key']);
    // the track already has a person's mask here: another object, another track
    const c = (await acceptAt(store, 30, 5))!;
    expect(c.trackId).toBe(c.id);
    expect(tracksOf(s().project).map((t) => [t.id, t.byFrame.size])).toEqual([
      [a.id, 2],
      [c.id, 1],
    ]);
  });

  it('another project opened: no track selected, not playing, no run shown (an accept there starts a track of its own)', async () => {
    const { store } = await withClip(4);
    const s = () => store.getState();
    const a = (await acceptAt(store, 10, 10))!;
    s().setPlaying(true);
    s().setTracking({ trackId: a.id, kind: 'propagate', direction: 1, done: 1, total: 3, frame: 1, flagged: 0, status: 'running' });
    // the other project: the same clip's frames, whose annotation ids start where this one's did
    const other = structuredClone(s().project);
    other.annotations = [];
    store.setState({ projectId: 'other' });
    s().loadDocument(other);
    expect([s().selectedTrackId, s().playing, s().tracking]).toEqual([null, false, null]);
    s().showImage(other.images[1]!.id);
    const b = (await acceptAt(store, 12, 10))!;
    expect([b.trackId, b.track]).toEqual([b.id, 'key']);
  });

  it("a correction on a propagated frame replaces the machine's mask with a person's keyframe of the same track", async () => {
    const { store, ids } = await withClip(4);
    const s = () => store.getState();
    const a = (await acceptAt(store, 10, 10))!;
    expect(s().putTrackMasks(a.id, [columns(ids[1]!, 5), columns(ids[2]!, 6)], 'run-1')).toBe(true);
    s().showImage(ids[1]!);
    const fixed = (await acceptAt(store, 20, 10))!;
    const track = tracksOf(s().project)[0]!;
    expect(track.byFrame.get(1)!.id).toBe(fixed.id);
    expect(track.byFrame.get(1)!.track).toBe('key');
    expect(track.byFrame.get(2)!.track).toBe('propagated');
    expect(s().project.annotations.filter((x) => x.imageId === ids[1])).toHaveLength(1);
  });

  it('machine-made masks never replace a keyframe; one run is one undo step; flags are kept', async () => {
    const { store, ids } = await withClip(4);
    const s = () => store.getState();
    const a = (await acceptAt(store, 10, 10))!;
    const key = s().project.annotations[0]!.segmentation;
    s().putTrackMasks(a.id, [columns(ids[0]!, 3), columns(ids[1]!, 4)], 'run-1');
    s().putTrackMasks(a.id, [{ ...columns(ids[2]!, 5), flag: 'abrupt' }], 'run-1');
    const track = tracksOf(s().project)[0]!;
    expect(track.byFrame.get(0)!.segmentation).toEqual(key);
    expect([track.byFrame.get(1)!.source, track.byFrame.get(2)!.flag]).toEqual(['propagate', 'abrupt']);
    s().undo();
    expect(tracksOf(s().project)[0]!.byFrame.size).toBe(1);
    // a second run over the same frames replaces the first run's masks (same records)
    s().redo();
    const before = tracksOf(s().project)[0]!.byFrame.get(1)!.id;
    s().putTrackMasks(a.id, [columns(ids[1]!, 7)], 'run-2');
    const after = tracksOf(s().project)[0]!.byFrame.get(1)!;
    expect([after.id, after.area]).toEqual([before, 7 * H]);
  });

  it('a track changes category as a whole, and is deleted as a whole', async () => {
    const { store, ids } = await withClip(3);
    const s = () => store.getState();
    const a = (await acceptAt(store, 10, 10))!;
    s().putTrackMasks(a.id, [columns(ids[1]!, 4)], 'r');
    s().addCategory('dog');
    const dog = s().project.categories.find((c) => c.name === 'dog')!.id;
    s().setTrackCategory(a.id, dog);
    expect(new Set(s().project.annotations.map((x) => x.categoryId))).toEqual(new Set([dog]));
    s().deleteTrack(a.id);
    expect(s().project.annotations).toEqual([]);
    expect(s().selectedTrackId).toBeNull();
  });

  it('tracks exported as YouTube-VIS come back identical when imported into the clip', async () => {
    const { store, ids } = await withClip(4);
    const s = () => store.getState();
    const a = (await acceptAt(store, 10, 10))!;
    s().putTrackMasks(a.id, [columns(ids[1]!, 4), { ...columns(ids[3]!, 9), flag: 'uncertain' }], 'r');
    const exported = projectToYtvis(s().project);
    const before = tracksOf(s().project)[0]!;
    s().deleteTrack(a.id);
    expect(await s().importTracks([{ name: 'dog.json', blob: new Blob([JSON.stringify(exported)]) }])).toBe(1);
    const back = tracksOf(s().project)[0]!;
    expect([...back.byFrame.keys()]).toEqual([...before.byFrame.keys()]);
    for (const [f, m] of before.byFrame) {
      const b = back.byFrame.get(f)!;
      expect([b.segmentation, b.track ?? 'key', b.flag, b.categoryId]).toEqual([m.segmentation, m.track ?? 'key', m.flag, m.categoryId]);
    }
  });

  it('tracks for frames the project does not have: nothing imported, and the message says so', async () => {
    const { store } = await withClip(2);
    const other = testStore();
    await other.store.getState().addFrames([{ blob: imageFile(W, H), name: 'cat/a.png' }]);
    await acceptAt(other.store, 5, 5);
    const json = JSON.stringify(projectToYtvis(other.store.getState().project));
    expect(await store.getState().importTracks([{ name: 'cat.json', blob: new Blob([json]) }])).toBe(0);
    expect(store.getState().notifications.at(-1)!.message).toMatch(/none of its frames/);
    expect(await store.getState().importTracks([{ name: 'bad.json', blob: new Blob(['{"videos": 3}']) }])).toBe(0);
    expect(store.getState().notifications.at(-1)!.message).toMatch(/No tracks were imported from bad.json/);
  });
});

describe('video slice: a clip from a COCO file, its frames opened after', () => {
  it('the frames folder gives the imported frames their files (no frame added twice)', async () => {
    const { store } = await withClip(4);
    await acceptAt(store, 10, 10);
    const coco = projectToCoco(store.getState().project);
    const t = testStore();
    expect(await t.store.getState().importCoco(new Blob([JSON.stringify(coco)]), 'dog.json')).toBe(true);
    expect(t.store.getState().project.images).toHaveLength(4);
    await t.store.getState().addFrames(Array.from({ length: 4 }, (_, i) => ({ blob: imageFile(W, H), name: `dog/frame_${i}.jpg` })));
    const ims = t.store.getState().project.images;
    expect(ims).toHaveLength(4);
    expect(ims.every((im) => t.io.files.has(im.id))).toBe(true);
    expect(tracksOf(t.store.getState().project)).toHaveLength(1);
  });

  it('two clips whose frames share names: each folder gives its files to its own clip, whichever is opened first', async () => {
    const t0 = testStore();
    const folder = (clip: string) => Array.from({ length: 3 }, (_, i) => ({ blob: imageFile(W, H), name: `${clip}/frame_${i}.jpg` }));
    await t0.store.getState().addFrames(folder('dog'));
    await t0.store.getState().addFrames(folder('cat'));
    const coco = projectToCoco(t0.store.getState().project);
    const t = testStore();
    expect(await t.store.getState().importCoco(new Blob([JSON.stringify(coco)]), 'clips.json')).toBe(true);
    // the second clip's folder first: its frames are the cat's, not the first images of that name
    await t.store.getState().addFrames(folder('cat'));
    const ims = () => t.store.getState().project.images;
    expect(ims()).toHaveLength(6);
    const opened = (clip: string) =>
      ims()
        .filter((im) => im.video!.name === clip)
        .map((im) => t.io.files.get(im.id) ?? null);
    expect(opened('cat')).toEqual(['cat/frame_0.jpg', 'cat/frame_1.jpg', 'cat/frame_2.jpg']);
    expect(opened('dog')).toEqual([null, null, null]);
    await t.store.getState().addFrames(folder('dog'));
    expect(ims()).toHaveLength(6);
    expect(opened('dog')).toEqual(['dog/frame_0.jpg', 'dog/frame_1.jpg', 'dog/frame_2.jpg']);
  });

  it('an image file whose name several waiting images have, with no folder to tell which: said, nothing attached', async () => {
    const t0 = testStore();
    await t0.store.getState().addFrames([{ blob: imageFile(W, H), name: 'dog/00000.jpg' }]);
    await t0.store.getState().addFrames([{ blob: imageFile(W, H), name: 'cat/00000.jpg' }]);
    const t = testStore();
    expect(await t.store.getState().importCoco(new Blob([JSON.stringify(projectToCoco(t0.store.getState().project))]), 'c.json')).toBe(
      true,
    );
    expect(await t.store.getState().addImageBlobs([{ blob: imageFile(W, H), name: '00000.jpg' }])).toEqual([]);
    expect(t.store.getState().project.images).toHaveLength(2);
    expect(t.io.files.size).toBe(0);
    const n = t.store.getState().notifications.at(-1)!;
    expect(n.level).toBe('error');
    expect(n.message).toBe('00000.jpg was not opened: 2 imported images are named so (dog/00000.jpg, cat/00000.jpg).');
    expect(n.hint).toBe('Open it inside its folder (or the folder above it), so that its path tells which one it is.');
  });
});
