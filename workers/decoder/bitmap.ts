import * as Comlink from 'comlink';
import { AppError } from '../../src/core/errors.ts';
import { outlineRingsFromRle } from '../../src/core/mask/polygon.ts';
import { maskFillRgba, overlayScale, rgbFromHex } from '../../src/core/mask/render.ts';
import { maskFromRle, rleBbox, type CocoRle } from '../../src/core/mask/rle.ts';
import type { RenderedMask } from '../protocol.ts';

/** Fill opacity (of 255) of the live mask's overlay. */
export const LIVE_ALPHA = 110;

export function toBitmap(o: { data: Uint8ClampedArray<ArrayBuffer>; width: number; height: number }): ImageBitmap {
  const canvas = new OffscreenCanvas(o.width, o.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new AppError('INFERENCE', 'No 2D canvas in the decoder worker.');
  ctx.putImageData(new ImageData(o.data, o.width, o.height), 0, 0);
  return canvas.transferToImageBitmap();
}

/** Display of a stored mask: the fill over its box only (memory: a box, not the image), and its outline. */
export function renderMask(rle: CocoRle, color: string): RenderedMask {
  const [x, y, w, h] = rleBbox(rle);
  const outline = outlineRingsFromRle(rle, 0.7);
  if (w === 0 || h === 0) return { bitmap: null, x, y, width: w, height: h, outline };
  const W = rle.size[1];
  const full = maskFromRle(rle);
  const crop = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) crop.set(full.subarray((y + r) * W + x, (y + r) * W + x + w), r * w);
  const bitmap = toBitmap(maskFillRgba(crop, w, h, rgbFromHex(color), overlayScale(w, h)));
  return Comlink.transfer({ bitmap, x, y, width: w, height: h, outline }, [bitmap]);
}
