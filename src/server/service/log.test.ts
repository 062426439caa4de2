import { describe, expect, it } from 'vitest';
import { PAGE_BYTES, rowsInPage } from './log.ts';

describe('pages of changes and records cut by size', () => {
  it('takes rows while they fit the budget, and always at least one', () => {
    expect(rowsInPage([10, 20, 30], 60)).toBe(3);
    expect(rowsInPage([10, 20, 31], 60)).toBe(2);
    // one record larger than the whole budget still goes, alone
    expect(rowsInPage([100, 1], 60)).toBe(1);
    expect(rowsInPage([], 60)).toBe(0);
    expect(rowsInPage(Array(5000).fill(1000))).toBe(Math.floor(PAGE_BYTES / 1000));
  });
});
