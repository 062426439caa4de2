/**
 * RGBA overlay of a row-major binary mask, for display: the inside filled with `rgb` at `fillAlpha`,
 * boundary pixels (object pixels with a background 4-neighbour or on the image border) opaque.
 * When `scale` < 1 the overlay is sampled down by nearest neighbour to
 * (ceil(width*scale), ceil(height*scale)) to bound its memory on huge images.
 */
export function maskOverlayRgba(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  rgb: readonly [number, number, number],
  fillAlpha = 110,
  scale = 1,
): { data: Uint8ClampedArray<ArrayBuffer>; width: number; height: number } {
  const ow = Math.max(1, Math.ceil(width * scale));
  const oh = Math.max(1, Math.ceil(height * scale));
  const out = new Uint8ClampedArray(ow * oh * 4);
  const [r, g, b] = rgb;
  const sx = width / ow;
  const sy = height / oh;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= ow || y >= oh ? 0 : mask[Math.floor(y * sy) * width + Math.floor(x * sx)]);
  for (let y = 0; y < oh; y++) {
    const srcRow = Math.floor(y * sy) * width;
    for (let x = 0; x < ow; x++) {
      if (!mask[srcRow + Math.floor(x * sx)]) continue;
      // an opaque fill needs no edge test
      const edge = fillAlpha < 255 && (!at(x - 1, y) || !at(x + 1, y) || !at(x, y - 1) || !at(x, y + 1));
      const o = (y * ow + x) * 4;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = edge ? 255 : fillAlpha;
    }
  }
  return { data: out, width: ow, height: oh };
}

/** `#rrggbb` to [r, g, b]; grey for anything else. */
export function rgbFromHex(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  if (!m) return [128, 128, 128];
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

/** Largest scale <= 1 such that the overlay has at most `maxPixels` pixels. */
export function overlayScale(width: number, height: number, maxPixels = 4_194_304): number {
  const n = width * height;
  return n <= maxPixels ? 1 : Math.sqrt(maxPixels / n);
}

/**
 * RGBA fill of a row-major binary mask: `rgb` fully opaque inside, transparent outside (the view sets
 * the opacity), sampled down by nearest neighbour when `scale` < 1.
 */
export function maskFillRgba(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  rgb: readonly [number, number, number],
  scale = 1,
): { data: Uint8ClampedArray<ArrayBuffer>; width: number; height: number } {
  return maskOverlayRgba(mask, width, height, rgb, 255, scale);
}
