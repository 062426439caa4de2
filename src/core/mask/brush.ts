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
