/** The store's `addVideoFile` on fake video files (test/fakeVideo.ts): frames as they come, bad files, damaged frames, storage. */
import { describe, expect, it } from 'vitest';
import { emptyProject } from '../../core/project/types.ts';
import { clipsOf } from '../../core/video/clips.ts';
import { projectToCoco } from '../../core/coco/export.ts';
import { fakeIo, idCounters, tabStore, testStore } from '../test/fakeDeps.ts';
import { fakeVideoFile } from '../test/fakeVideo.ts';

describe('opening a video file', () => {
  it('adds every frame (or every k-th) as a clip, named by stem and frame, the first shown', async () => {
    const { store } = testStore();
    const s = store.getState;
    const seen: (number | null)[] = [];
    const off = store.subscribe((st) => seen.push(st.videoDecoding?.done ?? null));
    const ids = await s().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 10, fps: 25 }), 'clip.mp4');
    off();
    expect(ids).toHaveLength(10);
    const [clip] = clipsOf(s().project.images);
    expect(clip).toMatchObject({ name: 'clip.mp4', fps: 25, width: 8, height: 6 });
    expect(clip!.frames.map((f) => f.video!.frame)).toEqual([...Array(10).keys()]);
    expect(clip!.frames.map((f) => f.fileName).slice(0, 2)).toEqual(['clip/00000.png', 'clip/00001.png']);
    expect(s().currentImageId).toBe(ids[0]);
    // progress was shown while decoding, and is gone after
    expect(seen.some((d) => d !== null && d > 0)).toBe(true);
    expect(s().videoDecoding).toBeNull();

    // every 4th (and the last) of a second file: a clip of its own
    const more = await s().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 10 }), 'b.webm', { every: 4 });
    expect(more).toHaveLength(4);
    const clips = clipsOf(s().project.images);
    expect(clips).toHaveLength(2);
    expect(clips[1]!.frames.map((f) => f.video!.frame)).toEqual([0, 4, 8, 9]);
    expect(clips[1]!.id).not.toBe(clips[0]!.id);
    expect(s().notifications.filter((n) => n.level === 'error')).toEqual([]);
  });

  it('two tabs on one project each opening a video file: two clips with ids of their own, each stored under its own', async () => {
    const counters = idCounters();
    const project = emptyProject('shared');
    const [a, b] = [await tabStore(counters, project), await tabStore(counters, project)];
    await a.store.getState().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 3 }), 'a.mp4');
    await b.store.getState().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 3 }), 'b.mp4');
    const [ca] = clipsOf(a.store.getState().project.images);
    const [cb] = clipsOf(b.store.getState().project.images);
    expect(ca!.id).not.toBe(cb!.id);
    expect([...a.io.videos.keys()]).toEqual([ca!.id]);
    expect([...b.io.videos.keys()]).toEqual([cb!.id]);
  });

  it('a file that is not a video, or whose codec the browser cannot decode: a clear error, nothing added', async () => {
    const { store } = testStore();
    const s = store.getState;
    expect(await s().addVideoFile(new Blob(['hello']), 'notes.mp4')).toEqual([]);
    expect(s().notifications.at(-1)).toMatchObject({
      level: 'error',
      message: 'notes.mp4 was not opened: it is not a video file this app can read.',
    });
    expect(
      await s().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 3, codec: 'H.265/HEVC', unsupported: true }), 'cat.mp4'),
    ).toEqual([]);
    expect(s().notifications.at(-1)!.message).toContain('H.265/HEVC');
    expect(s().notifications.at(-1)!.hint).toContain('This browser decodes VP8, VP9 video.');
    expect(s().project.images).toEqual([]);
    expect(s().videoDecoding).toBeNull();
  });

  it('damaged frames are named in a warning, the others kept', async () => {
    const { store } = testStore();
    const s = store.getState;
    const ids = await s().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 12, damaged: [5, 6, 7] }), 'dmg.webm');
    expect(ids).toHaveLength(9);
    expect(clipsOf(s().project.images)[0]!.frames.map((f) => f.video!.frame)).toEqual([0, 1, 2, 3, 4, 8, 9, 10, 11]);
    const w = s().notifications.at(-1)!;
    expect(w.level).toBe('warning');
    expect(w.message).toBe(
      'dmg.webm: 3 frame(s) could not be decoded (their data is damaged): frame(s) 5-7. The other 9 frame(s) were opened.',
    );
  });

  it('a file larger than the storage left is refused before anything is copied', async () => {
    const io = { ...fakeIo(), storageEstimate: () => Promise.resolve({ quota: 1000, usage: 990 }) };
    const { store } = testStore({ io });
    const s = store.getState;
    expect(await s().addVideoFile(fakeVideoFile({ width: 20, height: 10, frames: 100 }), 'long.mp4')).toEqual([]);
    expect(s().notifications.at(-1)).toMatchObject({ level: 'error' });
    expect(s().notifications.at(-1)!.message).toMatch(
      /^long\.mp4 was not opened: the file takes 1 KB, and the browser's storage for this app has 1 KB left\.$/,
    );
    expect(s().project.images).toEqual([]);
    expect(io.videos.size).toBe(0);
    expect(io.files.size).toBe(0);
  });

  it('the file is stored once with what decoding its frames needs; each frame image is a frame of it, no file of its own', async () => {
    const { store, io } = testStore();
    const s = store.getState;
    const file = fakeVideoFile({ width: 8, height: 6, frames: 10, fps: 25 });
    const ids = await s().addVideoFile(file, 'clip.mp4', { every: 3 });
    const [clip] = clipsOf(s().project.images);
    expect([...io.videos.keys()]).toEqual([clip!.id]);
    const stored = io.videos.get(clip!.id)!;
    expect(stored.file).toBe(file);
    expect(stored.meta).toMatchObject({ name: 'clip.mp4', width: 8, height: 6, fps: 25, bytes: file.size });
    // every frame's time (not only the annotated ones'), in frame order
    expect(stored.meta.timestamps).toEqual([0, 40_000, 80_000, 120_000, 160_000, 200_000, 240_000, 280_000, 320_000, 360_000]);
    expect(ids.map((id) => io.files.get(id))).toEqual(
      [0, 3, 6, 9].map((f) => `clip/${String(f).padStart(5, '0')}.png (frame ${f} of video ${clip!.id})`),
    );
  });

  it('a file none of whose frames decode: said, and its stored copy removed (nothing kept for it)', async () => {
    const { store, io } = testStore();
    const s = store.getState;
    const ids = await s().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 4, damaged: [0, 1, 2, 3] }), 'dead.webm');
    expect(ids).toEqual([]);
    expect(s().project.images).toEqual([]);
    expect(io.videos.size).toBe(0);
    expect(s().notifications.at(-1)!.message).toContain('dead.webm: 4 frame(s) could not be decoded');
  });

  it('a file that cannot be stored (the storage is full): said, nothing added', async () => {
    const io = { ...fakeIo(), storeVideo: () => Promise.resolve('clip.mp4 could not be stored: the storage is full.') };
    const { store } = testStore({ io });
    const s = store.getState;
    expect(await s().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 4 }), 'clip.mp4')).toEqual([]);
    expect(s().notifications.at(-1)).toMatchObject({ level: 'error', message: 'clip.mp4 could not be stored: the storage is full.' });
    expect(s().project.images).toEqual([]);
  });

  it('a clip with some frames opened is not taken over by the same file opened again: that is a clip of its own', async () => {
    const all = testStore();
    await all.store.getState().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 10 }), 'walk.webm');
    const { store, io } = testStore();
    const s = store.getState;
    await s().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 10 }), 'walk.webm', { every: 5 });
    const first = clipsOf(s().project.images)[0]!;
    // a COCO file of every frame: the frames the clip lacks are added to it, waiting for their files
    expect(await s().importCoco(new Blob([JSON.stringify(projectToCoco(all.store.getState().project))]), 'walk.json')).toBe(true);
    expect(clipsOf(s().project.images).map((c) => c.frames.length)).toEqual([10]);
    const registered = new Map(first.frames.map((im) => [im.id, io.files.get(im.id)]));
    await s().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 10 }), 'walk.webm');
    const clips = clipsOf(s().project.images);
    expect(clips.map((c) => c.frames.length)).toEqual([10, 10]);
    expect(clips[1]!.id).not.toBe(first.id);
    expect([...io.videos.keys()]).toEqual([first.id, clips[1]!.id]);
    // the first clip's frames keep their files; no frame index twice in a clip
    for (const [id, file] of registered) expect(io.files.get(id)).toBe(file);
    for (const c of clips) expect(new Set(c.frames.map((f) => f.video!.frame)).size).toBe(c.frames.length);
  });

  it('a clip imported from a COCO file without its frames gets them from its video file (no second clip)', async () => {
    const first = testStore();
    await first.store.getState().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 4 }), 'walk.webm');
    const coco = projectToCoco(first.store.getState().project);
    const { store, io } = testStore();
    const s = store.getState;
    expect(await s().importCoco(new Blob([JSON.stringify(coco)]), 'walk.json')).toBe(true);
    const imported = clipsOf(s().project.images);
    expect(imported).toHaveLength(1);
    expect(s().project.images.every((im) => !io.files.has(im.id))).toBe(true);
    await s().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 4 }), 'walk.webm');
    expect(clipsOf(s().project.images).map((c) => [c.id, c.frames.length])).toEqual([[imported[0]!.id, 4]]);
    expect(s().project.images.every((im) => io.files.has(im.id))).toBe(true);
    expect([...io.videos.keys()]).toEqual([imported[0]!.id]);
  });
});

describe('opening a video file while another project is opened', () => {
  it('stops decoding and adds none of its later frames to the other project', async () => {
    const { store } = testStore();
    const s = store.getState;
    store.setState({ projectId: 'first' });
    let switched = false;
    // two frames of the first batch (4 frames) land, then the user opens another project ("New", a switch)
    const off = store.subscribe((st) => {
      if (!switched && st.project.images.length >= 2) {
        switched = true;
        queueMicrotask(() => {
          store.setState({ projectId: 'second' });
          s().loadDocument(emptyProject('second'));
        });
      }
    });
    const ids = await s().addVideoFile(fakeVideoFile({ width: 8, height: 6, frames: 40 }), 'long.webm');
    off();
    expect(switched).toBe(true);
    expect(s().project.images).toEqual([]);
    // the decode stopped at the switch: no later batch was even asked for
    expect(ids.length).toBeLessThanOrEqual(4);
    expect(s().videoDecoding).toBeNull();
    expect(s().notifications.filter((n) => n.level === 'error')).toEqual([]);
  });
});
