import { describe, expect, it } from 'vitest';
import { maskOverlayRgba, overlayScale, rgbFromHex } from './render.ts';

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
