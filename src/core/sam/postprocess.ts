/**
 * Thresholds mask logits (row-major, one value per image pixel) into a binary mask (1 = object).
 * SAM's mask threshold is 0 on the logits.
 */
export function maskFromLogits(logits: ArrayLike<number>, threshold = 0): Uint8Array {
  const n = logits.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = logits[i]! > threshold ? 1 : 0;
  return out;
}

/** Pixel count and tight bounding box [x, y, w, h] (image px) of a row-major binary mask. */
export function maskAreaAndBbox(
  mask: ArrayLike<number>,
  width: number,
  height: number,
): { area: number; bbox: [number, number, number, number] } {
  let area = 0;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (mask[row + x]) {
        area++;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  if (area === 0) return { area: 0, bbox: [0, 0, 0, 0] };
  return { area, bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1] };
}

/** Source index and weight of each output sample for a PyTorch `align_corners=False` bilinear resize. */
function linearTaps(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    // ONNX Resize 'pytorch_half_pixel', source coordinate clamped to the input as onnxruntime does
    const s = outSize > 1 ? Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1) : 0;
    const f = Math.floor(s);
    i0[o] = f;
    i1[o] = Math.min(f + 1, inSize - 1);
    w[o] = s - f;
  }
  return { i0, i1, w };
}

/**
 * Binary mask of `dst` size from mask logits of `src` size, resized bilinearly exactly as SAM's
 * `postprocess_masks` final step (`F.interpolate(..., align_corners=False)`) and thresholded at
 * `threshold`, without ever holding the full-size logits. Bilinear weights are non-negative, so
 * where the four source logits around a cell share a sign every output pixel in that cell does
 * too: those runs are filled at once and only cells on the mask boundary are interpolated.
 * Also returns the mask's area and tight bbox [x, y, w, h] (image px).
 */
export function maskFromLowResLogits(
  logits: ArrayLike<number>,
  src: { width: number; height: number },
  dst: { width: number; height: number },
  threshold = 0,
): { mask: Uint8Array; area: number; bbox: [number, number, number, number] } {
  const { width: sw, height: sh } = src;
  const { width: dw, height: dh } = dst;
  if (logits.length < sw * sh) throw new RangeError(`logits have ${logits.length} values, expected ${sw * sh}`);
  const mask = new Uint8Array(dw * dh);
  const xs = linearTaps(sw, dw);
  const ys = linearTaps(sh, dh);
  let area = 0;
  let minX = dw;
  let minY = dh;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < dh; y++) {
    const r0 = ys.i0[y]! * sw;
    const r1 = ys.i1[y]! * sw;
    const wy = ys.w[y]!;
    const row = y * dw;
    let rowFirst = -1;
    let rowLast = -1;
    let x = 0;
    while (x < dw) {
      const a = xs.i0[x]!;
      const b = xs.i1[x]!;
      let end = x + 1;
      while (end < dw && xs.i0[end] === a) end++;
      const v00 = logits[r0 + a]!;
      const v01 = logits[r0 + b]!;
      const v10 = logits[r1 + a]!;
      const v11 = logits[r1 + b]!;
      if (v00 > threshold && v01 > threshold && v10 > threshold && v11 > threshold) {
        mask.fill(1, row + x, row + end);
        area += end - x;
        if (rowFirst < 0) rowFirst = x;
        rowLast = end - 1;
      } else if (!(v00 <= threshold && v01 <= threshold && v10 <= threshold && v11 <= threshold)) {
        const top0 = v00 * (1 - wy) + v10 * wy;
        const top1 = v01 * (1 - wy) + v11 * wy;
        for (let k = x; k < end; k++) {
          const wx = xs.w[k]!;
          if (top0 * (1 - wx) + top1 * wx > threshold) {
            mask[row + k] = 1;
            area++;
            if (rowFirst < 0) rowFirst = k;
            rowLast = k;
          }
        }
      }
      x = end;
    }
    if (rowFirst >= 0) {
      if (rowFirst < minX) minX = rowFirst;
      if (rowLast > maxX) maxX = rowLast;
      if (minY > y) minY = y;
      maxY = y;
    }
  }
  const bbox: [number, number, number, number] = area === 0 ? [0, 0, 0, 0] : [minX, minY, maxX - minX + 1, maxY - minY + 1];
  return { mask, area, bbox };
}

/**
 * Model-space mask logits (`modelSize`, the image's longest side at `inputSize`) from the decoder's
 * low-res logits [256 x 256], as the SAM ONNX decoder computes its `masks` output: a half-pixel
 * bilinear resize to `inputSize` x `inputSize`, then the crop of the padding. Used for a mask
 * candidate that the decoder did not pick (it returns only the picked one at full size).
 */
export function modelLogitsFromLowRes(
  lowRes: ArrayLike<number>,
  modelSize: { width: number; height: number },
  inputSize = 1024,
): Float32Array {
  const n = Math.round(Math.sqrt(lowRes.length));
  if (n * n !== lowRes.length) throw new RangeError(`low-res logits have ${lowRes.length} values, not a square`);
  const { width: mw, height: mh } = modelSize;
  const xs = linearTaps(n, inputSize);
  const ys = linearTaps(n, inputSize);
  const out = new Float32Array(mw * mh);
  for (let y = 0; y < mh; y++) {
    const r0 = ys.i0[y]! * n;
    const r1 = ys.i1[y]! * n;
    const wy = ys.w[y]!;
    for (let x = 0; x < mw; x++) {
      const a = xs.i0[x]!;
      const b = xs.i1[x]!;
      const wx = xs.w[x]!;
      const top = lowRes[r0 + a]! * (1 - wx) + lowRes[r0 + b]! * wx;
      const bottom = lowRes[r1 + a]! * (1 - wx) + lowRes[r1 + b]! * wx;
      out[y * mw + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}
