import { describe, expect, it } from 'vitest';
import { resizeLongestSideShape } from '../geometry.ts';
import { pasteMask } from './roi.ts';
import { cropCoversPrompts, feedbackForFrame, promptsInCrop, resampleLowResLogits, wholeImage, zoomInCrop } from './zoomIn.ts';

const IMAGE = { width: 800, height: 600 };
const opts = { margin: 0.4, minSide: 256, maxShare: 0.75, afterClicks: 1 };

describe('zoom-in crop geometry', () => {
  it('grows the mask box ∪ positive clicks by the margin, clipped to the image', () => {
    // box 100..300 x 100..200 (200 x 100), a positive click at (320, 150) widens it to 220 x 100
    const roi = zoomInCrop([100, 100, 200, 100], { points: [{ x: 320, y: 150, positive: true }], box: null }, IMAGE, opts);
    // 220 * 0.4 = 88 on each side in x; in y max(100 * 0.4, (256 - 100) / 2) = 78
    expect(roi).toEqual({ x0: 12, y0: 22, x1: 408, y1: 278 });
  });
  it('grows a small object to the minimum side about its centre, and clips at the border', () => {
    const roi = zoomInCrop([10, 500, 20, 20], { points: [{ x: 20, y: 510, positive: true }], box: null }, IMAGE, opts);
    // 256 px wide about x = 20: clipped at 0; about y = 510: clipped at 600
    expect(roi).toEqual({ x0: 0, y0: 382, x1: 148, y1: 600 });
  });
  it('negative clicks do not widen the crop', () => {
    const a = zoomInCrop([300, 300, 100, 100], { points: [], box: null }, IMAGE, opts);
    const b = zoomInCrop([300, 300, 100, 100], { points: [{ x: 10, y: 10, positive: false }], box: null }, IMAGE, opts);
    expect(b).toEqual(a);
  });
  it('no crop when it would be nearly the whole image, or when there is nothing to crop around', () => {
    expect(zoomInCrop([50, 50, 600, 400], { points: [], box: null }, IMAGE, opts)).toBeNull();
    expect(zoomInCrop(null, { points: [], box: null }, IMAGE, opts)).toBeNull();
  });
  it('prompts move into the crop; a positive click outside asks for a new crop; negative ones outside are dropped', () => {
    const roi = { x0: 100, y0: 50, x1: 400, y1: 350 };
    const p = {
      points: [
        { x: 150, y: 60, positive: true },
        { x: 10, y: 10, positive: false },
      ],
      box: null,
    };
    expect(cropCoversPrompts(roi, p)).toBe(true);
    expect(promptsInCrop(p, roi)).toEqual({ points: [{ x: 50, y: 10, positive: true }], box: null });
    expect(cropCoversPrompts(roi, { points: [{ x: 401, y: 60, positive: true }], box: null })).toBe(false);
  });
});

describe('low-res logits carried between frames', () => {
  /** low-res logits of a frame whose values are a linear function of the image px at each cell centre */
  function linearLogits(frame: { x0: number; y0: number; x1: number; y1: number }, f: (x: number, y: number) => number) {
    const size = { width: frame.x1 - frame.x0, height: frame.y1 - frame.y0 };
    const m = resizeLongestSideShape(size, 1024);
    const out = new Float32Array(256 * 256);
    for (let v = 0; v < 256; v++)
      for (let u = 0; u < 256; u++) {
        const x = frame.x0 + ((u + 0.5) * 4 * size.width) / m.width;
        const y = frame.y0 + ((v + 0.5) * 4 * size.height) / m.height;
        out[v * 256 + u] = f(x, y);
      }
    return out;
  }
  const f = (x: number, y: number) => 0.01 * x - 0.02 * y + 3;

  it('whole image -> crop keeps the logit of every image point inside the crop', () => {
    const whole = wholeImage(IMAGE);
    const crop = { x0: 200, y0: 150, x1: 456, y1: 406 };
    const got = resampleLowResLogits(linearLogits(whole, f), whole, crop);
    const want = linearLogits(crop, f);
    // the whole crop is content (square), away from the source's clamped border
    let maxErr = 0;
    for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!));
    expect(maxErr).toBeLessThan(1e-3);
  });
  it('crop -> whole image: exact inside the crop, certain background outside it', () => {
    const whole = wholeImage(IMAGE);
    const crop = { x0: 200, y0: 160, x1: 520, y1: 400 };
    const got = resampleLowResLogits(linearLogits(crop, f), crop, whole);
    const want = linearLogits(whole, f);
    const m = resizeLongestSideShape(IMAGE, 1024);
    const imgAt = (u: number, v: number) => ({ x: ((u + 0.5) * 4 * IMAGE.width) / m.width, y: ((v + 0.5) * 4 * IMAGE.height) / m.height });
    let inside = 0;
    for (let v = 0; v < 192; v++)
      for (let u = 0; u < 256; u++) {
        const p = imgAt(u, v);
        // cells well inside the crop (a cell of margin: the source is clamped at its edge)
        if (p.x > crop.x0 + 6 && p.x < crop.x1 - 6 && p.y > crop.y0 + 6 && p.y < crop.y1 - 6) {
          expect(Math.abs(got[v * 256 + u]! - want[v * 256 + u]!)).toBeLessThan(1e-3);
          inside++;
        }
        if (p.x < crop.x0 - 4 || p.y < crop.y0 - 4 || p.x > crop.x1 + 4 || p.y > crop.y1 + 4) expect(got[v * 256 + u]).toBe(-20);
      }
    expect(inside).toBeGreaterThan(1000);
  });
});

describe('paste-back', () => {
  it('a mask pasted from a crop equals the whole-image mask where both are defined', () => {
    const W = 40;
    const H = 30;
    const whole = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) whole[y * W + x] = (x - 20) ** 2 + (y - 14) ** 2 < 64 ? 1 : 0;
    const roi = { x0: 8, y0: 4, x1: 33, y1: 26 };
    const cw = roi.x1 - roi.x0;
    const crop = new Uint8Array(cw * (roi.y1 - roi.y0));
    for (let y = roi.y0; y < roi.y1; y++) for (let x = roi.x0; x < roi.x1; x++) crop[(y - roi.y0) * cw + (x - roi.x0)] = whole[y * W + x]!;
    const pasted = pasteMask(crop, roi, { width: W, height: H });
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const inRoi = x >= roi.x0 && x < roi.x1 && y >= roi.y0 && y < roi.y1;
        expect(pasted[y * W + x]).toBe(inRoi ? whole[y * W + x] : 0);
      }
  });
});

describe('feedback by family', () => {
  it('SAM 1 logits are resampled into another frame; SAM 2 logits go back only on their own frame', () => {
    const whole = { x0: 0, y0: 0, x1: 400, y1: 300 };
    const crop = { x0: 100, y0: 50, x1: 300, y1: 250 };
    const logits = new Float32Array(256 * 256).fill(3);
    const prev = { logits, frame: crop };
    expect(feedbackForFrame(prev, crop, whole, 'any', 1024, 'sam2')).toBe(logits);
    expect(feedbackForFrame(prev, whole, whole, 'any', 1024, 'sam2')).toBeNull();
    expect(feedbackForFrame({ logits, frame: whole }, crop, whole, 'any', 1024, 'sam2')).toBeNull();
    // SAM 1: the crop's logits come back on the whole image (resampled, not the same array)
    const resampled = feedbackForFrame(prev, whole, whole, 'any', 1024, 'sam');
    expect(resampled).not.toBeNull();
    expect(resampled).not.toBe(logits);
  });
});
