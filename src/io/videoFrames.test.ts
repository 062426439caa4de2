/** Frames of a stored video decoded on demand: a window of the next annotated frames per pass, a cache bounded in bytes. */
import { describe, expect, it } from 'vitest';
import { frameSeekTime, type StoredVideoMeta } from '../core/video/videoFile.ts';
import { FRAME_WINDOW, FrameCache, VideoFrameSource, type FrameDecoder } from './videoFrames.ts';

const meta = (frames: number, width = 4, height = 4): StoredVideoMeta => ({
  name: 'dog.mp4',
  timestamps: Array.from({ length: frames }, (_, f) => Math.round((f * 1e6) / 24)),
  width,
  height,
  fps: 24,
  bytes: 1000,
});

/** A decoder whose frames are `bytes` long and name the time asked for; `bad` times decode to null. */
function decoder(bytes = 100, bad: (t: number) => boolean = () => false): FrameDecoder & { calls: number[][]; forgot: string[] } {
  const calls: number[][] = [];
  const forgot: string[] = [];
  return {
    calls,
    forgot,
    frames: (_key, _blob, times) => {
      calls.push(times);
      return Promise.resolve(times.map((t) => (bad(t) ? null : new Blob([`${t.toFixed(9)}`.padEnd(bytes, ' ')]))));
    },
    forget: (key) => void forgot.push(key),
  };
}

const timeOf = async (b: Blob) => Number((await b.text()).trim());

describe('VideoFrameSource', () => {
  it('decodes the frame asked for with the next annotated frames, in one pass, and serves those from the cache', async () => {
    const m = meta(40);
    const d = decoder();
    const src = new VideoFrameSource('p:1', new Blob(), m, d, new FrameCache());
    for (let f = 0; f < 40; f += 2) src.want(f);
    const b = await src.read(4);
    expect(await timeOf(b)).toBeCloseTo(frameSeekTime(m.timestamps, 4), 6);
    // frame 4 and the next annotated frames (every 2nd): FRAME_WINDOW frames in one call
    expect(d.calls).toHaveLength(1);
    expect(d.calls[0]!.map((t) => m.timestamps.findIndex((_, f) => Math.abs(frameSeekTime(m.timestamps, f) - t) < 1e-9))).toEqual(
      Array.from({ length: FRAME_WINDOW }, (_, i) => 4 + 2 * i),
    );
    // the next frames are kept: stepping through them decodes nothing more
    for (let f = 6; f < 4 + 2 * FRAME_WINDOW; f += 2)
      expect(await timeOf(await src.read(f))).toBeCloseTo(frameSeekTime(m.timestamps, f), 6);
    expect(d.calls).toHaveLength(1);
    // a frame asked for twice while being decoded: one decode
    const [x, y] = await Promise.all([src.read(30), src.read(30)]);
    expect(x).toBe(y);
    expect(d.calls).toHaveLength(2);
  });

  it('keeps at most the cache bytes, across clips (the least recently used go)', async () => {
    const cache = new FrameCache(1000);
    const d = decoder(100);
    const a = new VideoFrameSource('p:1', new Blob(), meta(30), d, cache);
    const b = new VideoFrameSource('p:2', new Blob(), meta(30), d, cache);
    for (let f = 0; f < 30; f++) {
      a.want(f);
      b.want(f);
    }
    await a.read(0); // frames 0-7 of a: 800 bytes
    await b.read(0); // frames 0-7 of b: the cache holds 10 frames of 100 bytes
    expect(cache.bytes).toBeLessThanOrEqual(1000);
    expect(cache.lru.size).toBe(10);
    expect(b.cached(0) && b.cached(7)).toBe(true);
    expect(a.cached(0)).toBe(false);
    // a frame dropped is decoded again when asked for
    const calls = d.calls.length;
    await a.read(0);
    expect(d.calls.length).toBe(calls + 1);
  });

  it('stepping backward decodes the frames before with it; large frames are decoded fewer at a time', async () => {
    const m = meta(40);
    const d = decoder();
    const src = new VideoFrameSource('p:1', new Blob(), m, d, new FrameCache());
    for (let f = 0; f < 40; f++) src.want(f);
    const frameOf = (t: number) => m.timestamps.findIndex((_, f) => Math.abs(frameSeekTime(m.timestamps, f) - t) < 1e-9);
    await src.read(30); // 30-37
    await src.read(29); // the next one is kept: going backward, 22-29
    expect(d.calls.map((c) => c.map(frameOf))).toEqual([
      [30, 31, 32, 33, 34, 35, 36, 37],
      [22, 23, 24, 25, 26, 27, 28, 29],
    ]);
    for (let f = 28; f >= 22; f--) await src.read(f);
    expect(d.calls).toHaveLength(2);
    // 4K frames (about 12 MB each as PNG here) in a 96 MB cache: two a pass, so the one asked for is not pushed out
    const big = new VideoFrameSource('p:2', new Blob(), meta(40, 3840, 2160), decoder(), new FrameCache());
    for (let f = 0; f < 40; f++) big.want(f);
    await big.read(0);
    expect([big.cached(0), big.cached(1), big.cached(2)]).toEqual([true, true, false]);
  });

  it('a frame that does not decode is refused with a message naming it; the others of its pass are kept', async () => {
    const m = meta(10);
    const d = decoder(100, (t) => Math.abs(t - frameSeekTime(m.timestamps, 3)) < 1e-9);
    const src = new VideoFrameSource('p:1', new Blob(), m, d, new FrameCache());
    for (let f = 0; f < 10; f++) src.want(f);
    await expect(src.read(3)).rejects.toThrow('Frame 3 of dog.mp4 could not be decoded (its data is damaged).');
    expect(src.cached(4)).toBe(true);
    await expect(src.read(12)).rejects.toThrow('dog.mp4 has no frame 12 (it has 10)');
  });

  it('closed (the project is closed): its frames leave the cache, the worker forgets the file, reads are refused', async () => {
    const cache = new FrameCache();
    const d = decoder();
    const src = new VideoFrameSource('p:1', new Blob(), meta(10), d, cache);
    for (let f = 0; f < 10; f++) src.want(f);
    await src.read(0);
    expect(cache.lru.size).toBe(8);
    src.close();
    expect(cache.lru.size).toBe(0);
    expect(d.forgot).toEqual(['p:1']);
    await expect(src.read(0)).rejects.toThrow('dog.mp4 is no longer open');
  });
});
