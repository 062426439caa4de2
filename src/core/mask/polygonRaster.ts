/** Polygons -> masks, exactly as the COCO reference (pycocotools' `maskApi.c`) rasterizes them. */
import { setRleRuns } from './rle.ts';

/**
 * Rasterizes one polygon exactly as `rleFrPoly` of the COCO reference `maskApi.c` (pycocotools):
 * the outline is sampled at 5x resolution and each pixel column is filled by parity between its
 * crossings, so a pixel is set when its centre lies inside. Returns column-major run lengths.
 */
export function rleCountsFromPolygon(xy: ArrayLike<number>, width: number, height: number): number[] {
  const k = Math.floor(xy.length / 2);
  const scale = 5;
  const x = new Int32Array(k + 1);
  const y = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) x[j] = Math.trunc(scale * xy[j * 2]! + 0.5);
  x[k] = x[0]!;
  for (let j = 0; j < k; j++) y[j] = Math.trunc(scale * xy[j * 2 + 1]! + 0.5);
  y[k] = y[0]!;
  let m = 0;
  for (let j = 0; j < k; j++) m += Math.max(Math.abs(x[j]! - x[j + 1]!), Math.abs(y[j]! - y[j + 1]!)) + 1;
  const u = new Int32Array(m);
  const v = new Int32Array(m);
  m = 0;
  for (let j = 0; j < k; j++) {
    let xs = x[j]!;
    let xe = x[j + 1]!;
    let ys = y[j]!;
    let ye = y[j + 1]!;
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      let t = xs;
      xs = xe;
      xe = t;
      t = ys;
      ys = ye;
      ye = t;
    }
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u[m] = t + xs;
        v[m] = Math.trunc(ys + s * t + 0.5);
        m++;
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v[m] = t + ys;
        u[m] = Math.trunc(xs + s * t + 0.5);
        m++;
      }
    }
  }
  // points along the y-boundary, downsampled to pixel columns
  const total = m;
  const bx: number[] = [];
  const by: number[] = [];
  for (let j = 1; j < total; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j]! < u[j - 1]! ? u[j]! : u[j]! - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > width - 1) continue;
    let yd = v[j]! < v[j - 1]! ? v[j]! : v[j - 1]!;
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > height) yd = height;
    yd = Math.ceil(yd);
    bx.push(xd);
    by.push(yd);
  }
  const n = bx.length;
  const a = new Float64Array(n + 1);
  for (let j = 0; j < n; j++) a[j] = bx[j]! * height + by[j]!;
  a[n] = height * width;
  a.sort();
  let p = 0;
  for (let j = 0; j <= n; j++) {
    const t = a[j]!;
    a[j] = t - p;
    p = t;
  }
  const b: number[] = [];
  let j = 0;
  b.push(a[j++]!);
  while (j <= n) {
    if (a[j]! > 0) b.push(a[j++]!);
    else {
      j++;
      if (j <= n) b[b.length - 1]! += a[j++]!;
    }
  }
  return b;
}

/** Row-major mask (0/1) of the union of `polygons`, each rasterized as the COCO reference does. */
export function maskFromPolygons(polygons: readonly ArrayLike<number>[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (const poly of polygons) setRleRuns(out, rleCountsFromPolygon(poly, width, height), width, height);
  return out;
}
