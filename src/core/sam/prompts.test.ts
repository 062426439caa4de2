import { describe, expect, it } from 'vitest';
import { decoderPromptFeeds, normalizeBox, promptBatches, promptSource, samBatchFeeds, type Prompts } from './prompts.ts';

const im = { width: 512, height: 256 }; // model scale 2 on both axes (1024 x 512)

describe('decoderPromptFeeds', () => {
  it('points only: model px coordinates, labels 1/0, then a padding point labelled -1', () => {
    const f = decoderPromptFeeds(
      {
        points: [
          { x: 10, y: 20, positive: true },
          { x: 100.5, y: 3, positive: false },
        ],
        box: null,
      },
      im,
    );
    expect(f.count).toBe(3);
    expect([...f.coords]).toEqual([20, 40, 201, 6, 0, 0]);
    expect([...f.labels]).toEqual([1, 0, -1]);
  });
  it('box only: two corners labelled 2 and 3, normalized, no padding', () => {
    const f = decoderPromptFeeds({ points: [], box: { x0: 50, y0: 60, x1: 10, y1: 5 } }, im);
    expect(f.count).toBe(2);
    expect([...f.coords]).toEqual([20, 10, 100, 120]);
    expect([...f.labels]).toEqual([2, 3]);
  });
  it('box + points: points first, then the box', () => {
    const f = decoderPromptFeeds({ points: [{ x: 1, y: 2, positive: false }], box: { x0: 0, y0: 0, x1: 512, y1: 256 } }, im);
    expect([...f.labels]).toEqual([0, 2, 3]);
    expect([...f.coords]).toEqual([2, 4, 0, 0, 1024, 512]);
  });
  it('refuses an empty prompt', () => {
    expect(() => decoderPromptFeeds({ points: [], box: null }, im)).toThrow(/no prompt/);
  });
});

describe('prompt helpers', () => {
  it('normalizeBox orders the corners', () => {
    expect(normalizeBox({ x0: 5, y0: 1, x1: 2, y1: 9 })).toEqual({ x0: 2, y0: 1, x1: 5, y1: 9 });
  });
  it('promptSource names what made the mask', () => {
    const b = { x0: 0, y0: 0, x1: 1, y1: 1 };
    const p = { x: 0, y: 0, positive: true };
    expect(promptSource({ points: [p], box: null })).toBe('points');
    expect(promptSource({ points: [], box: b })).toBe('box');
    expect(promptSource({ points: [p], box: b })).toBe('box+points');
    expect(promptSource({ points: [], box: null })).toBe('brush');
    expect(promptSource({ points: [p], box: null }, 2)).toBe('points+brush');
    expect(promptSource({ points: [p], box: b }, 1)).toBe('box+points+brush');
  });
});

describe('batched prompts', () => {
  const click = (x: number): Prompts => ({ points: [{ x, y: 8, positive: true }], box: null });
  const box = (x: number): Prompts => ({ points: [], box: { x0: x, y0: 0, x1: x + 10, y1: 20 } });
  const twoClicks: Prompts = {
    points: [
      { x: 1, y: 2, positive: true },
      { x: 3, y: 4, positive: false },
    ],
    box: null,
  };

  it('stacks each prompt as its own call would encode it', () => {
    const ps = [click(10), click(20), box(30)];
    const f = samBatchFeeds(ps, im);
    expect(f.point_coords.dims).toEqual([3, 2, 2]);
    expect(f.point_labels.dims).toEqual([3, 2]);
    ps.forEach((p, b) => {
      const one = decoderPromptFeeds(p, im);
      expect(Array.from(f.point_coords.data.subarray(b * 4, b * 4 + 4))).toEqual(Array.from(one.coords));
      expect(Array.from(f.point_labels.data.subarray(b * 2, b * 2 + 2))).toEqual(Array.from(one.labels));
    });
    expect(Array.from(f.has_mask_input.data)).toEqual([0]);
  });

  it('refuses a batch that mixes point counts, or none', () => {
    expect(() => samBatchFeeds([click(1), twoClicks], im)).toThrow(/mixes prompts of 2 and 3 points/);
    expect(() => samBatchFeeds([], im)).toThrow(/empty/);
  });

  it('groups prompts by point count, at most `size` a batch, in order of first appearance', () => {
    const ps = [click(1), twoClicks, box(2), click(3), click(4), twoClicks, click(5)];
    // click and box both give the decoder 2 points; two clicks give 3
    expect(promptBatches(ps, 3)).toEqual([
      [0, 2, 3],
      [1, 5],
      [4, 6],
    ]);
    expect(promptBatches(ps, 1)).toEqual(ps.map((_, i) => [i]));
    expect(() => promptBatches(ps, 0)).toThrow(/batch size 0/);
  });
});
