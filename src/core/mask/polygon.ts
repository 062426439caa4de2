/**
 * Masks <-> polygons, in COCO's convention: a polygon is a flat [x1, y1, x2, y2, ...] list in image
 * px with pixel (x, y) covering [x, x+1] x [y, y+1]; an annotation's polygons are united.
 */
import { maskCropTransposedFromRle, setRleRuns, type CocoRle, type CocoRleUncompressed } from './rle.ts';

export type Polygon = number[];

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

// ---- mask -> polygons ----------------------------------------------------------------------

/** Directions of boundary edges on the pixel-corner grid: east, south, west, north. */
const DX = [1, 0, -1, 0] as const;
const DY = [0, 1, 0, -1] as const;

interface Ring {
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
function traceRings(mask: ArrayLike<number>, width: number, height: number, topEdgeRing: Int32Array): Ring[] {
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

/** 4-connected component labels of the object pixels (0 = background). */
export function labelComponents(mask: ArrayLike<number>, width: number, height: number): { labels: Int32Array; count: number } {
  const n = width * height;
  const labels = new Int32Array(n);
  let count = 0;
  let stack = new Int32Array(1024);
  for (let i = 0; i < n; i++) {
    if (!mask[i] || labels[i]) continue;
    count++;
    labels[i] = count;
    let sp = 0;
    stack[sp++] = i;
    while (sp > 0) {
      const p = stack[--sp]!;
      const x = p % width;
      if (sp + 4 > stack.length) {
        const bigger = new Int32Array(stack.length * 2);
        bigger.set(stack);
        stack = bigger;
      }
      if (x > 0 && mask[p - 1] && !labels[p - 1]) {
        labels[p - 1] = count;
        stack[sp++] = p - 1;
      }
      if (x < width - 1 && mask[p + 1] && !labels[p + 1]) {
        labels[p + 1] = count;
        stack[sp++] = p + 1;
      }
      if (p >= width && mask[p - width] && !labels[p - width]) {
        labels[p - width] = count;
        stack[sp++] = p - width;
      }
      if (p + width < n && mask[p + width] && !labels[p + width]) {
        labels[p + width] = count;
        stack[sp++] = p + width;
      }
    }
  }
  return { labels, count };
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
function simplifyRing(xs: number[], ys: number[], tolerance: number): { xs: number[]; ys: number[] } {
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

export interface PolygonOptions {
  /** Douglas–Peucker tolerance in px; 0 keeps the exact pixel outline */
  tolerance?: number;
  /** parts (connected components) smaller than this many pixels are left out */
  minArea?: number;
}

/**
 * Polygons of a row-major binary mask, in COCO's convention: one polygon per 4-connected part, each
 * hole joined to its part's outline by a zero-width vertical bridge through pixel centres, so that
 * COCO readers (which unite an annotation's polygons and fill each by parity) reproduce the holes.
 * With tolerance 0 the reference rasterizer gives back exactly the mask.
 */
export function polygonsFromMask(mask: ArrayLike<number>, width: number, height: number, options: PolygonOptions = {}): Polygon[] {
  const tolerance = options.tolerance ?? 0;
  const minArea = options.minArea ?? 0;
  const topEdgeRing = new Int32Array(width * height);
  const rings = traceRings(mask, width, height, topEdgeRing);
  if (rings.length === 0) return [];
  // each hole belongs to the part whose boundary is first met going up from the hole's top-left
  // pixel column through object pixels (a column of object pixels stays in one 4-connected part)
  const owner = new Int32Array(rings.length).fill(-1);
  const holes: { ring: number; top: number; left: number; yEdge: number }[] = [];
  rings.forEach((r, k) => {
    if (r.area2 > 0) {
      owner[k] = k;
      return;
    }
    let top = Infinity;
    let left = Infinity;
    for (let i = 0; i < r.xs.length; i++) {
      if (r.ys[i]! < top || (r.ys[i] === top && r.xs[i]! < left)) {
        top = r.ys[i]!;
        left = r.xs[i]!;
      }
    }
    let yEdge = top;
    while (yEdge > 0 && mask[(yEdge - 1) * width + left]) yEdge--;
    holes.push({ ring: k, top, left, yEdge });
  });
  holes.sort((a, b) => a.top - b.top || a.left - b.left);
  for (const h of holes) {
    const hit = topEdgeRing[h.yEdge * width + h.left]!;
    owner[h.ring] = owner[hit]! >= 0 ? owner[hit]! : hit;
  }
  // pixel count of each part: its outline's area less its holes'
  const partArea = new Map<number, number>();
  rings.forEach((r, k) => partArea.set(owner[k]!, (partArea.get(owner[k]!) ?? 0) + r.area2 / 2));
  const holesOf = new Map<number, typeof holes>();
  for (const h of holes) {
    const list = holesOf.get(owner[h.ring]!) ?? [];
    list.push(h);
    holesOf.set(owner[h.ring]!, list);
  }
  const polygons: Polygon[] = [];
  rings.forEach((ring, k) => {
    if (ring.area2 <= 0 || (partArea.get(k) ?? 0) < minArea) return;
    const o = simplifyRing(ring.xs, ring.ys, tolerance);
    const xs = [...o.xs];
    const ys = [...o.ys];
    for (const h of holesOf.get(k) ?? []) {
      const hr = rings[h.ring]!;
      if (tolerance <= 0) bridgeHoleExact(xs, ys, hr, h.top, h.left, h.yEdge);
      else {
        const sh = simplifyRing(hr.xs, hr.ys, tolerance);
        bridgeHoleNearest(xs, ys, sh.xs, sh.ys);
      }
    }
    const flat: number[] = [];
    for (let i = 0; i < xs.length; i++) flat.push(xs[i]!, ys[i]!);
    polygons.push(flat);
  });
  return polygons;
}

/** Splits the ring's horizontal edge at y that spans x (strictly inside); returns the index of the new point. */
function splitHorizontalEdge(xs: number[], ys: number[], x: number, y: number): number {
  for (let i = 0; i < xs.length; i++) {
    const j = (i + 1) % xs.length;
    if (ys[i] === y && ys[j] === y && Math.min(xs[i]!, xs[j]!) < x && Math.max(xs[i]!, xs[j]!) > x) {
      xs.splice(i + 1, 0, x);
      ys.splice(i + 1, 0, y);
      return i + 1;
    }
  }
  return -1;
}

/**
 * Joins an exact (pixel-outline) hole into the polygon by a vertical bridge through the centre of
 * the hole's top-left pixel column, up to the first edge of the part above it. A vertical segment at
 * a pixel centre adds no crossing for the reference rasterizer, and the bridge crosses nothing.
 */
function bridgeHoleExact(xs: number[], ys: number[], hole: Ring, top: number, left: number, yEdge: number): void {
  const bx = left + 0.5;
  const hx = [...hole.xs];
  const hy = [...hole.ys];
  const k = splitHorizontalEdge(hx, hy, bx, top);
  const at = splitHorizontalEdge(xs, ys, bx, yEdge);
  if (k < 0 || at < 0) {
    // not reachable for traced outlines; keep the hole all the same with a plain bridge
    bridgeHoleNearest(xs, ys, hole.xs, hole.ys);
    return;
  }
  const n = hx.length;
  const loop: number[][] = [];
  for (let i = 0; i <= n; i++) loop.push([hx[(k + i) % n]!, hy[(k + i) % n]!]);
  // ... (bx, yEdge) -> (bx, top) -> around the hole -> (bx, top) -> (bx, yEdge) ...
  const insX = [...loop.map((p) => p[0]!), bx];
  const insY = [...loop.map((p) => p[1]!), yEdge];
  xs.splice(at + 1, 0, ...insX);
  ys.splice(at + 1, 0, ...insY);
}

/**
 * Joins a hole into the polygon by a bridge from the hole's first point to the nearest polygon
 * vertex. Traversed there and back, a bridge adds each of its crossings twice, so parity filling
 * (the reference rasterizer) is unaffected by it.
 */
function bridgeHoleNearest(xs: number[], ys: number[], hxs: readonly number[], hys: readonly number[]): void {
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < xs.length; i++) {
    const d = (xs[i]! - hxs[0]!) ** 2 + (ys[i]! - hys[0]!) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  const insX = [...hxs, hxs[0]!, xs[best]!];
  const insY = [...hys, hys[0]!, ys[best]!];
  xs.splice(best + 1, 0, ...insX);
  ys.splice(best + 1, 0, ...insY);
}

/**
 * {@link polygonsFromMask} of an RLE, working on its bounding box only, in transposed layout (COCO's
 * runs are column-major). Transposing swaps the roles of x and y, so a hole's bridge runs along a
 * pixel-centre row instead of a column: it is traversed there and back, and the reference
 * rasterizer's parity fill is unaffected, so tolerance 0 still reproduces the mask exactly.
 */
export function polygonsFromRle(rle: CocoRle | CocoRleUncompressed, options: PolygonOptions = {}): Polygon[] {
  const t = maskCropTransposedFromRle(rle);
  if (t.width === 0 || t.height === 0) return [];
  return polygonsFromMask(t.mask, t.width, t.height, options).map((p) => transposeBack(p, t.x, t.y));
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
 * SAM's `remove_small_regions`: with `mode` 'holes', background regions smaller than `minArea`
 * that do not touch the image border are filled; with 'islands', object parts smaller than
 * `minArea` are removed (4-connectivity). Returns a new mask and whether anything changed.
 */
export function removeSmallRegions(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  minArea: number,
  mode: 'holes' | 'islands',
): { mask: Uint8Array; changed: boolean } {
  const target = mode === 'holes' ? 0 : 1;
  const sel = new Uint8Array(width * height);
  for (let i = 0; i < sel.length; i++) sel[i] = (mask[i] ? 1 : 0) === target ? 1 : 0;
  const { labels, count } = labelComponents(sel, width, height);
  const area = new Int32Array(count + 1);
  const border = new Uint8Array(count + 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const l = labels[y * width + x]!;
      if (!l) continue;
      area[l]!++;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) border[l] = 1;
    }
  }
  const out = new Uint8Array(width * height);
  let changed = false;
  for (let i = 0; i < out.length; i++) {
    const l = labels[i]!;
    const small = l > 0 && area[l]! < minArea && !(mode === 'holes' && border[l]);
    out[i] = small ? 1 - target : mask[i] ? 1 : 0;
    if (small) changed = true;
  }
  return { mask: out, changed };
}

/** Union (or intersection) of equally sized row-major masks. */
export function mergeMasks(masks: readonly ArrayLike<number>[], intersect = false): Uint8Array {
  const n = masks[0]?.length ?? 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let v = intersect ? 1 : 0;
    for (const m of masks) {
      if (m.length !== n) throw new RangeError('masks differ in size');
      v = intersect ? v & (m[i] ? 1 : 0) : v | (m[i] ? 1 : 0);
    }
    out[i] = v;
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
