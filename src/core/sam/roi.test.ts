import { describe, expect, it } from 'vitest';
import { boxInRoi, cropRgba, pasteMask, roiForBox, shouldCrop } from './roi.ts';

describe('ROI crops for box prompts', () => {
  it('grows the box by the margin, clips to the image, snaps outwards', () => {
    expect(roiForBox([10, 20, 100, 50], { width: 640, height: 480 })).toEqual({ x0: 0, y0: 12, x1: 125, y1: 78 });
    expect(roiForBox([600, 400, 40, 80], { width: 640, height: 480 }, 0.5)).toEqual({ x0: 580, y0: 360, x1: 640, y1: 480 });
  });
  it('puts the box in crop coordinates', () => {
    const roi = { x0: 5, y0: 12, x1: 125, y1: 78 };
    expect(boxInRoi([10, 20, 100, 50], roi)).toEqual({ x0: 5, y0: 8, x1: 105, y1: 58 });
  });
  it('crops small boxes only', () => {
    expect(shouldCrop([0, 0, 100, 100], { width: 640, height: 480 })).toBe(true);
    expect(shouldCrop([0, 0, 300, 100], { width: 640, height: 480 })).toBe(false);
  });
  it('crop and paste are inverse on the region', () => {
    const img = { width: 4, height: 3 };
    const rgba = Uint8Array.from({ length: 48 }, (_, i) => i);
    const roi = { x0: 1, y0: 1, x1: 3, y1: 3 };
    expect([...cropRgba(rgba, img, roi)]).toEqual([...rgba.slice(20, 28), ...rgba.slice(36, 44)]);
    expect([...pasteMask([1, 0, 0, 1], roi, img)]).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  });
});
