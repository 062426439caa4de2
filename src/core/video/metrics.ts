/**
 * The DAVIS benchmark's measures of a video mask against the ground truth, per frame: J, the region
 * similarity (IoU; 1 when both are empty), and F, the boundary F-measure: the share of each contour
 * within a small distance of the other (DAVIS: `bound_th` 0.008 of the image diagonal, rounded up),
 * combined as 2PR / (P + R). As the benchmark's own code computes them (`seg2bmap`, a disk dilation).
 */
import { distanceTransform } from '../eval/edt.ts';
import { maskIou } from '../mask/iou.ts';

/** The benchmark's boundary tolerance: a fraction of the image diagonal (< 1), or pixels (>= 1). */
export const DAVIS_BOUND_TH = 0.008;

/** J: the IoU of two masks (row-major, non-zero = object); 1 when both are empty. */
export function regionJ(mask: ArrayLike<number>, truth: ArrayLike<number>): number {
  return maskIou(mask, truth);
}

/**
 * The mask's boundary map as DAVIS's `seg2bmap` makes it (same size): a pixel is on the boundary when it
 * differs from its right, lower or lower-right neighbour (the last row and column compare along the edge).
 */
export function boundaryMap(mask: ArrayLike<number>, width: number, height: number): Uint8Array {
  const at = (x: number, y: number) => (mask[y * width + x] ? 1 : 0);
  const b = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = at(x, y);
      const e = x + 1 < width ? at(x + 1, y) : 0;
      const s = y + 1 < height ? at(x, y + 1) : 0;
      const se = x + 1 < width && y + 1 < height ? at(x + 1, y + 1) : 0;
      let on: number;
      if (x === width - 1 && y === height - 1) on = 0;
      else if (y === height - 1) on = v ^ e;
      else if (x === width - 1) on = v ^ s;
      else on = v ^ e || v ^ s || v ^ se ? 1 : 0;
      b[y * width + x] = on;
    }
  }
  return b;
}

/** Which pixels lie within `r` px (Euclidean, disk of radius r) of a pixel of `map`. */
function dilate(map: Uint8Array, width: number, height: number, r: number): Uint8Array {
  // the distance of every pixel to the nearest map pixel: the transform of the map's complement
  const off = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) off[i] = map[i] ? 0 : 1;
  const d = distanceTransform(off, width, height, false);
  const out = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = map[i] || d[i]! <= r + 1e-9 ? 1 : 0;
  return out;
}

/** The tolerance in pixels for an image of this size. */
export function boundaryTolerance(width: number, height: number, boundTh = DAVIS_BOUND_TH): number {
  return boundTh >= 1 ? boundTh : Math.ceil(boundTh * Math.hypot(width, height));
}

/** F: the boundary F-measure of `mask` against `truth` (both width x height, row-major). */
export function boundaryF(
  mask: ArrayLike<number>,
  truth: ArrayLike<number>,
  width: number,
  height: number,
  boundTh = DAVIS_BOUND_TH,
): { F: number; precision: number; recall: number } {
  const r = boundaryTolerance(width, height, boundTh);
  const fg = boundaryMap(mask, width, height);
  const gt = boundaryMap(truth, width, height);
  let nFg = 0;
  let nGt = 0;
  for (let i = 0; i < fg.length; i++) {
    nFg += fg[i]!;
    nGt += gt[i]!;
  }
  let precision: number;
  let recall: number;
  if (nFg === 0 && nGt > 0) [precision, recall] = [1, 0];
  else if (nFg > 0 && nGt === 0) [precision, recall] = [0, 1];
  else if (nFg === 0 && nGt === 0) [precision, recall] = [1, 1];
  else {
    const fgDil = dilate(fg, width, height, r);
    const gtDil = dilate(gt, width, height, r);
    let fgMatch = 0;
    let gtMatch = 0;
    for (let i = 0; i < fg.length; i++) {
      if (fg[i] && gtDil[i]) fgMatch++;
      if (gt[i] && fgDil[i]) gtMatch++;
    }
    precision = fgMatch / nFg;
    recall = gtMatch / nGt;
  }
  const F = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { F, precision, recall };
}
