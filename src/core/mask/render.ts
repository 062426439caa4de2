import type { PixelRect } from '../sam/roi.ts';

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
  const out = { data: new Uint8ClampedArray(ow * oh * 4), width: ow, height: oh };
  maskOverlayRgbaInto(mask, width, height, rgb, fillAlpha, out, { x0: 0, y0: 0, x1: ow, y1: oh });
  return out;
}

/**
 * Draws the pixels of `rect` (overlay px, [x0, x1) × [y0, y1)) of {@link maskOverlayRgba}'s overlay
 * into `out` (an overlay of that mask's size), the rest left as it is: after an edit of the mask
 * inside some image px box, redrawing {@link overlayRectOf} that box gives the same overlay as
 * drawing it all again.
 */
export function maskOverlayRgbaInto(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  rgb: readonly [number, number, number],
  fillAlpha: number,
  out: { data: Uint8ClampedArray; width: number; height: number },
  rect: PixelRect,
): void {
  const { data, width: ow, height: oh } = out;
  const [r, g, b] = rgb;
  if (ow === width && oh === height) {
    overlayFullSize(mask, width, height, r, g, b, fillAlpha, data, rect);
    return;
  }
  const sx = width / ow;
  const sy = height / oh;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= ow || y >= oh ? 0 : mask[Math.floor(y * sy) * width + Math.floor(x * sx)]);
  const x0 = Math.max(0, rect.x0);
  const x1 = Math.min(ow, rect.x1);
  for (let y = Math.max(0, rect.y0); y < Math.min(oh, rect.y1); y++) {
    const srcRow = Math.floor(y * sy) * width;
    for (let x = x0; x < x1; x++) {
      const o = (y * ow + x) * 4;
      if (!mask[srcRow + Math.floor(x * sx)]) {
        data[o] = data[o + 1] = data[o + 2] = data[o + 3] = 0;
        continue;
      }
      // an opaque fill needs no edge test
      const edge = fillAlpha < 255 && (!at(x - 1, y) || !at(x + 1, y) || !at(x, y - 1) || !at(x, y + 1));
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
      data[o + 3] = edge ? 255 : fillAlpha;
    }
  }
}

/** {@link maskOverlayRgbaInto} at scale 1: neighbours read by index (the common case, on the click path). */
function overlayFullSize(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  r: number,
  g: number,
  b: number,
  fillAlpha: number,
  data: Uint8ClampedArray,
  rect: PixelRect,
): void {
  const x0 = Math.max(0, rect.x0);
  const x1 = Math.min(width, rect.x1);
  const y1 = Math.min(height, rect.y1);
  const testEdges = fillAlpha < 255;
  for (let y = Math.max(0, rect.y0); y < y1; y++) {
    const row = y * width;
    const top = y > 0;
    const bottom = y < height - 1;
    for (let x = x0; x < x1; x++) {
      const i = row + x;
      const o = i * 4;
      if (!mask[i]) {
        data[o] = data[o + 1] = data[o + 2] = data[o + 3] = 0;
        continue;
      }
      // an object pixel on the border or with a background 4-neighbour is an edge
      const edge =
        testEdges &&
        (x === 0 || x === width - 1 || !top || !bottom || !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width]);
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
      data[o + 3] = edge ? 255 : fillAlpha;
    }
  }
}

/**
 * The overlay pixels (of an overlay `ow` × `oh` of a `width` × `height` mask) that change when the
 * mask changes inside `box` (image px): those sampling a pixel of the box, and their 4-neighbours
 * (whose edge test reads them), clipped to the overlay.
 */
export function overlayRectOf(box: PixelRect, width: number, height: number, ow: number, oh: number): PixelRect {
  const sx = width / ow;
  const sy = height / oh;
  // overlay x samples image column floor(x * sx): the first x with floor(x*sx) >= box.x0 and the last with floor(x*sx) < box.x1
  return {
    x0: Math.max(0, Math.floor(box.x0 / sx) - 2),
    y0: Math.max(0, Math.floor(box.y0 / sy) - 2),
    x1: Math.min(ow, Math.ceil(box.x1 / sx) + 2),
    y1: Math.min(oh, Math.ceil(box.y1 / sy) + 2),
  };
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
