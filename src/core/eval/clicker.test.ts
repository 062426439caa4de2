import { describe, expect, it } from 'vitest';
import {
  clicksToReach,
  groundTruthFromGray,
  iouWithIgnore,
  maskLayoutProblem,
  nextRobotClick,
  objectArea,
  objectBox,
  objectSizeClass,
  summarizeRuns,
} from './clicker.ts';
import { distanceTransform } from './edt.ts';

/** Brute-force distance to the nearest outside pixel (border outside), for checking. */
function bruteDt(region: number[], w: number, h: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!region[y * w + x]) {
        out.push(0);
        continue;
      }
      let best = Infinity;
      for (let yy = -1; yy <= h; yy++) {
        for (let xx = -1; xx <= w; xx++) {
          const outside = xx < 0 || yy < 0 || xx >= w || yy >= h || !region[yy * w + xx];
          if (outside) best = Math.min(best, Math.hypot(xx - x, yy - y));
        }
      }
      out.push(best);
    }
  }
  return out;
}

describe('distanceTransform', () => {
  it('a 5x5 block: distances to the border counted as boundary', () => {
    const r = new Array(25).fill(1);
    const d = distanceTransform(r, 5, 5);
    expect(d[12]).toBe(3); // centre pixel: 3 px to the padding
    expect(d[0]).toBe(1);
    expect([...d]).toEqual(bruteDt(r, 5, 5));
  });
  it('equals brute force on random regions', () => {
    let s = 5;
    const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let t = 0; t < 30; t++) {
      const w = 1 + Math.floor(rnd() * 12);
      const h = 1 + Math.floor(rnd() * 12);
      const r = Array.from({ length: w * h }, () => (rnd() < 0.7 ? 1 : 0));
      const d = distanceTransform(r, w, h);
      bruteDt(r, w, h).forEach((v, i) => expect(d[i]).toBeCloseTo(v, 9));
    }
  });
  it('without the border as boundary, an all-object image has no finite distance', () => {
    expect(distanceTransform([1, 0, 1], 3, 1, false)[0]).toBe(1);
  });
});

describe('click robot', () => {
  // 7 x 5 ground truth: object columns 1..5 of rows 1..3, with an ignore band value 128 at (1,1)
  const gray = [
    0, 0, 0, 0, 0, 0, 0, 0, 128, 255, 255, 255, 255, 0, 0, 255, 255, 255, 255, 255, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0,
  ];
  const gt = groundTruthFromGray(gray, 7, 5);

  it('reads 128 as ignored, above as object', () => {
    expect(gt.ignore[8]).toBe(1);
    expect(gt.object[8]).toBe(0);
    expect(gt.object[9]).toBe(1);
  });
  it('the first click is positive at the object pixel farthest from its boundary (first in scan order)', () => {
    const c = nextRobotClick(new Uint8Array(35), gt);
    // row 2 is 2 px from the background above and below; (2, 2) is only √2 from the ignored pixel (1, 1),
    // which is outside the false-negative region; (3, 2) is the first pixel at distance 2
    expect(c).toEqual({ x: 3, y: 2, positive: true });
  });
  it('a prediction spilling over gets a negative click in the largest false-positive region', () => {
    const pred = new Uint8Array(35);
    for (let i = 0; i < 35; i++) pred[i] = gt.object[i]! || gt.ignore[i]! || (i >= 28 && i <= 34) ? 1 : 0;
    // false positives: the whole bottom row (7 px, 1 px from the border); no false negatives
    const c = nextRobotClick(pred, gt);
    expect(c).toEqual({ x: 0, y: 4, positive: false });
    expect(nextRobotClick(pred, gt, new Set([28]))).toEqual({ x: 1, y: 4, positive: false });
  });
  it('no click when the prediction is right (ignore band aside)', () => {
    const pred = Uint8Array.from(gt.object);
    expect(nextRobotClick(pred, gt)).toBeNull();
    expect(iouWithIgnore(pred, gt)).toBe(1);
    pred[8] = 1; // predicting the ignored pixel changes nothing
    expect(iouWithIgnore(pred, gt)).toBe(1);
  });
  it('box and metrics', () => {
    expect(objectBox(gt)).toEqual({ x0: 1, y0: 1, x1: 6, y1: 4 });
    expect(clicksToReach([0.5, 0.86, 0.95], 0.85, 20)).toBe(2);
    expect(clicksToReach([0.5], 0.9, 20)).toBe(20);
    const s = summarizeRuns(
      [
        { name: 'a', ious: [0.95, 0.96, 0.97, 0.97, 0.97], clicks: [], secondsPerClick: 0.1 },
        { name: 'b', ious: [0.5, 0.88, 0.89, 0.89, 0.89], clicks: [], secondsPerClick: 0.3 },
      ],
      5,
    );
    expect(s).toMatchObject({ images: 2, noc85: 1.5, noc90: 3, nof90: 1, miou1: 0.725 });
    expect(s.secondsPerClick).toBeCloseTo(0.2);
  });
});

describe('ground-truth mask layout', () => {
  it('accepts 0/255 and 0/128/255 (ignore band); refuses 0/1, label maps and anti-aliased masks with a reason', () => {
    expect(maskLayoutProblem([0, 255, 255, 0])).toBeNull();
    expect(maskLayoutProblem([0, 128, 255, 0])).toBeNull();
    expect(maskLayoutProblem([0, 1, 1, 0])).toMatch(/0\/1 mask: save it as 0\/255/);
    expect(maskLayoutProblem([0, 3, 7, 255])).toMatch(/pixel value\(s\) 3, 7; expected 0 \(background\), 255 \(object\)/);
    expect(maskLayoutProblem([0, 0, 128])).toMatch(/no object pixel/);
  });
  it('the ignore band is left out of the object and of the IoU', () => {
    const gt = groundTruthFromGray([0, 128, 255, 255], 4, 1);
    expect(Array.from(gt.object)).toEqual([0, 0, 1, 1]);
    expect(Array.from(gt.ignore)).toEqual([0, 1, 0, 0]);
    // predicting the band or not changes nothing
    expect(iouWithIgnore([0, 1, 1, 1], gt)).toBe(1);
    expect(iouWithIgnore([0, 0, 1, 1], gt)).toBe(1);
    expect(objectArea(gt)).toBe(2);
  });
  it('splits objects by COCO size', () => {
    expect([objectSizeClass(1023), objectSizeClass(1024), objectSizeClass(9215), objectSizeClass(9216)]).toEqual([
      'small',
      'medium',
      'medium',
      'large',
    ]);
  });
});
