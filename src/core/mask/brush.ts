import type { PixelRect } from '../sam/roi.ts';

/** A brush or eraser stroke in image px: a polyline swept by a disc of `radius`. */
export interface Stroke {
  mode: 'add' | 'remove';
  radius: number;
  /** flat [x0, y0, x1, y1, ...] in image px */
  points: number[];
}

/**
 * Paints a stroke into a manual-edit layer (1 = added, -1 = removed, 0 = untouched; row-major):
 * every pixel whose centre lies within `radius` of the polyline (capsules between consecutive
 * points, so fast pointer moves leave no gaps). Later strokes override earlier ones.
 * Returns the touched rectangle [x0, y0, x1, y1) or null.
 */
export function paintStroke(layer: Int8Array, width: number, height: number, stroke: Stroke): [number, number, number, number] | null {
  const pts = stroke.points;
  if (pts.length < 2) return null;
  const r = Math.max(0.5, stroke.radius);
  const r2 = r * r;
  const v = stroke.mode === 'add' ? 1 : -1;
  let bx0 = width;
  let by0 = height;
  let bx1 = 0;
  let by1 = 0;
  const n = pts.length / 2;
  for (let s = 0; s < Math.max(1, n - 1); s++) {
    const ax = pts[2 * s]!;
    const ay = pts[2 * s + 1]!;
    const cx = n > 1 ? pts[2 * s + 2]! : ax;
    const cy = n > 1 ? pts[2 * s + 3]! : ay;
    const x0 = Math.max(0, Math.floor(Math.min(ax, cx) - r));
    const x1 = Math.min(width, Math.ceil(Math.max(ax, cx) + r) + 1);
    const y0 = Math.max(0, Math.floor(Math.min(ay, cy) - r));
    const y1 = Math.min(height, Math.ceil(Math.max(ay, cy) + r) + 1);
    if (x0 >= x1 || y0 >= y1) continue;
    const dx = cx - ax;
    const dy = cy - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = y0; y < y1; y++) {
      const py = y + 0.5;
      for (let x = x0; x < x1; x++) {
        const px = x + 0.5;
        let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = px - ax - t * dx;
        const ey = py - ay - t * dy;
        if (ex * ex + ey * ey <= r2) layer[y * width + x] = v;
      }
    }
    bx0 = Math.min(bx0, x0);
    by0 = Math.min(by0, y0);
    bx1 = Math.max(bx1, x1);
    by1 = Math.max(by1, y1);
  }
  return bx1 > bx0 && by1 > by0 ? [bx0, by0, bx1, by1] : null;
}

/**
 * The live mask: (base ∪ SAM mask ∪ brush) ∖ eraser, where `manual` holds the strokes (last wins per
 * pixel). `sam` and `base` may be null. Row-major 0/1.
 */
export function composeLiveMask(sam: Uint8Array | null, base: Uint8Array | null, manual: Int8Array | null, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const m = manual ? manual[i]! : 0;
    out[i] = m > 0 ? 1 : m < 0 ? 0 : (sam && sam[i]) || (base && base[i]) ? 1 : 0;
  }
  return out;
}

/**
 * The live mask kept up to date piece by piece while a stroke is drawn: only the pixels a piece
 * touched are composed again, and the area and box come from per-row and per-column counts (no scan
 * of the whole image), so a stroke on a 24 MP photo costs what its own pixels cost.
 */
export class LiveComposite {
  readonly mask: Uint8Array;
  area = 0;
  private readonly rows: Int32Array;
  private readonly cols: Int32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    sam: Uint8Array | null,
    base: Uint8Array | null,
    manual: Int8Array | null,
  ) {
    this.mask = composeLiveMask(sam, base, manual, width * height);
    this.rows = new Int32Array(height);
    this.cols = new Int32Array(width);
    for (let y = 0; y < height; y++)
      for (let x = 0, i = y * width; x < width; x++, i++)
        if (this.mask[i]) {
          this.rows[y]!++;
          this.cols[x]!++;
          this.area++;
        }
  }

  /** Composes the pixels of `box` again (after strokes were painted there). */
  update(sam: Uint8Array | null, base: Uint8Array | null, manual: Int8Array | null, box: PixelRect): void {
    const x0 = Math.max(0, box.x0);
    const x1 = Math.min(this.width, box.x1);
    const y0 = Math.max(0, box.y0);
    const y1 = Math.min(this.height, box.y1);
    for (let y = y0; y < y1; y++)
      for (let x = x0, i = y * this.width + x0; x < x1; x++, i++) {
        const m = manual ? manual[i]! : 0;
        const v = m > 0 ? 1 : m < 0 ? 0 : (sam && sam[i]) || (base && base[i]) ? 1 : 0;
        const d = v - this.mask[i]!;
        if (d === 0) continue;
        this.mask[i] = v;
        this.rows[y]! += d;
        this.cols[x]! += d;
        this.area += d;
      }
  }

  /** COCO box [x, y, w, h] of the mask ([0, 0, 0, 0] when empty), as maskAreaAndBbox (core/sam/postprocess) gives it. */
  bbox(): [number, number, number, number] {
    if (this.area === 0) return [0, 0, 0, 0];
    let x0 = 0;
    while (this.cols[x0] === 0) x0++;
    let x1 = this.width - 1;
    while (this.cols[x1] === 0) x1--;
    let y0 = 0;
    while (this.rows[y0] === 0) y0++;
    let y1 = this.height - 1;
    while (this.rows[y1] === 0) y1--;
    return [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
  }
}
