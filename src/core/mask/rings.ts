/**
 * Mask outlines as rings on the pixel-corner grid (pixel (x, y) covers [x, x+1] x [y, y+1]): tracing
 * every object/background boundary, Douglas–Peucker simplification, and the outlines drawn over masks.
 */
import { maskCropTransposedFromRle, type CocoRle, type CocoRleUncompressed } from './rle.ts';

/** A flat [x1, y1, x2, y2, ...] list in image px (COCO's polygon). */
export type Polygon = number[];

/** Directions of boundary edges on the pixel-corner grid: east, south, west, north. */
const DX = [1, 0, -1, 0] as const;
const DY = [0, 1, 0, -1] as const;

export interface Ring {
  /** corner coordinates, closed implicitly, collinear points removed */
  xs: number[];
  ys: number[];
  /** twice the signed area (y down): > 0 for outer boundaries, < 0 for holes */
  area2: number;
}

/**
 * Traces every boundary between object and background as closed rings on the pixel-corner grid,
 * object on the right-hand side (y down). At a corner where two object pixels touch only
 * diagonally the trace turns right, so rings follow 4-connected components.
 */
export function traceRings(mask: ArrayLike<number>, width: number, height: number, topEdgeRing: Int32Array): Ring[] {
  const W1 = width + 1;
  // outgoing edge bits per corner: 1 east, 2 south, 4 west, 8 north
  const out = new Uint8Array(W1 * (height + 1));
  const starts: number[] = [];
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (!mask[row + x]) continue;
      if (y === 0 || !mask[row - width + x]) {
        out[y * W1 + x]! |= 1; // top edge, going east from the top-left corner
        starts.push(y * W1 + x);
      }
      if (x === width - 1 || !mask[row + x + 1]) out[y * W1 + x + 1]! |= 2; // right edge, south from the top-right corner
      if (y === height - 1 || !mask[row + width + x]) out[(y + 1) * W1 + x + 1]! |= 4; // bottom edge, west from the bottom-right corner
      if (x === 0 || !mask[row + x - 1]) out[(y + 1) * W1 + x]! |= 8; // left edge, north from the bottom-left corner
    }
  }
  const rings: Ring[] = [];
  for (const start of starts) {
    if (!(out[start]! & 1)) continue;
    const xs: number[] = [];
    const ys: number[] = [];
    const sx = start % W1;
    const sy = (start - sx) / W1;
    let cx = sx;
    let cy = sy;
    let dir = 0;
    let prevDir = -1;
    let area2 = 0;
    const ringIndex = rings.length;
    for (;;) {
      out[cy * W1 + cx]! &= ~(1 << dir);
      // an east-going edge is the top edge of the object pixel below it
      if (dir === 0) topEdgeRing[cy * width + cx] = ringIndex;
      if (dir !== prevDir) {
        xs.push(cx);
        ys.push(cy);
      }
      const nx = cx + DX[dir]!;
      const ny = cy + DY[dir]!;
      area2 += cx * ny - nx * cy;
      cx = nx;
      cy = ny;
      prevDir = dir;
      const home = cx === sx && cy === sy;
      // at the start corner the first edge counts as available: choosing it closes the ring
      const bits = out[cy * W1 + cx]! | (home ? 1 : 0);
      // right turn first (keeps diagonal neighbours apart), then straight, then left
      const right = (dir + 1) & 3;
      const left = (dir + 3) & 3;
      let next: number;
      if (bits & (1 << right)) next = right;
      else if (bits & (1 << dir)) next = dir;
      else if (bits & (1 << left)) next = left;
      else break;
      if (home && next === 0) break;
      dir = next;
    }
    // the start corner is no vertex when the ring arrives there going east
    if (prevDir === 0 && xs.length > 2) {
      xs.shift();
      ys.shift();
    }
    rings.push({ xs, ys, area2 });
  }
  return rings;
}

/** Squared distance of (px, py) from the segment (ax, ay)-(bx, by). */
function segmentDistance2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = px - (ax + t * dx);
  const ey = py - (ay + t * dy);
  return ex * ex + ey * ey;
}

/** Douglas–Peucker on a closed ring; keeps at least 3 points. */
export function simplifyRing(xs: number[], ys: number[], tolerance: number): { xs: number[]; ys: number[] } {
  const n = xs.length;
  if (tolerance <= 0 || n <= 4) return { xs, ys };
  // split the ring at its first point and the point farthest from it
  let far = 0;
  let best = -1;
  for (let i = 1; i < n; i++) {
    const d = (xs[i]! - xs[0]!) ** 2 + (ys[i]! - ys[0]!) ** 2;
    if (d > best) {
      best = d;
      far = i;
    }
  }
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[far] = 1;
  const stack: [number, number][] = [
    [0, far],
    [far, n],
  ];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    const bi = b % n;
    let idx = -1;
    let dmax = tolerance * tolerance;
    for (let i = a + 1; i < b; i++) {
      const d = segmentDistance2(xs[i]!, ys[i]!, xs[a]!, ys[a]!, xs[bi]!, ys[bi]!);
      if (d > dmax) {
        dmax = d;
        idx = i;
      }
    }
    if (idx >= 0) {
      keep[idx] = 1;
      stack.push([a, idx], [idx, b]);
    }
  }
  const ox: number[] = [];
  const oy: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    ox.push(xs[i]!);
    oy.push(ys[i]!);
  }
  return ox.length >= 3 ? { xs: ox, ys: oy } : { xs, ys };
}

/** Polygon of a transposed crop back to image coordinates: (u, v) -> (x0 + v, y0 + u). */
export function transposeBack(p: Polygon, x0: number, y0: number): Polygon {
  const out = new Array<number>(p.length);
  for (let i = 0; i < p.length; i += 2) {
    out[i] = x0 + p[i + 1]!;
    out[i + 1] = y0 + p[i]!;
  }
  return out;
}

/**
 * The outlines of a mask for drawing: every outer boundary and every hole as its own closed ring
 * (no bridges), simplified by `tolerance` px, in image px on pixel corners. Works on the mask's
 * bounding box only.
 */
export function outlineRingsFromRle(rle: CocoRle | CocoRleUncompressed, tolerance = 0.7): Polygon[] {
  const t = maskCropTransposedFromRle(rle);
  if (t.width === 0 || t.height === 0) return [];
  const rings = traceRings(t.mask, t.width, t.height, new Int32Array(t.width * t.height));
  return rings.map((r) => {
    const s = simplifyRing(r.xs, r.ys, tolerance);
    const flat: number[] = [];
    for (let i = 0; i < s.xs.length; i++) flat.push(s.xs[i]!, s.ys[i]!);
    return transposeBack(flat, t.x, t.y);
  });
}
