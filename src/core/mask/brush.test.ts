import { describe, expect, it } from 'vitest';
import { composeLiveMask, LiveComposite, paintStroke, type Stroke } from './brush.ts';
import { maskAreaAndBbox } from '../sam/postprocess.ts';

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

describe('LiveComposite', () => {
  it('keeps the composed mask, its area and box as a full composition gives them, piece by piece', () => {
    const w = 120;
    const h = 80;
    const sam = new Uint8Array(w * h);
    for (let y = 20; y < 50; y++) for (let x = 30; x < 90; x++) sam[y * w + x] = 1;
    const base = new Uint8Array(w * h);
    for (let y = 60; y < 70; y++) for (let x = 5; x < 15; x++) base[y * w + x] = 1;
    const manual = new Int8Array(w * h);
    const live = new LiveComposite(w, h, sam, base, manual);
    const pieces: Stroke[] = [
      { mode: 'add', radius: 4, points: [100, 5, 115, 10] },
      { mode: 'remove', radius: 6, points: [25, 15, 95, 55] },
      // erase the whole base: the box shrinks
      { mode: 'remove', radius: 9, points: [10, 65, 10, 65] },
      { mode: 'add', radius: 3, points: [0, 0, 2, 79] },
    ];
    for (const piece of pieces) {
      const box = paintStroke(manual, w, h, piece)!;
      live.update(sam, base, manual, { x0: box[0], y0: box[1], x1: box[2], y1: box[3] });
      const full = composeLiveMask(sam, base, manual, w * h);
      expect(Buffer.from(live.mask).equals(Buffer.from(full))).toBe(true);
      const st = maskAreaAndBbox(full, w, h);
      expect(live.area).toBe(st.area);
      expect(live.bbox()).toEqual(st.bbox);
    }
    // everything erased
    paintStroke(manual, w, h, { mode: 'remove', radius: 200, points: [60, 40, 60, 40] });
    live.update(sam, base, manual, { x0: 0, y0: 0, x1: w, y1: h });
    expect(live.area).toBe(0);
    expect(live.bbox()).toEqual([0, 0, 0, 0]);
  });
});
