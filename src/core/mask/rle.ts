/**
 * COCO run-length encoding, byte-compatible with the COCO reference `maskApi.c` (pycocotools).
 * Counts run over the mask in column-major order (down each column, columns left to right) and
 * alternate background/foreground, starting with background.
 */

/** COCO's compressed RLE: `size` is [height, width]. */
export interface CocoRle {
  size: [number, number];
  counts: string;
}

/** Uncompressed RLE as COCO writes it for crowd annotations: counts as numbers. */
export interface CocoRleUncompressed {
  size: [number, number];
  counts: number[];
}

/** Run lengths (column-major) of a row-major binary mask of `width` x `height` (non-zero = object). */
export function rleCountsFromMask(mask: ArrayLike<number>, width: number, height: number): Uint32Array {
  const n = width * height;
  if (mask.length < n) throw new RangeError(`mask has ${mask.length} values, expected ${n}`);
  const runs: number[] = [];
  let prev = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x] ? 1 : 0;
      if (v !== prev) {
        runs.push(run);
        run = 0;
        prev = v;
      }
      run++;
    }
  }
  runs.push(run);
  return Uint32Array.from(runs);
}

/** Row-major binary mask (0/1) from column-major run lengths. Throws if the runs do not cover the image exactly. */
export function maskFromRleCounts(counts: ArrayLike<number>, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  setRleRuns(out, counts, width, height, true);
  return out;
}

/**
 * Sets to 1 the pixels of the object runs of column-major `counts` in a row-major mask (so several
 * RLEs can be united into one). With `exact`, the runs must cover the image exactly.
 */
export function setRleRuns(out: Uint8Array, counts: ArrayLike<number>, width: number, height: number, exact = false): void {
  const n = width * height;
  let pos = 0;
  let v = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!Number.isInteger(c) || c < 0) throw new RangeError(`RLE count ${i} is ${c}; counts must be non-negative integers`);
    if (pos + c > n) throw new RangeError(`RLE counts cover more than the ${height}x${width} = ${n} pixels of the image`);
    if (v) {
      let x = Math.floor(pos / height);
      let y = pos - x * height;
      for (let k = 0; k < c; k++) {
        out[y * width + x] = 1;
        if (++y === height) {
          y = 0;
          x++;
        }
      }
    }
    pos += c;
    v ^= 1;
  }
  if (exact && pos !== n) throw new RangeError(`RLE counts cover ${pos} pixels, the ${height}x${width} image has ${n}`);
}

/** `rleToString` of maskApi.c: LEB128-like 5-bit groups, offset by 48, counts past the second delta-coded. */
export function rleStringFromCounts(counts: ArrayLike<number>): string {
  const chars: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      chars.push(c + 48);
    }
  }
  let s = '';
  for (let i = 0; i < chars.length; i += 8192) s += String.fromCharCode(...chars.slice(i, i + 8192));
  return s;
}

/** `rleFrString` of maskApi.c. Throws on characters outside the encoding's alphabet or a truncated string. */
export function rleCountsFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new RangeError('RLE string ends in the middle of a count');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new RangeError(`RLE string has an invalid character ${JSON.stringify(s[p])} at ${p}`);
      x += k < 6 ? (c & 0x1f) << (5 * k) : (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= k < 6 ? 1 << (5 * k) : 2 ** (5 * k);
      if (k > 10) throw new RangeError('RLE string has a count that is too long');
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

/** Compressed COCO RLE of a row-major binary mask. */
export function rleFromMask(mask: ArrayLike<number>, width: number, height: number): CocoRle {
  return { size: [height, width], counts: rleStringFromCounts(rleCountsFromMask(mask, width, height)) };
}

/** Row-major binary mask (0/1) of a compressed or uncompressed COCO RLE. */
export function maskFromRle(rle: CocoRle | CocoRleUncompressed): Uint8Array {
  const [h, w] = rle.size;
  const counts = typeof rle.counts === 'string' ? rleCountsFromString(rle.counts) : rle.counts;
  return maskFromRleCounts(counts, w, h);
}

/** Number of object pixels (`rleArea` of maskApi.c). */
export function rleArea(rle: CocoRle | CocoRleUncompressed): number {
  const counts = typeof rle.counts === 'string' ? rleCountsFromString(rle.counts) : rle.counts;
  let a = 0;
  for (let i = 1; i < counts.length; i += 2) a += counts[i]!;
  return a;
}

/** Bounding box [x, y, w, h] in image px, exactly as `rleToBbox` of maskApi.c computes it. */
export function rleBbox(rle: CocoRle | CocoRleUncompressed): [number, number, number, number] {
  const [h, w] = rle.size;
  const counts = typeof rle.counts === 'string' ? rleCountsFromString(rle.counts) : rle.counts;
  const m = Math.floor(counts.length / 2) * 2;
  if (m === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += counts[j]!;
    const t = cc - (j % 2);
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/**
 * The mask of an RLE cropped to its bounding box and transposed: row r of the result is image column
 * `x + r`, so COCO's column-major runs fill contiguous spans (fast). `width` and `height` are the
 * result's (the box's height and width).
 */
export function maskCropTransposedFromRle(rle: CocoRle | CocoRleUncompressed): {
  mask: Uint8Array;
  x: number;
  y: number;
  width: number;
  height: number;
} {
  const [h, w] = rle.size;
  const counts = typeof rle.counts === 'string' ? rleCountsFromString(rle.counts) : rle.counts;
  const [bx, by, bw, bh] = rleBbox({ size: [h, w], counts: counts as number[] });
  const mask = new Uint8Array(bw * bh);
  let pos = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (pos + c > w * h) throw new RangeError(`RLE counts cover more than the ${h}x${w} = ${w * h} pixels of the image`);
    if (i & 1) {
      // split the run at column ends
      let start = pos;
      const end = pos + c;
      while (start < end) {
        const x = Math.floor(start / h);
        const y = start - x * h;
        const stop = Math.min(end, (x + 1) * h);
        const o = (x - bx) * bh + (y - by);
        mask.fill(1, o, o + (stop - start));
        start = stop;
      }
    }
    pos += c;
  }
  return { mask, x: bx, y: by, width: bh, height: bw };
}

const countsCache = new WeakMap<CocoRle, number[]>();
function cachedCounts(r: CocoRle): number[] {
  let c = countsCache.get(r);
  if (!c) {
    c = rleCountsFromString(r.counts);
    countsCache.set(r, c);
  }
  return c;
}

/**
 * Intersection over union of two masks given as COCO RLE of the same size, computed on the runs
 * (no pixels are decoded); 1 when both are empty.
 */
export function rleIou(a: CocoRle, b: CocoRle): number {
  if (a.size[0] !== b.size[0] || a.size[1] !== b.size[1]) throw new RangeError(`RLE sizes differ: ${a.size} vs ${b.size}`);
  return rleCountsIou(cachedCounts(a), cachedCounts(b), a.size[0] * a.size[1]);
}

/** Runs of one frame of `total` pixels, walked together: calls `visit(length, inA, inB)` for each stretch. */
function walkRuns(ca: ArrayLike<number>, cb: ArrayLike<number>, total: number, visit: (n: number, va: boolean, vb: boolean) => void): void {
  let ia = 0;
  let ib = 0;
  let la = ca.length ? ca[0]! : total;
  let lb = cb.length ? cb[0]! : total;
  let pos = 0;
  while (pos < total) {
    while (la === 0) la = ++ia < ca.length ? ca[ia]! : total - pos;
    while (lb === 0) lb = ++ib < cb.length ? cb[ib]! : total - pos;
    const step = Math.min(la, lb, total - pos);
    visit(step, ia < ca.length && ia % 2 === 1, ib < cb.length && ib % 2 === 1);
    la -= step;
    lb -= step;
    pos += step;
  }
}

/** Union of two masks given as run lengths of one frame of `total` pixels (pycocotools' merge), as run lengths. */
export function rleCountsUnion(ca: ArrayLike<number>, cb: ArrayLike<number>, total: number): number[] {
  const out: number[] = [];
  let value = false;
  let run = 0;
  walkRuns(ca, cb, total, (n, va, vb) => {
    const v = va || vb;
    if (v !== value) {
      out.push(run);
      run = 0;
      value = v;
    }
    run += n;
  });
  out.push(run);
  return out;
}

/** IoU of two masks given as run lengths of one frame of `total` pixels; 1 when both are empty. */
export function rleCountsIou(ca: ArrayLike<number>, cb: ArrayLike<number>, total: number): number {
  let inter = 0;
  let union = 0;
  walkRuns(ca, cb, total, (n, va, vb) => {
    if (va && vb) inter += n;
    if (va || vb) union += n;
  });
  return union === 0 ? 1 : inter / union;
}
