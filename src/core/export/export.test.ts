import { describe, expect, it } from 'vitest';
import { decodePng } from '../image/png.ts';
import { maskFromPolygons } from '../mask/polygon.ts';
import { rleFromMask } from '../mask/rle.ts';
import { emptyProject, type Annotation, type Project } from '../project/types.ts';
import { fileStem, uniqueStems } from './files.ts';
import { maskPngFiles } from './masks.ts';
import { joinPolygons, yoloFiles, yoloImageNames } from './yolo.ts';

function ann(id: number, imageId: number, categoryId: number, mask: Uint8Array, w: number, h: number): Annotation {
  return {
    id,
    imageId,
    categoryId,
    segmentation: rleFromMask(mask, w, h),
    area: mask.reduce((a, b) => a + b, 0),
    bbox: [0, 0, 0, 0],
    score: null,
    prompts: { points: [], box: null },
    source: 'brush',
    createdAt: 0,
  };
}

// 6 x 4: a ring (with a hole) and a separate block
const W = 6;
const H = 4;
const ring = Uint8Array.from([1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const block = Uint8Array.from([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

function project(): Project {
  const p = emptyProject('t');
  return {
    ...p,
    categories: [...p.categories, { id: 2, name: 'dog house', color: '#000000' }],
    images: [
      { id: 1, fileName: 'dir/a.jpg', width: W, height: H },
      { id: 2, fileName: 'other/a.jpg', width: W, height: H },
    ],
    annotations: [ann(1, 1, 1, ring, W, H), ann(2, 1, 2, block, W, H)],
  };
}

describe('mask PNG export', () => {
  it('binary, instance-id and semantic PNGs that decode to the masks', () => {
    const files = maskPngFiles(project());
    expect(Object.keys(files).sort()).toEqual(
      [
        'index.json',
        'instances/a.png',
        'instances/a_2.png',
        'masks/a/1_object.png',
        'masks/a/2_dog_house.png',
        'semantic/a.png',
        'semantic/a_2.png',
      ].sort(),
    );
    expect([...decodePng(files['masks/a/1_object.png']!).data]).toEqual([...ring].map((v) => v * 255));
    const inst = decodePng(files['instances/a.png']!).data;
    expect([...inst]).toEqual([...ring].map((v, i) => (block[i] ? 2 : v ? 1 : 0)));
    const sem = decodePng(files['semantic/a.png']!).data;
    expect(sem[4]).toBe(2);
    expect(sem[0]).toBe(1);
    expect([...decodePng(files['instances/a_2.png']!).data].every((v) => v === 0)).toBe(true);
    const index = JSON.parse(new TextDecoder().decode(files['index.json']));
    expect(index.images[0].annotations[1]).toMatchObject({ instance: 2, annotation_id: 2, category: 'dog house' });
  });
});

describe('YOLO export', () => {
  it('one normalized polygon line per object that re-rasterizes to the mask; an empty file for an empty image', () => {
    const { files, imageNames } = yoloFiles(project(), 0);
    expect(files['labels/a_2.txt']).toBe('');
    const lines = files['labels/a.txt']!.trim().split('\n');
    expect(lines).toHaveLength(2);
    const [cls, ...coords] = lines[1]!.split(' ');
    expect(cls).toBe('1');
    const poly = coords.map(Number).map((v, i) => (i & 1 ? v * H : v * W));
    expect([...maskFromPolygons([poly], W, H)]).toEqual([...block]);
    const ringPoly = lines[0]!
      .split(' ')
      .slice(1)
      .map(Number)
      .map((v, i) => (i & 1 ? v * H : v * W));
    expect([...maskFromPolygons([ringPoly], W, H)]).toEqual([...ring]);
    expect(files['data.yaml']).toContain('1: "dog house"');
    expect(imageNames.get(2)).toBe('images/a_2.jpg');
  });
  it('joins parts with zero-width bridges', () => {
    const joined = joinPolygons([
      [0, 0, 2, 0, 2, 2, 0, 2],
      [4, 0, 6, 0, 6, 2, 4, 2],
    ]);
    expect([...maskFromPolygons([joined], 6, 2)]).toEqual([1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1]);
  });
  it('unique stems', () => {
    expect(uniqueStems(['a/x.png', 'b/x.png', 'y z.jpg'])).toEqual(['x', 'x_2', 'y_z']);
  });
});

describe('file names in exports', () => {
  it('never makes a path segment of dots, a folder or an empty name out of a file name', () => {
    expect(fileStem('a/../../b.jpg/../..')).toBe('image');
    expect(fileStem('..')).toBe('image');
    expect(fileStem('.hidden.png')).toBe('hidden');
    expect(fileStem('C:\\photos\\cat 1.JPG')).toBe('cat_1');
    expect(fileStem('dog.jpeg')).toBe('dog');
    const p = {
      ...emptyProject('x'),
      images: [
        { id: 1, fileName: 'a/../../b.jpg/../..', width: 4, height: 4 },
        { id: 2, fileName: 'x.jpg/..', width: 4, height: 4 },
        { id: 3, fileName: 'ok.JPG', width: 4, height: 4 },
      ],
    };
    const names = [...yoloImageNames(p).values()];
    expect(names).toEqual(['images/image.png', 'images/image_2.png', 'images/ok.jpg']);
    for (const n of names) expect(n.split('/').every((seg) => seg !== '' && !/^\.+$/.test(seg))).toBe(true);
  });
});
