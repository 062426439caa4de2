import { describe, expect, it } from 'vitest';
import {
  annotatedFrameCount,
  clipDuration,
  clipFps,
  damagedWarning,
  endsEarly,
  endsEarlyWarning,
  frameImageName,
  frameIndexByTimestamp,
  frameRanges,
  frameSeekTime,
  nearestFrame,
  isAnnotatedFrame,
  storageRefusal,
  unsupportedCodecMessage,
} from './videoFile.ts';

describe('video files as clips', () => {
  it('annotates every k-th frame and the last one', () => {
    const pick = (total: number, every: number) => [...Array(total).keys()].filter((f) => isAnnotatedFrame(f, total, every));
    expect(pick(10, 1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pick(10, 3)).toEqual([0, 3, 6, 9]);
    expect(pick(10, 4)).toEqual([0, 4, 8, 9]);
    expect(pick(60, 6)).toEqual([0, 6, 12, 18, 24, 30, 36, 42, 48, 54, 59]);
    expect(pick(1, 5)).toEqual([0]);
    // a bad `every` counts as 1
    expect(pick(3, 0)).toEqual([0, 1, 2]);
    for (const [total, every] of [
      [10, 1],
      [10, 3],
      [10, 4],
      [60, 6],
      [1, 5],
      [0, 2],
      [7, 100],
    ] as const)
      expect(annotatedFrameCount(total, every), `${total}/${every}`).toBe(pick(total, every).length);
  });

  it('names frame images <stem>/<frame padded to 5>.png', () => {
    expect(frameImageName('dog.mp4', 0)).toBe('dog/00000.png');
    expect(frameImageName('dog.mp4', 59)).toBe('dog/00059.png');
    expect(frameImageName('clips/my dog.take2.webm', 123456)).toBe('my_dog.take2/123456.png');
    expect(frameImageName('noext', 7)).toBe('noext/00007.png');
  });

  it('fps is frames / duration to 3 decimals; frame indices follow timestamps', () => {
    expect(clipFps(60, 2.5)).toBe(24);
    expect(clipFps(100, 3.3366)).toBe(29.971);
    expect(clipFps(0, 1)).toBeNull();
    expect(clipFps(10, 0)).toBeNull();
    // WebM's whole-ms timestamps of 24 fps (0, 42, 83, 125, ... 2458): the header's 2.5 s
    const webm = [...Array(60).keys()].map((i) => Math.round((i * 1000) / 24) * 1000);
    expect(clipFps(60, clipDuration(webm, 2.5))).toBe(24);
    // without a header duration: the mean interval, rounded
    expect(clipFps(60, clipDuration(webm, null))).toBe(24.003);
    // a header that disagrees (a cut-off file): the frames'
    expect(clipDuration(webm.slice(0, 30), 2.5)).toBeCloseTo((1.208 / 29) * 30, 6);
    // variable frame rate: frames / duration
    expect(clipFps(4, clipDuration([0, 100_000, 150_000, 400_000], 0.5))).toBe(8);
    // packets stored in decode order (B-frames): the index is the place by timestamp; repeats count once
    const idx = frameIndexByTimestamp([0, 3000, 1000, 2000, 6000, 4000, 5000, 3000]);
    expect([...idx.entries()]).toEqual([
      [0, 0],
      [1000, 1],
      [2000, 2],
      [3000, 3],
      [4000, 4],
      [5000, 5],
      [6000, 6],
    ]);
  });

  it('refuses a clip whose file the storage left cannot hold, before copying', () => {
    expect(storageRefusal('dog.mp4', 2_400_000, null)).toBeNull();
    expect(storageRefusal('dog.mp4', 2_400_000, { quota: 1e9, usage: 0 })).toBeNull();
    expect(storageRefusal('dog.mp4', 2_400_000, { quota: 20e6, usage: 17.6e6 })).toBeNull();
    const r = storageRefusal('dog.mp4', 2_400_000, { quota: 20e6, usage: 18e6 })!;
    expect(r.message).toBe("dog.mp4 was not opened: the file takes 2.4 MB, and the browser's storage for this app has 2.0 MB left.");
    expect(r.hint).toMatch(/^Open a shorter clip/);
    expect(storageRefusal('long.mp4', 3.2e9, { quota: 1e9, usage: 0 })!.message).toContain('the file takes 3.2 GB');
  });

  it('finds the frame of a rounded timestamp: the nearest start (halfway between two: the later one, as the worker has always counted)', () => {
    const ts = [0, 41_667, 83_333, 125_000];
    expect([0, 41_667, 41_666, 41_700, 62_500, 62_501, 83_300, 200_000, -5].map((t) => nearestFrame(ts, t))).toEqual([
      0, 1, 1, 1, 2, 2, 2, 3, 0,
    ]);
  });

  it('decodes a frame from halfway to the next frame (a start rounded to µs may fall before the frame)', () => {
    const ts = [0, 41_667, 83_333, 125_000];
    expect(frameSeekTime(ts, 0)).toBeCloseTo(0.0208335, 9);
    expect(frameSeekTime(ts, 2)).toBeCloseTo(0.1041665, 9);
    expect(frameSeekTime(ts, 3)).toBeCloseTo(0.126, 9);
  });

  it('says which codec is not decoded and which are', () => {
    const m = unsupportedCodecMessage('cat.mp4', 'H.265/HEVC', 'hvc1.1.6.L93.B0', ['H.264', 'VP9', 'AV1']);
    expect(m.message).toBe('cat.mp4 was not opened: its video is H.265/HEVC (hvc1.1.6.L93.B0), which this browser cannot decode.');
    expect(m.hint).toContain('This browser decodes H.264, VP9, AV1 video.');
    const p = unsupportedCodecMessage('hi.mp4', 'H.264', 'avc1.f4001e', ['H.264', 'VP9']);
    expect(p.message).toBe('hi.mp4 was not opened: its video is H.264 (avc1.f4001e) in a profile or level this browser cannot decode.');
    expect(p.hint).toContain('-pix_fmt yuv420p');
  });

  it('a file whose frames stop before its header says it ends is incomplete', () => {
    expect(endsEarly(2.5, 2.5, 24)).toBeNull();
    expect(endsEarly(2.5, 2.53, 24)).toBeNull();
    expect(endsEarly(2.5, null, 24)).toBeNull();
    expect(endsEarly(1.5, 2.5, 24)).toEqual({ at: 1.5, of: 2.5 });
    expect(endsEarlyWarning('cut.webm', 1.5, 2.5, 36).message).toBe(
      'cut.webm ends early: its frames stop at 1.50 s of its 2.50 s (the file is incomplete or damaged after that). The 36 frame(s) before were opened.',
    );
  });

  it('names damaged frames as ranges', () => {
    expect(frameRanges([1, 2, 3, 7, 9, 10])).toBe('1-3, 7, 9-10');
    expect(frameRanges([5, 1, 1])).toBe('1, 5');
    expect(frameRanges([0, 2, 4, 6], 2)).toBe('0, 2, …');
    expect(damagedWarning('a.webm', [], 10, false)).toBeNull();
    expect(damagedWarning('a.webm', [12, 13, 14], 57, false)!.message).toBe(
      'a.webm: 3 frame(s) could not be decoded (their data is damaged): frame(s) 12-14. The other 57 frame(s) were opened.',
    );
  });
});
