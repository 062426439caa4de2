import { describe, expect, it } from 'vitest';
import type { Annotation, ImageRecord } from '../project/types.ts';
import { videoStats } from './stats.ts';

const frame = (id: number, video: number, f: number): ImageRecord => ({
  id,
  fileName: `${video}/${f}.png`,
  width: 4,
  height: 4,
  video: { id: video, name: `clip${video}`, frame: f, fps: 25 },
});
const mask = (id: number, imageId: number, trackId: number, extra: Partial<Annotation> = {}): Annotation => ({
  id,
  imageId,
  categoryId: 1,
  segmentation: { size: [4, 4], counts: '0@' },
  area: 16,
  bbox: [0, 0, 4, 4],
  score: null,
  prompts: { points: [], box: null },
  source: 'points',
  createdAt: id,
  trackId,
  ...extra,
});

describe('videoStats', () => {
  it('per track and per clip: frames by how they came, and a person’s time per frame with a mask', () => {
    const images = [
      frame(1, 1, 0),
      frame(2, 1, 1),
      frame(3, 1, 2),
      frame(4, 1, 3),
      frame(5, 2, 0),
      { id: 6, fileName: 'photo.png', width: 4, height: 4 },
    ];
    const annotations = [
      // track 10 on clip 1: a keyframe (6 s, 2 clicks), two propagated (one flagged), a corrected keyframe (3 s, 1 click, 1 stroke)
      mask(10, 1, 10, { track: 'key', timeMs: 6000, clicks: 2 }),
      mask(11, 2, 10, { track: 'propagated' }),
      mask(12, 3, 10, { track: 'propagated', flag: 'abrupt' }),
      mask(13, 4, 10, { track: 'key', timeMs: 3000, clicks: 1, strokes: 1 }),
      // track 20 on clip 1: a keyframe without a role (made before roles), an interpolated frame
      mask(20, 1, 20, { timeMs: 1000, clicks: 1 }),
      mask(21, 2, 20, { track: 'interpolated' }),
      // clip 2: one keyframe; and a mask on a photo, no track: not counted
      mask(30, 5, 30, { track: 'key', timeMs: 4000, clicks: 3 }),
      { ...mask(40, 6, 0), trackId: undefined } as unknown as Annotation,
    ];
    const { clips, tracks } = videoStats({ images, annotations });
    expect(
      tracks.map((t) => [t.id, t.frames, t.keyframes, t.propagated, t.interpolated, t.flagged, t.activeMs, t.clicks, t.strokes]),
    ).toEqual([
      [10, 4, 2, 2, 0, 1, 9000, 3, 1],
      [20, 2, 1, 0, 1, 0, 1000, 1, 0],
      [30, 1, 1, 0, 0, 0, 4000, 3, 0],
    ]);
    expect(tracks[0]!.secondsPerFrame).toBeCloseTo(9 / 4);
    expect(clips.map((c) => [c.name, c.clipFrames, c.tracks, c.frames, c.keyframes, c.activeMs])).toEqual([
      ['clip1', 4, 2, 6, 3, 10000],
      ['clip2', 1, 1, 1, 1, 4000],
    ]);
    expect(clips[0]!.secondsPerFrame).toBeCloseTo(10 / 6);
  });
});
