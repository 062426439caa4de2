import { describe, expect, it } from 'vitest';
import { maskFromRle, rleFromMask } from '../mask/rle.ts';
import { emptyProject } from '../project/types.ts';
import { CocoFormatError, fileMatchKey, parseCoco } from './import.ts';
import { mergeCocoIntoProject } from './merge.ts';

const base = () => ({
  images: [{ id: 1, file_name: 'a.jpg', width: 4, height: 3 }],
  categories: [{ id: 7, name: 'cat' }],
  annotations: [] as unknown[],
});

function errorOf(data: unknown): string {
  try {
    parseCoco(data);
  } catch (e) {
    expect(e).toBeInstanceOf(CocoFormatError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('parseCoco ranges: numbers are finite and within bounds of their image', () => {
  const big = () => ({
    images: [{ id: 1, file_name: 'a.jpg', width: 640, height: 480 }],
    categories: [{ id: 7, name: 'cat' }],
  });
  const poly = (xy: number[]) => ({ ...big(), annotations: [{ id: 5, image_id: 1, category_id: 7, segmentation: [xy] }] });
  const box = (b: number[]) => ({ ...big(), annotations: [{ id: 5, image_id: 1, category_id: 7, bbox: b }] });

  it('refuses polygon coordinates far outside the image, naming the coordinate', () => {
    expect(errorOf(poly([10, 10, 1e300, 10, 10, 50]))).toBe(
      'annotations[0].segmentation[0][2]: x = 1e+300 is far outside the 640x480 image (coordinates must lie within -640..1280)',
    );
    expect(errorOf(poly([10, 10, 50, 10, 10, 4e8]))).toMatch(/^annotations\[0\]\.segmentation\[0\]\[5\]: y = 400000000 is far outside/);
    expect(errorOf(poly([10, 10, 50, 10, 10, -481]))).toMatch(/segmentation\[0\]\[5\]: y = -481/);
  });

  it('keeps polygons that reach a little past the border (rasterized clipped), leaves out masks of no pixel', () => {
    const r = parseCoco(poly([-5, -5, 100, -5, 100, 100, -5, 100]));
    expect(r.annotations[0]!.bbox).toEqual([0, 0, 100, 100]);
    const outside = parseCoco(poly([700, 10, 800, 10, 800, 100]));
    expect(outside.annotations).toHaveLength(0);
    expect(outside.emptyMasks).toEqual([5]);
  });

  it('refuses more images than one project can hold, with the count and what to do', () => {
    const images = Array.from({ length: 100_001 }, (_, i) => ({ id: i + 1, file_name: `${i}.jpg`, width: 4, height: 3 }));
    expect(errorOf({ images, categories: [] })).toBe(
      'images: 100,001 images, more than the 100,000 one project can hold; split the file into several projects',
    );
  });

  it('refuses boxes far outside or covering no pixel, clips the others to the image', () => {
    expect(errorOf(box([1e308, 0, 10, 10]))).toMatch(/^annotations\[0\]\.bbox\[0\]: x = 1e\+308 is far outside the 640x480 image/);
    expect(errorOf(box([0, 0, 1e9, 1e9]))).toMatch(/^annotations\[0\]\.bbox\[2\]: x = 1000000000 is far outside/);
    expect(errorOf(box([650, 10, 20, 20]))).toBe(
      'annotations[0].bbox: the box [650, 10, 20, 20] covers less than one pixel of the 640x480 image',
    );
    expect(errorOf(box([10, 10, Number.NaN, 5]))).toBe('annotations[0].bbox[2]: expected a number, found number NaN');
    expect(parseCoco(box([-10, 470, 100, 30])).annotations[0]!.bbox).toEqual([0, 470, 90, 10]);
  });
});

describe('parseCoco validation', () => {
  it('names the field and what was expected', () => {
    expect(errorOf(42)).toMatch(/^\(file\): expected a COCO object/);
    expect(errorOf({})).toBe('images: expected an array, found nothing');
    expect(errorOf({ ...base(), images: [{ id: 1, file_name: 'a.jpg', width: '4', height: 3 }] })).toBe(
      'images[0].width: expected an integer ≥ 1, found the string "4"',
    );
    const ann = { id: 5, image_id: 1, category_id: 7, segmentation: [[0, 0, 1, 0, 1]] };
    expect(errorOf({ ...base(), annotations: [ann] })).toBe(
      'annotations[0].segmentation[0]: a polygon needs an even number of coordinates, at least 6; found 5',
    );
    expect(errorOf({ ...base(), annotations: [{ ...ann, image_id: 9 }] })).toBe('annotations[0].image_id: no image has id 9');
    expect(errorOf({ ...base(), annotations: [{ ...ann, category_id: 1 }] })).toBe('annotations[0].category_id: no category has id 1');
    const rle = { size: [3, 4], counts: [3, 2] };
    expect(errorOf({ ...base(), annotations: [{ ...ann, segmentation: rle }] })).toBe(
      'annotations[0].segmentation.counts: the runs cover 5 pixels, the 4x3 image has 12',
    );
    expect(errorOf({ ...base(), annotations: [{ ...ann, segmentation: { size: [4, 3], counts: 'x' } }] })).toMatch(
      /segmentation.size: expected \[3, 4\]/,
    );
    expect(errorOf({ ...base(), annotations: [{ ...ann, segmentation: { size: [3, 4], counts: [1e12, 1] } }] })).toMatch(/cover/);
    expect(errorOf({ ...base(), annotations: [{ ...ann, segmentation: [[0, 0, 1, 0, 'x', 1]] }] })).toBe(
      'annotations[0].segmentation[0][4]: expected a number, found the string "x"',
    );
    expect(errorOf({ ...base(), annotations: [{ ...ann, segmentation: null, bbox: [1, 2] }] })).toBe(
      'annotations[0].bbox: expected [x, y, width, height], found an array of 2',
    );
    expect(errorOf({ ...base(), annotations: [ann, ann] })).toMatch(
      /annotations\[0\]|annotations\[1\]\.id: id 5 is used by another annotation/,
    );
  });
  it('treats __proto__ keys as data, not as prototypes', () => {
    const data = JSON.parse(
      '{"images":[{"id":1,"file_name":"a.jpg","width":4,"height":3,"__proto__":{"polluted":1}}],"categories":[],"__proto__":{"x":1}}',
    );
    const r = parseCoco(data);
    expect(r.images[0]).toEqual({ cocoId: 1, fileName: 'a.jpg', width: 4, height: 3 });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
  it('reads polygons (parity fill, united), RLE of both kinds, and box-only annotations', () => {
    const mask = Uint8Array.from([1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    const compressed = rleFromMask(mask, 4, 3);
    const data = {
      ...base(),
      annotations: [
        {
          id: 1,
          image_id: 1,
          category_id: 7,
          segmentation: [
            [0, 0, 2, 0, 2, 1, 0, 1],
            [3, 2, 4, 2, 4, 3, 3, 3],
          ],
        },
        { id: 2, image_id: 1, category_id: 7, segmentation: compressed, iscrowd: 0 },
        { id: 3, image_id: 1, category_id: 7, segmentation: { size: [3, 4], counts: [0, 1, 2, 1, 8] }, iscrowd: 1 },
        { id: 4, image_id: 1, category_id: 7, bbox: [1, 1, 2, 1] },
      ],
    };
    const r = parseCoco(data);
    expect([...maskFromRle(r.annotations[0]!.segmentation!)]).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(r.annotations[1]!.segmentation).toEqual(compressed);
    expect(r.annotations[2]).toMatchObject({ iscrowd: true, format: 'rle', area: 2 });
    expect(r.annotations[3]).toMatchObject({ segmentation: null, format: 'box', bbox: [1, 1, 2, 1] });
  });
});

describe('mergeCocoIntoProject', () => {
  it('matches images by name (case and folders ignored), categories by name; boxes wait as pending', () => {
    const p = { ...emptyProject(), images: [{ id: 3, fileName: 'photos/A.JPG', width: 4, height: 3 }] };
    const imp = parseCoco({
      images: [
        { id: 1, file_name: 'a.jpg', width: 4, height: 3 },
        { id: 2, file_name: 'b.jpg', width: 4, height: 3 },
      ],
      categories: [
        { id: 10, name: 'Object' },
        { id: 11, name: 'dog' },
      ],
      annotations: [
        { id: 1, image_id: 1, category_id: 11, segmentation: [[0, 0, 2, 0, 2, 2, 0, 2]] },
        { id: 2, image_id: 2, category_id: 10, bbox: [0, 0, 1, 1] },
      ],
    });
    const r = mergeCocoIntoProject(p, imp);
    expect(r.newImages).toEqual(['b.jpg']);
    expect(r.newCategories).toEqual(['dog']);
    expect(r.masks).toBe(1);
    expect(r.boxes).toBe(1);
    expect(r.project.annotations[0]).toMatchObject({ imageId: 3, categoryId: 2, source: 'import', area: 4 });
    expect(r.project.pendingBoxes[0]).toMatchObject({ imageId: 4, categoryId: 1, bbox: [0, 0, 1, 1] });
    expect(fileMatchKey('C:\\data\\X.PNG')).toBe('x.png');
  });
  it('matches by the name alone only where one image of the file and one of the project have it', () => {
    const names = (fileNames: string[]) => ({
      images: fileNames.map((n, i) => ({ id: i + 1, file_name: n, width: 4, height: 3 })),
      categories: [{ id: 1, name: 'object' }],
      annotations: fileNames.map((_, i) => ({ id: i + 1, image_id: i + 1, category_id: 1, bbox: [0, 0, 1, 1] })),
    });
    const boxesPer = (r: ReturnType<typeof mergeCocoIntoProject>) =>
      r.project.images.map((im) => [im.fileName, r.project.pendingBoxes.filter((b) => b.imageId === im.id).length]);
    const img = (id: number, fileName: string) => ({ id, fileName, width: 4, height: 3 });
    // two images of one name in different folders stay two (they were one image, with both files' boxes)
    expect(boxesPer(mergeCocoIntoProject(emptyProject(), parseCoco(names(['x/a.jpg', 'y/a.jpg']))))).toEqual([
      ['x/a.jpg', 1],
      ['y/a.jpg', 1],
    ]);
    // the same paths (case and slashes ignored) find their images, whatever other images share the name
    const two = { ...emptyProject(), images: [img(1, 'x\\a.jpg'), img(2, 'Y/A.jpg')] };
    expect(boxesPer(mergeCocoIntoProject(two, parseCoco(names(['y/a.jpg', 'X/a.jpg']))))).toEqual([
      ['x\\a.jpg', 1],
      ['Y/A.jpg', 1],
    ]);
    // an ambiguous name (two opened, or two in the file) matches none of them: the file's images are added
    expect(boxesPer(mergeCocoIntoProject(two, parseCoco(names(['a.jpg']))))).toEqual([
      ['x\\a.jpg', 0],
      ['Y/A.jpg', 0],
      ['a.jpg', 1],
    ]);
    const one = { ...emptyProject(), images: [img(1, 'a.jpg')] };
    expect(mergeCocoIntoProject(one, parseCoco(names(['x/a.jpg', 'y/a.jpg']))).newImages).toEqual(['x/a.jpg', 'y/a.jpg']);
    // importing the same file twice lands on the same images
    const once = mergeCocoIntoProject(one, parseCoco(names(['x/a.jpg', 'y/a.jpg']))).project;
    const twice = mergeCocoIntoProject(once, parseCoco(names(['x/a.jpg', 'y/a.jpg'])));
    expect(twice.newImages).toEqual([]);
    expect(boxesPer(twice)).toEqual([
      ['a.jpg', 0],
      ['x/a.jpg', 2],
      ['y/a.jpg', 2],
    ]);
  });
  it('brings machine-made masks (attributes.source auto) in as proposals to review, with their score', () => {
    const seg = [[0, 0, 2, 0, 2, 2, 0, 2]];
    const imp = parseCoco({
      ...base(),
      annotations: [
        { id: 1, image_id: 1, category_id: 7, segmentation: seg, score: 0.93, attributes: { source: 'auto', mode: 'box' } },
        { id: 2, image_id: 1, category_id: 7, segmentation: seg, attributes: { source: 'auto', review: 'accepted' } },
        { id: 3, image_id: 1, category_id: 7, segmentation: seg, attributes: { source: 'points', review: 'pending' } },
        { id: 4, image_id: 1, category_id: 7, segmentation: seg, attributes: 'not an object' },
      ],
    });
    const anns = mergeCocoIntoProject(emptyProject(), imp).project.annotations;
    expect(anns.map((a) => [a.source, a.review, a.score])).toEqual([
      ['auto', 'pending', 0.93],
      ['auto', 'accepted', null],
      ['points', undefined, null],
      ['import', undefined, null],
    ]);
  });
  it('skips images whose size disagrees and says so', () => {
    const p = { ...emptyProject(), images: [{ id: 1, fileName: 'a.jpg', width: 5, height: 3 }] };
    const imp = parseCoco({ ...base(), annotations: [{ id: 1, image_id: 1, category_id: 7, bbox: [0, 0, 1, 1] }] });
    const r = mergeCocoIntoProject(p, imp);
    expect(r.sizeMismatches[0]).toMatch(/a\.jpg \(file says 4x3, the opened image is 5x3\)/);
    expect(r.boxes).toBe(0);
  });
});

describe('hostile input', () => {
  it('deep nesting in a polygon is refused with its path', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    const data = { ...base(), annotations: [{ id: 1, image_id: 1, category_id: 7, segmentation: [[0, 0, 1, 0, deep, 1]] }] };
    expect(errorOf(data)).toMatch(/^annotations\[0\]\.segmentation\[0\]\[4\]: expected a number, found an array of 1/);
  });
});
