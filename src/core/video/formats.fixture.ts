/** A small project of two clips and three tracks (with gaps), shared by the video format tests. */
import { maskFromRle, rleFromMask } from '../mask/rle.ts';
import type { Annotation, ImageRecord, Project } from '../project/types.ts';
import { tracksOf } from './clips.ts';

export const W = 4;
export const H = 3;

/** The 4x3 mask with these row-major pixels set, and its box worked out from the pixels. */
export function maskOf(pixels: number[]) {
  const m = new Uint8Array(W * H);
  for (const p of pixels) m[p] = 1;
  const xs = pixels.map((p) => p % W);
  const ys = pixels.map((p) => Math.floor(p / W));
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  const bbox: [number, number, number, number] = [x0, y0, Math.max(...xs) + 1 - x0, Math.max(...ys) + 1 - y0];
  return { segmentation: rleFromMask(m, W, H), area: pixels.length, bbox };
}

/** The set pixels (row-major) of an annotation's mask. */
export const pixelsOf = (a: Pick<Annotation, 'segmentation'>) => [...maskFromRle(a.segmentation)].flatMap((v, i) => (v ? [i] : []));

export function ann(id: number, imageId: number, categoryId: number, pixels: number[], extra: Partial<Annotation> = {}): Annotation {
  return {
    id,
    imageId,
    categoryId,
    ...maskOf(pixels),
    score: null,
    prompts: { points: [], box: null },
    source: 'points',
    createdAt: 0,
    ...extra,
  };
}

const img = (id: number, fileName: string, video?: ImageRecord['video']): ImageRecord => ({
  id,
  fileName,
  width: W,
  height: H,
  ...(video ? { video } : {}),
});

/**
 * Clip 1 "cat.mp4" (frames 0, 5, 10), clip 2 "dogs" (frames 0, 1) and a plain image; track 1 (cat)
 * on frames 0 and 10 of clip 1, tracks 2 and 3 (dog) in clip 2, track 3 only on frame 1.
 */
export function twoClips(): Project {
  const cat = (frame: number) => ({ id: 1, name: 'cat.mp4', frame, fps: 30 });
  const dogs = (frame: number) => ({ id: 2, name: 'dogs', frame, fps: null });
  return {
    name: 'clips',
    images: [
      img(1, 'cat/00000.jpg', cat(0)),
      img(2, 'cat/00005.jpg', cat(5)),
      img(3, 'cat/00010.jpg', cat(10)),
      img(4, 'dogs/a_0.png', dogs(0)),
      img(5, 'dogs/a_1.png', dogs(1)),
      img(6, 'x.jpg'),
    ],
    categories: [
      { id: 1, name: 'object', color: '#ff0000' },
      { id: 2, name: 'cat', color: '#00ff00' },
      { id: 3, name: 'dog', color: '#0000ff' },
    ],
    annotations: [
      ann(1, 1, 2, [0, 1], { trackId: 1, track: 'key' }),
      ann(2, 3, 2, [5], { trackId: 1, track: 'propagated', flag: 'lost' }),
      ann(3, 4, 3, [2], { trackId: 2, track: 'key' }),
      ann(4, 5, 3, [3, 7], { trackId: 2, track: 'interpolated' }),
      ann(5, 5, 3, [7, 11], { trackId: 3, track: 'key' }),
      ann(6, 6, 1, [0]),
    ],
    pendingBoxes: [],
    skipped: [],
  };
}

/** A project's tracks as plain data: per track its clip, category name and per frame its pixels, role and flag. */
export function trackSummary(p: Project) {
  const cat = new Map(p.categories.map((c) => [c.id, c.name]));
  return tracksOf(p).map((t) => ({
    clip: t.videoId,
    category: cat.get(t.categoryId),
    frames: [...t.byFrame.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([f, a]) => ({ frame: f, pixels: pixelsOf(a), track: a.track ?? 'key', flag: a.flag ?? null })),
  }));
}
