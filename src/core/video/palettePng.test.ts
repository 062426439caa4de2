import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng, labelMapFromPng } from '../image/png.ts';
import { maskFromRle } from '../mask/rle.ts';
import { emptyProject, type Project } from '../project/types.ts';
import { ann, H, trackSummary, twoClips, W } from './formats.fixture.ts';
import { davisPalette, palettePngFiles, tracksFromPalettePngs, type IndexImage } from './palettePng.ts';
import { mergeTracksIntoProject } from './trackImport.ts';

/** The fixture without the overlap (track 3 on pixel 11 only), so that every mask survives the PNGs. */
function disjoint(): Project {
  const p = twoClips();
  return { ...p, annotations: p.annotations.map((a) => (a.id === 5 ? ann(5, 5, 3, [11], { trackId: 3, track: 'key' }) : a)) };
}

const indexImages = (files: Record<string, Uint8Array>): IndexImage[] =>
  Object.entries(files)
    .filter(([k]) => k.endsWith('.png'))
    .map(([path, bytes]) => {
      const img = decodePng(bytes, true);
      return { path, width: img.width, height: img.height, data: img.data };
    });

describe('davisPalette', () => {
  it('is the PASCAL VOC / DAVIS colour map', () => {
    const p = davisPalette();
    expect(p).toHaveLength(256);
    expect(p.slice(0, 9)).toEqual([
      [0, 0, 0],
      [128, 0, 0],
      [0, 128, 0],
      [128, 128, 0],
      [0, 0, 128],
      [128, 0, 128],
      [0, 128, 128],
      [128, 128, 128],
      [64, 0, 0],
    ]);
    // 255 = 0b11111111: groups 111, 111, 11 → r = g = 128+64+32, b = 128+64
    expect(p[255]).toEqual([224, 224, 192]);
    // 20 = 0b010100: groups 100 (b), 010 (g) → b 128, g 64
    expect(p[20]).toEqual([0, 64, 128]);
  });
});

describe('palettePngFiles', () => {
  const files = palettePngFiles(twoClips());

  it('writes one indexed PNG per frame of each clip, and instances.json', () => {
    expect(Object.keys(files).sort()).toEqual([
      'cat/00000.png',
      'cat/00005.png',
      'cat/00010.png',
      'dogs/a_0.png',
      'dogs/a_1.png',
      'instances.json',
    ]);
    const png = files['dogs/a_1.png']!;
    // IHDR: 8 signature bytes, length, "IHDR", width, height, bit depth (byte 24), colour type (byte 25)
    expect([png[24], png[25]]).toEqual([8, 3]);
  });

  it('pixel value = the track’s index in its clip, the later track on top; 0 elsewhere', () => {
    const idx = (k: string) => [...decodePng(files[k]!, true).data];
    // cat: track 1 is index 1 (pixels 0, 1 on frame 0; 5 on frame 10; nothing on frame 5)
    expect(idx('cat/00000.png')).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(idx('cat/00005.png')).toEqual(new Array(12).fill(0));
    expect(idx('cat/00010.png')).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    // dogs: track 2 → 1 (pixels 3, 7), track 3 → 2 (pixels 7, 11): 7 is the later track's
    expect(idx('dogs/a_1.png')).toEqual([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2]);
    // the colours are DAVIS's: index 1 dark red, 2 dark green
    const rgb = decodePng(files['dogs/a_1.png']!);
    expect(rgb.channels).toBe(3);
    expect([...rgb.data.slice(3 * 3, 3 * 3 + 3)]).toEqual([128, 0, 0]);
    expect([...rgb.data.slice(7 * 3, 7 * 3 + 3)]).toEqual([0, 128, 0]);
  });

  it('instances.json maps each index to its track and category (YouTube-VOS meta.json layout)', () => {
    expect(JSON.parse(new TextDecoder().decode(files['instances.json']))).toEqual({
      videos: {
        cat: { name: 'cat.mp4', fps: 30, objects: { '1': { track_id: 1, category: 'cat', frames: ['00000', '00010'] } } },
        dogs: {
          name: 'dogs',
          fps: null,
          objects: {
            '1': { track_id: 2, category: 'dog', frames: ['a_0', 'a_1'] },
            '2': { track_id: 3, category: 'dog', frames: ['a_1'] },
          },
        },
      },
    });
  });

  it('refuses a clip with more tracks than indices', () => {
    const p = twoClips();
    const many = Array.from({ length: 255 }, (_, i) => ann(100 + i, 1, 2, [0], { trackId: 100 + i }));
    expect(() => palettePngFiles({ ...p, annotations: many })).toThrow(/255 tracks; palette PNGs hold at most 254 objects per clip/);
  });
});

describe('tracksFromPalettePngs', () => {
  it('round trip: the same masks per frame, grouping and categories (via instances.json)', () => {
    const p = disjoint();
    const files = palettePngFiles(p);
    const instances = JSON.parse(new TextDecoder().decode(files['instances.json'])) as unknown;
    const imp = tracksFromPalettePngs(indexImages(files), instances);
    expect(imp.clips.map((c) => [c.name, c.frames])).toEqual([
      ['cat.mp4', ['cat/00000.png', 'cat/00005.png', 'cat/00010.png']],
      ['dogs', ['dogs/a_0.png', 'dogs/a_1.png']],
    ]);
    expect(imp.tracks.map((t) => [t.clip, t.category, t.masks.map((m) => m !== null)])).toEqual([
      [0, 'cat', [true, false, true]],
      [1, 'dog', [true, true]],
      [1, 'dog', [false, true]],
    ]);
    const bare = { ...p, annotations: p.annotations.filter((a) => a.trackId === undefined) };
    const r = mergeTracksIntoProject(bare, imp, 0);
    expect(r).toMatchObject({ tracks: 3, masks: 5, framesNotFound: [], sizeMismatches: [], newCategories: [] });
    // roles are not in the PNGs: every mask comes back a keyframe, flags none
    const expected = trackSummary(p).map((t) => ({ ...t, frames: t.frames.map((f) => ({ ...f, track: 'key', flag: null })) }));
    expect(trackSummary(r.project)).toEqual(expected);
  });

  it('without instances.json: a 0/255 mask folder is one object; several values are objects, 255 void', () => {
    const img = (path: string, data: number[]): IndexImage => ({ path, width: W, height: H, data });
    const z = new Array(12).fill(0);
    const single = tracksFromPalettePngs([
      img('seq/masks/00001.png', [255, 255, ...z.slice(2)]),
      img('seq/masks/00000.png', [...z.slice(1), 255]),
    ]);
    expect(single.clips).toEqual([{ name: 'masks', frames: ['seq/masks/00000.png', 'seq/masks/00001.png'] }]);
    expect(single.tracks).toHaveLength(1);
    expect(single.tracks[0]!.category).toBeNull();
    const multi = tracksFromPalettePngs([img('v/0.png', [1, 2, 255, ...z.slice(3)]), img('v/1.png', [2, 2, 3, ...z.slice(3)])]);
    expect(multi.tracks.map((t) => t.masks.map((m) => m !== null))).toEqual([
      [true, false],
      [true, true],
      [false, true],
    ]);
  });

  const DAVIS = resolve(import.meta.dirname, '../../../../shared/datasets/davis2016-dev/dog/masks');
  it.skipIf(!existsSync(DAVIS))('imports a DAVIS 2016 ground-truth folder (0/255 grayscale) onto the clip of its frames', () => {
    const names = readdirSync(DAVIS)
      .filter((n) => n.endsWith('.png'))
      .sort()
      .slice(0, 4);
    let expectedPixels = 0;
    const files = names.map((n) => {
      const m = labelMapFromPng(readFileSync(resolve(DAVIS, n)));
      for (const v of m.labels) if (v === 255) expectedPixels++;
      return { path: `dog/masks/${n}`, width: m.width, height: m.height, data: m.labels };
    });
    const project: Project = {
      ...emptyProject('davis'),
      images: names.map((n, i) => ({
        id: i + 1,
        fileName: `dog/frames/${n.replace('.png', '.jpg')}`,
        width: 854,
        height: 480,
        video: { id: 1, name: 'dog', frame: i, fps: 24 },
      })),
    };
    const r = mergeTracksIntoProject(project, tracksFromPalettePngs(files), 0);
    expect(r.tracks).toBe(1);
    expect(r.framesNotFound).toEqual([]);
    expect(r.project.annotations.map((a) => a.imageId)).toEqual([1, 2, 3, 4]);
    expect(r.project.annotations.every((a) => a.trackId === 1 && a.categoryId === 1)).toBe(true);
    expect(r.project.annotations.reduce((s, a) => s + a.area, 0)).toBe(expectedPixels);
    const first = [...maskFromRle(r.project.annotations[0]!.segmentation)];
    expect(first).toEqual([...files[0]!.data].map((v) => (v === 255 ? 1 : 0)));
  });
});
