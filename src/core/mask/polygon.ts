/**
 * Masks <-> polygons, in COCO's convention: a polygon is a flat [x1, y1, x2, y2, ...] list in image
 * px with pixel (x, y) covering [x, x+1] x [y, y+1]; an annotation's polygons are united.
 */
import { maskCropTransposedFromRle, type CocoRle, type CocoRleUncompressed } from './rle.ts';
import { simplifyRing, traceRings, transposeBack, type Polygon, type Ring } from './rings.ts';

// the module's concerns live apart; everything stays importable from here
export { maskFromPolygons, rleCountsFromPolygon } from './polygonRaster.ts';
export { labelComponents, mergeMasks, removeSmallRegions } from './components.ts';
export { outlineRingsFromRle, transposeBack, type Polygon } from './rings.ts';

// ---- mask -> polygons ----------------------------------------------------------------------

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
