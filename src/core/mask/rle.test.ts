import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMaskPng } from '../../node/image.ts';
import {
  maskFromRle,
  maskFromRleCounts,
  rleArea,
  rleBbox,
  rleCountsFromMask,
  rleCountsFromString,
  rleFromMask,
  rleIou,
  rleStringFromCounts,
} from './rle.ts';
import { maskIou } from './iou.ts';

function expectSameBytes(a: Uint8Array, b: Uint8Array): void {
  expect(a.length).toBe(b.length);
  expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length))).toBe(0);
}

const TESTDATA = resolve(import.meta.dirname, '../../../../shared/testdata');
interface MaskVector {
  name: string;
  file: string;
  height: number;
  width: number;
  counts: string;
  area: number;
  bbox: number[];
}
const vectors = JSON.parse(readFileSync(resolve(TESTDATA, 'coco-rle-vectors.json'), 'utf8')) as { masks: MaskVector[] };

describe('COCO RLE against the reference vectors', () => {
  it('has vectors to check', () => {
    expect(vectors.masks.length).toBeGreaterThan(5);
  });
  for (const v of vectors.masks) {
    it(`${v.name}: encode, decode, area, bbox`, () => {
      const png = readMaskPng(resolve(TESTDATA, v.file));
      expect([png.height, png.width]).toEqual([v.height, v.width]);
      const rle = rleFromMask(png.mask, v.width, v.height);
      expect(rle.size).toEqual([v.height, v.width]);
      expect(rle.counts).toBe(v.counts);
      expectSameBytes(maskFromRle({ size: [v.height, v.width], counts: v.counts }), png.mask);
      expect(rleArea(rle)).toBe(v.area);
      expect(rleBbox(rle)).toEqual(v.bbox);
    });
  }
});

function randomMask(w: number, h: number, seed: number, density: number): Uint8Array {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const m = new Uint8Array(w * h);
  // blobs of runs so counts are long as well as short
  let v = 0;
  for (let i = 0; i < m.length; i++) {
    if (rnd() < density) v ^= 1;
    m[i] = v;
  }
  return m;
}

describe('COCO RLE properties', () => {
  it('decode(encode(m)) = m on random masks of many shapes', () => {
    for (let t = 0; t < 60; t++) {
      const w = 1 + ((t * 37) % 91);
      const h = 1 + ((t * 53) % 67);
      const m = randomMask(w, h, t + 1, [0.01, 0.2, 0.7][t % 3]!);
      const rle = rleFromMask(m, w, h);
      expectSameBytes(maskFromRle(rle), m);
      expect(rleCountsFromString(rle.counts)).toEqual(Array.from(rleCountsFromMask(m, w, h)));
      expect(rleArea(rle)).toBe(m.reduce((a, b) => a + b, 0));
    }
  });
  it('round-trips counts with large values and negative deltas', () => {
    const counts = [5_000_000, 1, 3, 16_000_000, 0, 2_000_000, 31, 32, 33, 15, 16, 17];
    expect(rleCountsFromString(rleStringFromCounts(counts))).toEqual(counts);
  });
  it('rejects counts that do not cover the image', () => {
    expect(() => maskFromRleCounts([3, 2], 2, 2)).toThrow(/more than/);
    expect(() => maskFromRleCounts([1, 2], 2, 2)).toThrow(/cover 3 pixels/);
    expect(() => rleCountsFromString('0\u0001')).toThrow(/invalid character/);
    expect(() => rleCountsFromString('h')).toThrow(/ends in the middle/);
  });
});

describe('rleIou', () => {
  it('equals the IoU of the decoded masks on random masks', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let t = 0; t < 30; t++) {
      const w = 1 + Math.floor(rand() * 40);
      const h = 1 + Math.floor(rand() * 40);
      const p = rand();
      const a = Uint8Array.from({ length: w * h }, () => (rand() < p ? 1 : 0));
      const b = Uint8Array.from({ length: w * h }, (_, i) => (rand() < 0.7 ? a[i]! : rand() < p ? 1 : 0));
      expect(rleIou(rleFromMask(a, w, h), rleFromMask(b, w, h))).toBeCloseTo(maskIou(a, b), 12);
    }
    const empty = rleFromMask(new Uint8Array(12), 4, 3);
    expect(rleIou(empty, empty)).toBe(1);
    expect(() => rleIou(empty, rleFromMask(new Uint8Array(12), 3, 4))).toThrow(/sizes differ/);
  });
});
