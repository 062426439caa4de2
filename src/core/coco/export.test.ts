import { describe, expect, it } from 'vitest';
import { rleFromMask, maskFromRle, type CocoRle } from '../mask/rle.ts';
import { emptyProject, type Project } from '../project/types.ts';
import { projectToCoco } from './export.ts';

describe('projectToCoco', () => {
  it('writes images, categories and RLE annotations with iscrowd 0', () => {
    const mask = new Uint8Array(4 * 3);
    mask[5] = mask[6] = 1; // (1,1) and (2,1)
    const p: Project = {
      ...emptyProject('demo'),
      images: [{ id: 7, fileName: 'dir/a.png', width: 4, height: 3 }],
      annotations: [
        {
          id: 1,
          imageId: 7,
          categoryId: 1,
          segmentation: rleFromMask(mask, 4, 3),
          area: 2,
          bbox: [1, 1, 2, 1],
          score: 0.9,
          prompts: { points: [{ x: 1.5, y: 1.2, positive: true }], box: null },
          source: 'points',
          createdAt: 0,
        },
      ],
    };
    const coco = projectToCoco(p, {}, new Date(0));
    expect(coco.images).toEqual([{ id: 7, file_name: 'dir/a.png', width: 4, height: 3 }]);
    expect(coco.categories).toEqual([{ id: 1, name: 'object', supercategory: '' }]);
    expect(coco.annotations).toHaveLength(1);
    const a = coco.annotations[0]!;
    const seg = a.segmentation as CocoRle;
    expect(a).toMatchObject({ id: 1, image_id: 7, category_id: 1, area: 2, bbox: [1, 1, 2, 1], iscrowd: 0, score: 0.9 });
    expect(seg.size).toEqual([3, 4]);
    expect([...maskFromRle(seg)]).toEqual([...mask]);
    expect(a.attributes['source']).toBe('points');
    // plain JSON, nothing shared with the project
    expect(JSON.parse(JSON.stringify(coco))).toEqual(coco);
    a.bbox[0] = 99;
    expect(p.annotations[0]!.bbox[0]).toBe(1);
  });
});

describe('proposals in the export', () => {
  const W = 10;
  const H = 4;
  const rect = (id: number, x0: number, x1: number, extra: Partial<Project['annotations'][number]>) => {
    const m = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 1;
    return {
      id,
      imageId: 1,
      categoryId: 1,
      segmentation: rleFromMask(m, W, H),
      area: (x1 - x0) * H,
      bbox: [x0, 0, x1 - x0, H] as [number, number, number, number],
      score: 0.9,
      prompts: { points: [], box: null },
      source: 'auto',
      createdAt: 0,
      ...extra,
    };
  };
  const p: Project = {
    ...emptyProject('demo'),
    images: [{ id: 1, fileName: 'a.png', width: W, height: H }],
    annotations: [
      rect(1, 0, 4, { review: 'pending' }), // covered by 3
      rect(2, 6, 10, { review: 'pending' }),
      rect(3, 0, 4, { source: 'points' }),
      rect(4, 5, 6, { review: 'accepted' }),
    ],
  };
  it('marks proposals, drops the covered ones, and can leave the unreviewed out', () => {
    const all = projectToCoco(p);
    expect(all.annotations.map((a) => [a.id, a.attributes['source'], a.attributes['review']])).toEqual([
      [2, 'auto', 'pending'],
      [3, 'points', undefined],
      [4, 'auto', 'accepted'],
    ]);
    expect(projectToCoco(p, { proposals: 'exclude' }).annotations.map((a) => a.id)).toEqual([3, 4]);
  });
});
