/** The store's `addVideoFile` on fake video files (test/fakeVideo.ts): frames as they come, bad files, damaged frames, storage. */
import { describe, expect, it } from 'vitest';
import { emptyProject } from '../../core/project/types.ts';
import { clipsOf } from '../../core/video/clips.ts';
import { fakeIo, testStore } from '../test/fakeDeps.ts';
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

  it('a clip too large for the storage left is refused before anything is copied', async () => {
    const io = { ...fakeIo(), storageEstimate: () => Promise.resolve({ quota: 10_000, usage: 9_000 }) };
    const { store } = testStore({ io });
    const s = store.getState;
    // 100 frames of 20x10 px: about 30 KB of PNGs, 1 KB left
    expect(await s().addVideoFile(fakeVideoFile({ width: 20, height: 10, frames: 100 }), 'long.mp4')).toEqual([]);
    expect(s().notifications.at(-1)).toMatchObject({ level: 'error' });
    expect(s().notifications.at(-1)!.message).toMatch(
      /^long\.mp4 was not opened: its 100 frame\(s\) of 20x10 px need about 30 KB, and the browser's storage for this app has 1 KB left\.$/,
    );
    expect(s().project.images).toEqual([]);
    expect(io.files.size).toBe(0);
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
