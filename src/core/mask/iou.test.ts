import { describe, expect, it } from 'vitest';
import { maskIou } from './iou.ts';

describe('maskIou', () => {
  it('is intersection over union', () => {
    expect(maskIou([1, 1, 0, 0], [0, 1, 1, 0])).toBeCloseTo(1 / 3);
    expect(maskIou([1, 0], [1, 0])).toBe(1);
    expect(maskIou([1, 0], [0, 1])).toBe(0);
  });
  it('is 1 for two empty masks and throws on size mismatch', () => {
    expect(maskIou([0, 0], [0, 0])).toBe(1);
    expect(() => maskIou([0], [0, 0])).toThrow(/sizes differ/);
  });
});
