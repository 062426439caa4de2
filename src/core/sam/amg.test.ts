import { describe, expect, it } from 'vitest';
import { maskFromRle } from '../mask/rle.ts';
import { resizeLongestSideShape, type Point, type Size } from '../geometry.ts';
import {
  amgMaskFromLogits,
  amgPointDecoder,
  boxIou,
  cropBoxes,
  cropPoints,
  DEFAULT_AMG_PARAMS,
  generateMasks,
  isBoxNearCropEdge,
  nms,
  pointGrid,
  postprocessSmallRegions,
  stabilityScore,
  type AmgCropDecoder,
  type BoxXyxy,
  type AmgParams,
} from './amg.ts';
import type { PixelRect } from './roi.ts';

describe('pointGrid', () => {
  it('puts n x n points at cell centres, row by row', () => {
    expect(pointGrid(2)).toEqual([
      { x: 0.25, y: 0.25 },
      { x: 0.75, y: 0.25 },
      { x: 0.25, y: 0.75 },
      { x: 0.75, y: 0.75 },
    ]);
    const g = pointGrid(32);
    expect(g).toHaveLength(1024);
    expect(g[0]!.x).toBeCloseTo(1 / 64, 12);
    expect(g[1023]!.y).toBeCloseTo(1 - 1 / 64, 12);
  });
  it('scales to a crop and thins out per layer', () => {
    const p = { ...DEFAULT_AMG_PARAMS, pointsPerSide: 16, cropNPointsDownscaleFactor: 2 };
    expect(cropPoints(p, 0, { width: 100, height: 50 })).toHaveLength(256);
    expect(cropPoints(p, 1, { width: 100, height: 50 })).toHaveLength(64);
    expect(cropPoints(p, 0, { width: 100, height: 50 })[0]).toEqual({ x: 100 / 32, y: 50 / 32 });
  });
});

describe('cropBoxes', () => {
  it('is the whole image without layers', () => {
    expect(cropBoxes({ width: 640, height: 480 }, 0, 512 / 1500)).toEqual([{ box: [0, 0, 640, 480], layer: 0 }]);
  });
  it('adds 2^k x 2^k overlapping crops that cover the image per layer', () => {
    const im = { width: 1500, height: 1000 };
    const c = cropBoxes(im, 2, 512 / 1500);
    expect(c).toHaveLength(1 + 4 + 16);
    for (const layer of [1, 2]) {
      const boxes = c.filter((b) => b.layer === layer).map((b) => b.box);
      const covered = new Uint8Array(im.width * im.height);
      for (const [x0, y0, x1, y1] of boxes) {
        expect(x0).toBeGreaterThanOrEqual(0);
        expect(x1).toBeLessThanOrEqual(im.width);
        for (let y = y0; y < y1; y++) covered.fill(1, y * im.width + x0, y * im.width + x1);
      }
      expect(covered.every((v) => v === 1)).toBe(true);
      // neighbours overlap by int(ratio * short side * 2 / n)
      const n = 2 ** layer;
      const overlap = Math.trunc((512 / 1500) * 1000 * (2 / n));
      const xs = [...new Set(boxes.map((b) => b[0]))].sort((a, b) => a - b);
      const first = boxes.find((b) => b[0] === 0 && b[1] === 0)!;
      expect(first[2] - xs[1]!).toBe(overlap);
    }
  });
});

describe('stabilityScore', () => {
  it('is the IoU of the masks at threshold ± offset', () => {
    expect(stabilityScore([5, 5, 0.5, -0.5, -5], 0, 1)).toBeCloseTo(2 / 4, 12);
    expect(stabilityScore([5, 5, -5], 0, 1)).toBe(1);
    expect(stabilityScore([-5, -5], 0, 1)).toBe(0);
  });
});

describe('nms and boxes', () => {
  it('keeps the best of overlapping boxes and all disjoint ones', () => {
    const boxes: BoxXyxy[] = [
      [0, 0, 10, 10],
      [1, 1, 10, 10],
      [20, 20, 30, 30],
      [0, 0, 10, 9],
    ];
    expect(boxIou(boxes[0]!, boxes[1]!)).toBeCloseTo(81 / 100, 12);
    expect(nms(boxes, [0.9, 0.95, 0.5, 0.1], 0.7)).toEqual([1, 2]);
    expect(nms(boxes, [0.9, 0.95, 0.5, 0.1], 0.95)).toEqual([1, 0, 2, 3]);
  });
  it('flags boxes cut by an inner crop edge only', () => {
    const im = { width: 100, height: 100 };
    expect(isBoxNearCropEdge([10, 10, 49, 40], [0, 0, 50, 50], im)).toBe(true);
    expect(isBoxNearCropEdge([0, 0, 20, 20], [0, 0, 50, 50], im)).toBe(false);
    expect(isBoxNearCropEdge([5, 5, 95, 95], [0, 0, 100, 100], im)).toBe(false);
  });
});

/** A scene of rectangles: a point inside one gets its logits (+8 in, -8 out) at model-space size. */
function rectScene(image: Size, rects: PixelRect[], params: AmgParams) {
  const decoderFor = (crop: PixelRect): AmgCropDecoder => {
    const cw = crop.x1 - crop.x0;
    const ch = crop.y1 - crop.y0;
    const ms = resizeLongestSideShape({ width: cw, height: ch }, 1024);
    return amgPointDecoder(
      async (p: Point) => {
        const x = p.x + crop.x0;
        const y = p.y + crop.y0;
        const r = rects.find((q) => x >= q.x0 && x < q.x1 && y >= q.y0 && y < q.y1);
        const logits = new Float32Array(ms.width * ms.height).fill(-8);
        if (r) {
          for (let my = 0; my < ms.height; my++) {
            for (let mx = 0; mx < ms.width; mx++) {
              const ix = crop.x0 + ((mx + 0.5) * cw) / ms.width;
              const iy = crop.y0 + ((my + 0.5) * ch) / ms.height;
              if (ix >= r.x0 && ix < r.x1 && iy >= r.y0 && iy < r.y1) logits[my * ms.width + mx] = 8;
            }
          }
        }
        return { logits, modelSize: ms, predictedIou: r ? 0.95 : 0.5 };
      },
      [crop.x0, crop.y0, crop.x1, crop.y1],
      image,
      params,
    );
  };
  return { decoderFor };
}

describe('generateMasks', () => {
  const image = { width: 256, height: 192 };
  const rects: PixelRect[] = [
    { x0: 16, y0: 16, x1: 96, y1: 80 },
    { x0: 128, y0: 96, x1: 240, y1: 176 },
    { x0: 40, y0: 120, x1: 72, y1: 160 },
  ];
  it('finds each object once, with its exact mask', async () => {
    const params = { ...DEFAULT_AMG_PARAMS, pointsPerSide: 16 };
    const scene = rectScene(image, rects, params);
    const progress: number[] = [];
    const masks = await generateMasks(
      image,
      params,
      async (c) => scene.decoderFor(c),
      (p) => progress.push(p.done),
    );
    expect(masks).not.toBeNull();
    expect(masks!).toHaveLength(3);
    expect(progress.at(-1)).toBe(256);
    for (const r of rects) {
      const m = masks!.find((q) => q.box[0] === r.x0 && q.box[1] === r.y0)!;
      expect(m.box).toEqual([r.x0, r.y0, r.x1 - 1, r.y1 - 1]);
      expect(m.area).toBe((r.x1 - r.x0) * (r.y1 - r.y0));
      const px = maskFromRle(m.rle);
      expect(px.reduce((s, v) => s + v, 0)).toBe(m.area);
      expect(px[(r.y0 + 1) * image.width + r.x0 + 1]).toBe(1);
    }
  });
  it('hands a batched decoder the points in calls of pointsPerBatch, with the same masks as one by one', async () => {
    const params = { ...DEFAULT_AMG_PARAMS, pointsPerSide: 10 };
    const scene = rectScene(image, rects, params);
    const calls: number[] = [];
    const progress: number[] = [];
    const batched = await generateMasks(
      image,
      params,
      async (c) => {
        const one = scene.decoderFor(c);
        return {
          maskAtPoint: () => Promise.reject(new Error('a batched decoder is called with batches')),
          masksAtPoints: async (ps) => {
            calls.push(ps.length);
            return Promise.all(ps.map((p) => one.maskAtPoint(p)));
          },
        };
      },
      (p) => progress.push(p.done),
      () => false,
      32,
    );
    expect(calls).toEqual([32, 32, 32, 4]);
    expect(progress).toEqual([32, 64, 96, 100]);
    const single = await generateMasks(image, params, async (c) => scene.decoderFor(c));
    expect(batched).toEqual(single);
    expect(batched).toHaveLength(3);
  });
  it('merges the masks of crop layers with the whole image (smaller crop wins, cut masks dropped)', async () => {
    const params = { ...DEFAULT_AMG_PARAMS, pointsPerSide: 8, cropNLayers: 1 };
    const scene = rectScene(image, rects, params);
    let crops = 0;
    const masks = await generateMasks(image, params, async (c) => {
      crops++;
      return scene.decoderFor(c);
    });
    expect(crops).toBe(5);
    expect(masks!.map((m) => m.box).sort((a, b) => a[0] - b[0] || a[1] - b[1])).toEqual(
      rects.map((r) => [r.x0, r.y0, r.x1 - 1, r.y1 - 1]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!),
    );
  });
  it('stops when asked and rejects bad parameters', async () => {
    const scene = rectScene(image, rects, DEFAULT_AMG_PARAMS);
    let n = 0;
    const r = await generateMasks(
      image,
      { ...DEFAULT_AMG_PARAMS, pointsPerSide: 8 },
      async (c) => scene.decoderFor(c),
      undefined,
      () => ++n > 10,
    );
    expect(r).toBeNull();
    await expect(generateMasks(image, { ...DEFAULT_AMG_PARAMS, predIouThresh: 2 }, async (c) => scene.decoderFor(c))).rejects.toThrow(
      /pred_iou_thresh/,
    );
  });
});

describe('amgMaskFromLogits', () => {
  const image = { width: 64, height: 64 };
  const crop: BoxXyxy = [0, 0, 64, 64];
  const ms = { width: 1024, height: 1024 };
  const disc = (soft: boolean) => {
    const l = new Float32Array(1024 * 1024);
    for (let y = 0; y < 1024; y++)
      for (let x = 0; x < 1024; x++) {
        const d = Math.hypot(x - 512, y - 512);
        l[y * 1024 + x] = soft ? (300 - d) / 100 : d < 300 ? 6 : -6;
      }
    return l;
  };
  it('keeps a confident, stable mask and drops unsure or unstable ones', () => {
    const p = DEFAULT_AMG_PARAMS;
    const m = amgMaskFromLogits(disc(false), ms, 0.95, { x: 32, y: 32 }, crop, image, p);
    expect(m).not.toBeNull();
    expect(m!.stabilityScore).toBe(1);
    expect(m!.area).toBeGreaterThan(Math.PI * 17 * 17);
    expect(amgMaskFromLogits(disc(false), ms, 0.8, { x: 32, y: 32 }, crop, image, p)).toBeNull();
    expect(amgMaskFromLogits(disc(true), ms, 0.95, { x: 32, y: 32 }, crop, image, p)).toBeNull();
  });
});

describe('postprocessSmallRegions', () => {
  it('fills small holes, removes small islands and prefers unchanged masks', async () => {
    const w = 40;
    const h = 40;
    const mask = new Uint8Array(w * h);
    for (let y = 5; y < 25; y++) for (let x = 5; x < 25; x++) mask[y * w + x] = 1;
    mask[15 * w + 15] = 0; // a 1-px hole
    mask[35 * w + 35] = 1; // a 1-px island
    const { rleFromMask } = await import('../mask/rle.ts');
    const m = {
      rle: rleFromMask(mask, w, h),
      area: 400,
      box: [5, 5, 35, 35] as BoxXyxy,
      predictedIou: 0.9,
      stabilityScore: 1,
      point: { x: 10, y: 10 },
      cropBox: [0, 0, w, h] as BoxXyxy,
    };
    const [out] = postprocessSmallRegions([m], 10, 0.7);
    expect(out!.area).toBe(400);
    expect(out!.box).toEqual([5, 5, 24, 24]);
    const px = maskFromRle(out!.rle);
    expect(px[15 * w + 15]).toBe(1);
    expect(px[35 * w + 35]).toBe(0);
  });
});
