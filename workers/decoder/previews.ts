import { maskOverlayRgba, overlayScale, rgbFromHex } from '../../src/core/mask/render.ts';
import { candidatePlane } from '../../src/core/sam/candidates.ts';
import { maskFromLowResLogits } from '../../src/core/sam/postprocess.ts';
import type { PixelRect } from '../../src/core/sam/roi.ts';
import { rectSize } from '../../src/core/sam/zoomIn.ts';
import { toBitmap } from './bitmap.ts';
import type { DecoderRun } from './model.ts';

const PREVIEW_SIDE = 96;
/** fill opacity of the hover preview (the live mask's is 110 of 255) */
const HOVER_ALPHA = 60;

/**
 * Small previews of the candidates: each low-res mask over the union of their boxes (grown a
 * little), nearest-sampled to at most {@link PREVIEW_SIDE} px, in the mask colour. `cell`: model px
 * per low-res cell (SAM 2's logits are the low-res ones themselves: 1).
 */
export function candidatePreviews(
  run: DecoderRun,
  tokens: readonly number[],
  frame: PixelRect,
  color: string,
  cell: number,
): { previews: ImageBitmap[]; box: [number, number, number, number] | null } {
  if (!run.lowResAll || tokens.length === 0) return { previews: [], box: null };
  const fs = rectSize(frame);
  // image px per low-res cell
  const sx = (cell * fs.width) / run.modelSize.width;
  const sy = (cell * fs.height) / run.modelSize.height;
  const cw = Math.min(256, Math.ceil(run.modelSize.width / cell));
  const ch = Math.min(256, Math.ceil(run.modelSize.height / cell));
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const t of tokens) {
    const plane = candidatePlane(run.lowResAll, t, 256 * 256);
    for (let v = 0; v < ch; v++)
      for (let u = 0; u < cw; u++)
        if (plane[v * 256 + u]! > 0) {
          if (u < x0) x0 = u;
          if (u > x1) x1 = u;
          if (v < y0) y0 = v;
          if (v > y1) y1 = v;
        }
  }
  if (x1 < 0) return { previews: [], box: null };
  // grow by a fifth of the box and to a square-ish window, clipped to the frame
  const gx = Math.max(2, (x1 - x0 + 1) * 0.2);
  const gy = Math.max(2, (y1 - y0 + 1) * 0.2);
  const bx0 = Math.max(0, Math.floor((x0 - gx) * sx));
  const by0 = Math.max(0, Math.floor((y0 - gy) * sy));
  const bx1 = Math.min(fs.width, Math.ceil((x1 + 1 + gx) * sx));
  const by1 = Math.min(fs.height, Math.ceil((y1 + 1 + gy) * sy));
  const bw = Math.max(1, bx1 - bx0);
  const bh = Math.max(1, by1 - by0);
  const k = PREVIEW_SIDE / Math.max(bw, bh);
  const pw = Math.max(1, Math.round(bw * k));
  const ph = Math.max(1, Math.round(bh * k));
  const [r, g, b] = rgbFromHex(color);
  const previews = tokens.map((t) => {
    const plane = candidatePlane(run.lowResAll!, t, 256 * 256);
    const rgba = new Uint8ClampedArray(pw * ph * 4);
    for (let py = 0; py < ph; py++) {
      const v = Math.min(ch - 1, Math.floor((by0 + ((py + 0.5) * bh) / ph) / sy));
      for (let px = 0; px < pw; px++) {
        const u = Math.min(cw - 1, Math.floor((bx0 + ((px + 0.5) * bw) / pw) / sx));
        if (plane[v * 256 + u]! > 0) {
          const o = (py * pw + px) * 4;
          rgba[o] = r;
          rgba[o + 1] = g;
          rgba[o + 2] = b;
          rgba[o + 3] = 150;
        }
      }
    }
    return toBitmap({ data: rgba, width: pw, height: ph });
  });
  return { previews, box: [frame.x0 + bx0, frame.y0 + by0, bw, bh] };
}

/** The hover preview of a run on a whole image: its mask drawn light at the overlay's size, or null when empty. */
export function hoverOverlay(run: DecoderRun, width: number, height: number, color: string): ImageBitmap | null {
  const k = overlayScale(width, height);
  const ow = Math.ceil(width * k);
  const oh = Math.ceil(height * k);
  const small = maskFromLowResLogits(run.logits, run.modelSize, { width: ow, height: oh });
  return small.area > 0 ? toBitmap(maskOverlayRgba(small.mask, ow, oh, rgbFromHex(color), HOVER_ALPHA)) : null;
}
