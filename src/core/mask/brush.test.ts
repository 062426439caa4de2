import { describe, expect, it } from 'vitest';
import { composeLiveMask, paintStroke } from './brush.ts';

describe('paintStroke', () => {
  it('a dot covers the pixels whose centres are within the radius', () => {
    const layer = new Int8Array(25);
    paintStroke(layer, 5, 5, { mode: 'add', radius: 1, points: [2.5, 2.5] });
    // centre pixel and its 4 neighbours (distance 1), not the diagonals (distance 1.41)
    expect([...layer].map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).toEqual([7, 11, 12, 13, 17]);
  });
  it('a fast move leaves no gap: the segment between two far points is covered', () => {
    const layer = new Int8Array(100 * 10);
    paintStroke(layer, 100, 10, { mode: 'add', radius: 2, points: [5.5, 5.5, 95.5, 5.5] });
    for (let x = 5; x <= 95; x++) expect(layer[5 * 100 + x]).toBe(1);
    expect(layer[0]).toBe(0);
  });
  it('later strokes win, and the eraser marks -1; clipped at the border', () => {
    const layer = new Int8Array(16);
    paintStroke(layer, 4, 4, { mode: 'add', radius: 3, points: [0, 0] });
    const rect = paintStroke(layer, 4, 4, { mode: 'remove', radius: 0.5, points: [0.5, 0.5] });
    expect(layer[0]).toBe(-1);
    expect(layer[1]).toBe(1);
    expect(rect).toEqual([0, 0, 2, 2]);
  });
});

describe('composeLiveMask', () => {
  it('(base ∪ SAM ∪ brush) ∖ eraser', () => {
    const sam = Uint8Array.from([1, 1, 0, 0, 0]);
    const base = Uint8Array.from([0, 0, 0, 1, 0]);
    const manual = Int8Array.from([0, -1, 1, -1, 0]);
    expect([...composeLiveMask(sam, base, manual, 5)]).toEqual([1, 0, 1, 0, 0]);
    expect([...composeLiveMask(null, null, manual, 5)]).toEqual([0, 0, 1, 0, 0]);
  });
});
