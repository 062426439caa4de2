import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRgbaImage } from '../../node/image.ts';
import { encoderInputFromRgba, resizeRgb, SAM_NORMALIZATION } from './preprocess.ts';

const FIX = resolve(import.meta.dirname, 'fixtures');
const SAMPLES = resolve(import.meta.dirname, '../../../public/samples');

/** Max and mean absolute difference between our RGB output and a PIL RGBA reference. */
function compare(ours: Uint8ClampedArray, ref: Uint8Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  const n = ours.length / 3;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(ours[i * 3 + c]! - ref[i * 4 + c]!);
      max = Math.max(max, d);
      sum += d;
    }
  }
  return { max, mean: sum / (n * 3) };
}

describe('resizeRgb matches PIL bilinear (SAM ResizeLongestSide)', () => {
  it('upscaling 451x300 to 1024x681', () => {
    const src = readRgbaImage(resolve(SAMPLES, 'chelsea.png'));
    const ref = readRgbaImage(resolve(FIX, 'chelsea_1024x681_pil.png'));
    const ours = resizeRgb(src.data, src, { width: 1024, height: 681 });
    const d = compare(ours, ref.data);
    expect(d).toEqual({ max: 0, mean: 0 });
  });
  it('downscaling 2100x300 to 1024x146 with antialiasing', () => {
    const src = readRgbaImage(resolve(FIX, 'strip_2100x300.png'));
    const ref = readRgbaImage(resolve(FIX, 'strip_1024x146_pil.png'));
    const ours = resizeRgb(src.data, src, { width: 1024, height: 146 });
    const d = compare(ours, ref.data);
    expect(d).toEqual({ max: 0, mean: 0 });
  });
  it('is the identity at the same size and keeps a constant image constant', () => {
    const px = new Uint8Array([10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255, 100, 110, 120, 255]);
    expect([...resizeRgb(px, { width: 2, height: 2 }, { width: 2, height: 2 })]).toEqual([
      10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120,
    ]);
    const flat = new Uint8Array(7 * 5 * 4).fill(77);
    expect(new Set(resizeRgb(flat, { width: 7, height: 5 }, { width: 19, height: 3 }))).toEqual(new Set([77]));
  });
  it('rejects a buffer too small for the size', () => {
    expect(() => resizeRgb(new Uint8Array(10), { width: 4, height: 4 }, { width: 2, height: 2 })).toThrow(/too small/);
  });
});

describe('encoderInputFromRgba', () => {
  it('normalizes per channel, pads bottom/right with zeros, planar [3,1024,1024]', () => {
    // 2x1 image, wider than tall: resized to 1024x512
    const px = new Uint8Array([123.675, 116.28 + 57.12, 0, 255, 255, 255, 255, 255].map(Math.round));
    const out = encoderInputFromRgba(px, { width: 2, height: 1 });
    const S = 1024;
    expect(out.length).toBe(3 * S * S);
    const m = SAM_NORMALIZATION;
    // top-left pixel is the first source pixel (nearest to it in the bilinear filter)
    expect(out[0]).toBeCloseTo((124 - m.mean[0]) / m.std[0], 5);
    expect(out[S * S]).toBeCloseTo((173 - m.mean[1]) / m.std[1], 5);
    expect(out[2 * S * S]).toBeCloseTo((0 - m.mean[2]) / m.std[2], 5);
    // the last column holds the second pixel (white)
    expect(out[S - 1]).toBeCloseTo((255 - m.mean[0]) / m.std[0], 5);
    // rows 512..1023 are padding
    expect(out[512 * S]).toBe(0);
    expect(out[2 * S * S + 1023 * S + 1023]).toBe(0);
    expect(out[511 * S + 5]).not.toBe(0);
  });
});
