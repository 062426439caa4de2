import { describe, expect, it } from 'vitest';
import { maskOverlayRgba, maskOverlayRgbaInto, overlayRectOf, overlayScale, rgbFromHex } from './render.ts';

describe('maskOverlayRgba', () => {
  it('fills the inside, draws boundary pixels opaque, leaves background transparent', () => {
    // 5 x 5 with a 3 x 3 square in the middle
    const m = new Uint8Array(25);
    for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) m[y * 5 + x] = 1;
    const o = maskOverlayRgba(m, 5, 5, [10, 20, 30], 100);
    expect(o.width).toBe(5);
    const alpha = (x: number, y: number) => o.data[(y * 5 + x) * 4 + 3];
    expect(alpha(0, 0)).toBe(0);
    expect(alpha(1, 1)).toBe(255);
    expect(alpha(2, 2)).toBe(100);
    expect([...o.data.slice((2 * 5 + 2) * 4, (2 * 5 + 2) * 4 + 3)]).toEqual([10, 20, 30]);
  });
  it('samples down when scaled', () => {
    const o = maskOverlayRgba(new Uint8Array(100).fill(1), 10, 10, [1, 2, 3], 50, 0.5);
    expect([o.width, o.height]).toEqual([5, 5]);
    expect(o.data[(2 * 5 + 2) * 4 + 3]).toBe(50);
  });
});

describe('render helpers', () => {
  it('parses hex colours', () => {
    expect(rgbFromHex('#ff8000')).toEqual([255, 128, 0]);
    expect(rgbFromHex('nope')).toEqual([128, 128, 128]);
  });
  it('bounds overlay pixels', () => {
    expect(overlayScale(100, 100)).toBe(1);
    expect(overlayScale(8000, 8000, 16_000_000)).toBeCloseTo(0.5);
  });
});

describe('maskOverlayRgbaInto over overlayRectOf an edited box', () => {
  // a deterministic blobby mask
  const blob = (w: number, h: number, seed: number) => {
    const m = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) m[y * w + x] = Math.sin(x * 0.13 + seed) + Math.cos(y * 0.11 - seed) > 0.3 ? 1 : 0;
    return m;
  };
  for (const scale of [1, 0.37]) {
    it(`redraws exactly the pixels the edit changes (scale ${scale})`, () => {
      const w = 157;
      const h = 101;
      const mask = blob(w, h, 1);
      const overlay = maskOverlayRgba(mask, w, h, [200, 10, 30], 110, scale);
      // edit a box: flip every pixel in it, including pixels on the image border
      for (const box of [
        { x0: 40, y0: 30, x1: 71, y1: 52 },
        { x0: 0, y0: 0, x1: 9, y1: 13 },
        { x0: 150, y0: 90, x1: 157, y1: 101 },
      ]) {
        for (let y = box.y0; y < box.y1; y++) for (let x = box.x0; x < box.x1; x++) mask[y * w + x] = mask[y * w + x] ? 0 : 1;
        maskOverlayRgbaInto(mask, w, h, [200, 10, 30], 110, overlay, overlayRectOf(box, w, h, overlay.width, overlay.height));
        const full = maskOverlayRgba(mask, w, h, [200, 10, 30], 110, scale);
        expect(overlay.width).toBe(full.width);
        expect(Buffer.from(overlay.data).equals(Buffer.from(full.data))).toBe(true);
      }
    });
  }
});

describe('maskOverlayRgba at scale 1 (the fast path)', () => {
  it('marks as edge exactly the object pixels on the border or next to background (4-neighbours)', () => {
    const w = 37;
    const h = 23;
    const mask = new Uint8Array(w * h).map((_, i) => (Math.sin((i % w) * 0.7) + Math.cos(Math.floor(i / w) * 0.9) > -0.2 ? 1 : 0));
    const o = maskOverlayRgba(mask, w, h, [1, 2, 3], 110);
    const m = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : mask[y * w + x]!);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const want = !m(x, y) ? 0 : !m(x - 1, y) || !m(x + 1, y) || !m(x, y - 1) || !m(x, y + 1) ? 255 : 110;
        expect(o.data[(y * w + x) * 4 + 3]).toBe(want);
      }
  });
});
