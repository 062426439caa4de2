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
