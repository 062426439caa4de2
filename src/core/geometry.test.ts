import { describe, expect, it } from 'vitest';
import {
  clampToImage,
  fitView,
  imageToModelPoint,
  imageToScreen,
  modelToImagePoint,
  resizeLongestSideShape,
  screenToImage,
  zoomViewAt,
} from './geometry.ts';

describe('resizeLongestSideShape (SAM get_preprocess_shape)', () => {
  it('scales the longest side to the target and rounds half up', () => {
    expect(resizeLongestSideShape({ width: 1800, height: 1200 })).toEqual({ width: 1024, height: 683 });
    expect(resizeLongestSideShape({ width: 451, height: 300 })).toEqual({ width: 1024, height: 681 });
    expect(resizeLongestSideShape({ width: 300, height: 451 })).toEqual({ width: 681, height: 1024 });
    expect(resizeLongestSideShape({ width: 512, height: 512 })).toEqual({ width: 1024, height: 1024 });
    expect(resizeLongestSideShape({ width: 6000, height: 4000 })).toEqual({ width: 1024, height: 683 });
    // 2048 x 1 -> 1024 x 0.5 rounds up to 1
    expect(resizeLongestSideShape({ width: 2048, height: 1 })).toEqual({ width: 1024, height: 1 });
  });
  it('rejects empty sizes', () => {
    expect(() => resizeLongestSideShape({ width: 0, height: 5 })).toThrow(RangeError);
  });
});

describe('image px <-> model px', () => {
  it('uses separate x and y factors of the rounded shape, as SAM apply_coords', () => {
    const im = { width: 451, height: 300 };
    const p = imageToModelPoint({ x: 451, y: 300 }, im);
    expect(p.x).toBeCloseTo(1024, 10);
    expect(p.y).toBeCloseTo(681, 10);
    const q = imageToModelPoint({ x: 100, y: 50 }, im);
    expect(q.x).toBeCloseTo((100 * 1024) / 451, 10);
    expect(q.y).toBeCloseTo((50 * 681) / 300, 10);
  });
  it('round-trips', () => {
    const im = { width: 6000, height: 4000 };
    const p = modelToImagePoint(imageToModelPoint({ x: 1234.5, y: 3999 }, im), im);
    expect(p.x).toBeCloseTo(1234.5, 9);
    expect(p.y).toBeCloseTo(3999, 9);
  });
});

describe('view transforms', () => {
  it('fits and centres the image', () => {
    const v = fitView({ width: 1000, height: 500 }, { width: 532, height: 532 }, 16);
    expect(v.scale).toBeCloseTo(0.5);
    expect(v.x).toBeCloseTo(16);
    expect(v.y).toBeCloseTo((532 - 250) / 2);
  });
  it('screen <-> image round-trip', () => {
    const v = { scale: 2.5, x: -30, y: 12 };
    const s = imageToScreen({ x: 10, y: 20 }, v);
    expect(s).toEqual({ x: -5, y: 62 });
    expect(screenToImage(s, v)).toEqual({ x: 10, y: 20 });
  });
  it('zooms keeping the point under the cursor fixed, within limits', () => {
    const v = { scale: 1, x: 100, y: 50 };
    const anchor = { x: 300, y: 200 };
    const before = screenToImage(anchor, v);
    const z = zoomViewAt(v, anchor, 3);
    expect(z.scale).toBe(3);
    const after = screenToImage(anchor, z);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
    expect(zoomViewAt(v, anchor, 1e9).scale).toBe(64);
    expect(zoomViewAt(v, anchor, 1e-9).scale).toBe(0.01);
  });
  it('clamps to the image', () => {
    expect(clampToImage({ x: -3, y: 900 }, { width: 100, height: 800 })).toEqual({ x: 0, y: 800 });
  });
});
