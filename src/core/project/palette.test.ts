import { describe, expect, it } from 'vitest';
import { colorDistance, contrastingInk, instanceColor, paletteColor, srgbToOklab } from './palette.ts';

describe('palette', () => {
  it('OKLab of reference colours (values of the OKLab paper’s reference implementation)', () => {
    const white = srgbToOklab([255, 255, 255]);
    expect(white[0]).toBeCloseTo(1, 3);
    expect(Math.hypot(white[1], white[2])).toBeLessThan(1e-3);
    const red = srgbToOklab([255, 0, 0]);
    expect(red[0]).toBeCloseTo(0.628, 3);
    expect(red[1]).toBeCloseTo(0.2249, 3);
    expect(red[2]).toBeCloseTo(0.1258, 3);
  });

  it('adjacent ids get clearly different colours: categories (up to 100), instances (any number)', () => {
    // OKLab distance ~0.02 is a just-noticeable difference: ask for four
    for (let i = 1; i < 100; i++) expect(colorDistance(paletteColor(i), paletteColor(i + 1))).toBeGreaterThan(0.08);
    for (let i = 1; i <= 1000; i++) expect(colorDistance(instanceColor(i), instanceColor(i + 1))).toBeGreaterThan(0.08);
  });

  it('80 colours (the COCO categories) stay distinguishable, and none is near-black or near-white', () => {
    const colors = Array.from({ length: 80 }, (_, i) => paletteColor(i + 1));
    expect(new Set(colors).size).toBe(80);
    let min = Infinity;
    for (let i = 0; i < 80; i++) for (let j = i + 1; j < 80; j++) min = Math.min(min, colorDistance(colors[i]!, colors[j]!));
    // about two just-noticeable differences apart at worst (the old 10-colour palette repeated: 0)
    expect(min).toBeGreaterThan(0.035);
    for (const c of colors) {
      const L = srgbToOklab([parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)])[0];
      expect(L).toBeGreaterThan(0.5);
      expect(L).toBeLessThan(0.9);
    }
  });

  it('ink for labels contrasts with its background', () => {
    expect(contrastingInk('#ffff00')).toBe('#000000');
    expect(contrastingInk('#202080')).toBe('#ffffff');
  });
});
