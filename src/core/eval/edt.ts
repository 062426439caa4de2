/**
 * Exact Euclidean distance transform (Felzenszwalb & Huttenlocher): for every pixel of `region`
 * (non-zero), its distance in px to the nearest pixel outside the region; 0 outside. With
 * `borderIsBoundary` the image border counts as outside (as RITM pads the mask with zeros), so a
 * region touching the border has distance 1 at the border pixels. Row-major in and out.
 */
export function distanceTransform(region: ArrayLike<number>, width: number, height: number, borderIsBoundary = true): Float64Array {
  const pad = borderIsBoundary ? 1 : 0;
  const w = width + 2 * pad;
  const h = height + 2 * pad;
  const INF = 1e20;
  const f = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const ix = x - pad;
      const iy = y - pad;
      const inside = ix >= 0 && iy >= 0 && ix < width && iy < height && region[iy * width + ix];
      f[y * w + x] = inside ? INF : 0;
    }
  }
  const n = Math.max(w, h);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  const line = new Float64Array(n);
  // 1-D squared distance transform of `line` (length len) into d
  const dt1 = (len: number) => {
    let k = 0;
    v[0] = 0;
    z[0] = -Infinity;
    z[1] = Infinity;
    for (let q = 1; q < len; q++) {
      let s = (line[q]! + q * q - (line[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
      while (s <= z[k]!) {
        k--;
        s = (line[q]! + q * q - (line[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Infinity;
    }
    k = 0;
    for (let q = 0; q < len; q++) {
      while (z[k + 1]! < q) k++;
      d[q] = (q - v[k]!) ** 2 + line[v[k]!]!;
    }
  };
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) line[y] = f[y * w + x]!;
    dt1(h);
    for (let y = 0; y < h; y++) f[y * w + x] = d[y]!;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) line[x] = f[y * w + x]!;
    dt1(w);
    for (let x = 0; x < w; x++) f[y * w + x] = d[x]!;
  }
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = Math.sqrt(f[(y + pad) * w + x + pad]!);
  return out;
}
