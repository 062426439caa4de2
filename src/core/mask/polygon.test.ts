import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelComponents, maskFromPolygons, polygonsFromMask, polygonsFromRle, rleCountsFromPolygon } from './polygon.ts';
import { maskFromRle, rleArea, rleBbox, rleStringFromCounts } from './rle.ts';

const TESTDATA = resolve(import.meta.dirname, '../../../../shared/testdata');
interface PolyVector {
  name: string;
  height: number;
  width: number;
  polygon: number[];
  counts: string;
  area: number;
  bbox: number[];
}
const vectors = JSON.parse(readFileSync(resolve(TESTDATA, 'coco-rle-vectors.json'), 'utf8')) as { polygons: PolyVector[] };

describe('polygon rasterization against the COCO reference (frPoly)', () => {
  it('has vectors', () => expect(vectors.polygons.length).toBeGreaterThan(5));
  for (const v of vectors.polygons) {
    it(v.name, () => {
      const counts = rleCountsFromPolygon(v.polygon, v.width, v.height);
      const rle = { size: [v.height, v.width] as [number, number], counts: rleStringFromCounts(counts) };
      expect(rle.counts).toBe(v.counts);
      expect(rleArea(rle)).toBe(v.area);
      expect(rleBbox(rle)).toEqual(v.bbox);
    });
  }
});

function maskOf(rows: string[]): { mask: Uint8Array; width: number; height: number } {
  const height = rows.length;
  const width = rows[0]!.length;
  const mask = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (mask[y * width + x] = c === '#' ? 1 : 0)));
  return { mask, width, height };
}

function roundTrip(mask: Uint8Array, width: number, height: number): void {
  const polys = polygonsFromMask(mask, width, height);
  const back = maskFromPolygons(polys, width, height);
  expect(Buffer.from(back).equals(Buffer.from(mask))).toBe(true);
}

describe('polygonsFromMask', () => {
  it('a square is 4 corners in pixel-corner coordinates', () => {
    const { mask, width, height } = maskOf(['.....', '.###.', '.###.', '.....']);
    expect(polygonsFromMask(mask, width, height)).toEqual([[1, 1, 4, 1, 4, 3, 1, 3]]);
    roundTrip(mask, width, height);
  });
  it('keeps a hole with a zero-width bridge, in one polygon', () => {
    const { mask, width, height } = maskOf(['#####', '#...#', '#...#', '#####']);
    const polys = polygonsFromMask(mask, width, height);
    expect(polys).toHaveLength(1);
    roundTrip(mask, width, height);
  });
  it('keeps every part of a multi-part mask, including diagonal neighbours', () => {
    const { mask, width, height } = maskOf(['#..#', '.##.', '.##.', '#..#']);
    expect(labelComponents(mask, width, height).count).toBe(5);
    expect(polygonsFromMask(mask, width, height)).toHaveLength(5);
    roundTrip(mask, width, height);
  });
  it('an island in a hole in a part, holes above holes, touching the border', () => {
    const { mask, width, height } = maskOf([
      '#########',
      '#.......#',
      '#.#####.#',
      '#.#...#.#',
      '#.#.#.#.#',
      '#.#...#.#',
      '#.#####.#',
      '#...#...#',
      '#.#...#.#',
      '#########',
    ]);
    roundTrip(mask, width, height);
  });
  it('round-trips random masks exactly at tolerance 0', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let t = 0; t < 200; t++) {
      const width = 1 + Math.floor(rnd() * 24);
      const height = 1 + Math.floor(rnd() * 24);
      const density = rnd();
      const mask = Uint8Array.from({ length: width * height }, () => (rnd() < density ? 1 : 0));
      roundTrip(mask, width, height);
    }
  });
  it('drops parts below minArea and simplifies with a tolerance', () => {
    const { mask, width, height } = maskOf(['#......', '.......', '..####.', '..####.', '..####.']);
    expect(polygonsFromMask(mask, width, height, { minArea: 2 })).toEqual([[2, 2, 6, 2, 6, 5, 2, 5]]);
    const disc = new Uint8Array(100 * 100);
    for (let y = 0; y < 100; y++) for (let x = 0; x < 100; x++) disc[y * 100 + x] = (x - 50) ** 2 + (y - 50) ** 2 < 35 ** 2 ? 1 : 0;
    const exact = polygonsFromMask(disc, 100, 100)[0]!;
    const simple = polygonsFromMask(disc, 100, 100, { tolerance: 1 })[0]!;
    expect(simple.length).toBeLessThan(exact.length / 3);
    const back = maskFromPolygons([simple], 100, 100);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < disc.length; i++) {
      inter += disc[i]! & back[i]!;
      union += disc[i]! | back[i]!;
    }
    expect(inter / union).toBeGreaterThan(0.97);
  });
  it('the reference masks of the test data round-trip', () => {
    for (const name of ['ring_with_hole_64x64', 'random_noise_37x53', 'checker_9x11']) {
      const v = JSON.parse(readFileSync(resolve(TESTDATA, 'coco-rle-vectors.json'), 'utf8')).masks.find(
        (m: { name: string }) => m.name === name,
      );
      const mask = maskFromRle({ size: [v.height, v.width], counts: v.counts });
      roundTrip(mask, v.width, v.height);
    }
  });
});

describe('polygonsFromRle', () => {
  it('works on the bounding box and gives image coordinates', async () => {
    const { rleFromMask } = await import('./rle.ts');
    const { mask, width, height } = maskOf(['........', '..####..', '..#..#..', '..####..', '........', '.......#']);
    const rle = rleFromMask(mask, width, height);
    const polys = polygonsFromRle(rle);
    expect(polys).toHaveLength(2);
    const back = maskFromPolygons(polys, width, height);
    expect([...back]).toEqual([...mask]);
    expect(polygonsFromRle(rleFromMask(new Uint8Array(6), 3, 2))).toEqual([]);
  });
});

describe('region clean-up (SAM min_mask_region_area)', () => {
  it('fills small holes not touching the border and removes small islands', async () => {
    const { removeSmallRegions, mergeMasks } = await import('./polygon.ts');
    const { mask, width, height } = maskOf(['######..', '#.####..', '######.#', '......##', '#.......']);
    const holes = removeSmallRegions(mask, width, height, 2, 'holes');
    expect(holes.changed).toBe(true);
    expect(holes.mask[1 * width + 1]).toBe(1); // the enclosed 1-pixel hole
    expect(holes.mask[3 * width + 0]).toBe(0); // background touching the border stays
    const islands = removeSmallRegions(mask, width, height, 2, 'islands');
    expect(islands.mask[4 * width + 0]).toBe(0); // the lone pixel
    expect(islands.mask[2 * width + 7]).toBe(1); // a 3-pixel part stays
    expect(removeSmallRegions(mask, width, height, 1, 'islands').changed).toBe(false);
    expect([
      ...mergeMasks([
        [1, 0, 0],
        [0, 0, 1],
      ]),
    ]).toEqual([1, 0, 1]);
    expect([
      ...mergeMasks(
        [
          [1, 1, 0],
          [0, 1, 1],
        ],
        true,
      ),
    ]).toEqual([0, 1, 0]);
  });
});

describe('outline rings for drawing', () => {
  it('a square with a hole: one outer ring and one hole ring, on pixel corners, no bridge', async () => {
    const { outlineRingsFromRle } = await import('./polygon.ts');
    const { rleFromMask } = await import('./rle.ts');
    const w = 20;
    const h = 16;
    const m = new Uint8Array(w * h);
    for (let y = 2; y < 12; y++) for (let x = 3; x < 15; x++) m[y * w + x] = 1;
    for (let y = 5; y < 8; y++) for (let x = 6; x < 9; x++) m[y * w + x] = 0;
    const rings = outlineRingsFromRle(rleFromMask(m, w, h), 0);
    expect(rings).toHaveLength(2);
    const boxes = rings
      .map((r) => {
        const xs = r.filter((_, i) => i % 2 === 0);
        const ys = r.filter((_, i) => i % 2 === 1);
        return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
      })
      .sort((a, b) => a[0]! - b[0]!);
    expect(boxes).toEqual([
      [3, 2, 15, 12],
      [6, 5, 9, 8],
    ]);
    // each ring is the 4 corners of its rectangle (simplified exactly)
    expect(rings.map((r) => r.length / 2).sort()).toEqual([4, 4]);
  });
});
