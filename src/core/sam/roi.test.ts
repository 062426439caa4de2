import { describe, expect, it } from 'vitest';
import { boxInRoi, boxPromptPlan, cropRgba, pasteMask, roiForBox, shouldCrop } from './roi.ts';

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

describe('boxPromptPlan', () => {
  const image = { width: 640, height: 480 };
  it('keeps the box on the whole image in box mode', () => {
    expect(boxPromptPlan([10, 20, 30, 40], image, 'box')).toEqual({ roi: null, box: { x0: 10, y0: 20, x1: 40, y1: 60 } });
  });
  it('crops with the margin and moves the box into the crop', () => {
    const p = boxPromptPlan([100, 100, 40, 20], image, 'box-crop', { margin: 0.5, minCropSide: 0 });
    expect(p.roi).toEqual({ x0: 80, y0: 90, x1: 160, y1: 130 });
    expect(p.box).toEqual({ x0: 20, y0: 10, x1: 60, y1: 30 });
  });
  it('grows small crops to the minimum side about the box, clipped to the image', () => {
    const p = boxPromptPlan([100, 100, 40, 20], image, 'box-crop', { margin: 0.15, minCropSide: 200 });
    expect(p.roi).toEqual({ x0: 20, y0: 10, x1: 220, y1: 210 });
    const edge = boxPromptPlan([0, 0, 10, 10], image, 'box-crop', { minCropSide: 200 });
    expect(edge.roi).toEqual({ x0: 0, y0: 0, x1: 105, y1: 105 });
  });
  it('grows crops to 256 px by default', () => {
    expect(boxPromptPlan([300, 200, 40, 20], image, 'box-crop').roi).toEqual({ x0: 192, y0: 82, x1: 448, y1: 338 });
  });
  it('auto crops small boxes only', () => {
    expect(boxPromptPlan([0, 0, 50, 50], image, 'auto-box').roi).not.toBeNull();
    expect(boxPromptPlan([0, 0, 500, 50], image, 'auto-box').roi).toBeNull();
  });
});
