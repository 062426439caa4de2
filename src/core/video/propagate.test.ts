import { describe, expect, it } from 'vitest';
import { DEFAULT_PROPAGATION, frameFlag, maskBox, mostConsistent, promptsFromMask } from './propagate.ts';

const W = 60;
const H = 40;
const rect = (x0: number, y0: number, x1: number, y1: number) => {
  const m = new Uint8Array(W * H);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 1;
  return m;
};

describe('propagation with a single-image SAM', () => {
  it('prompts the next frame with the mask’s box and a margin, and the point deepest inside it', () => {
    const m = rect(10, 10, 31, 21); // 21 x 11, deepest row 15, column 20
    expect(maskBox(m, W, H)).toEqual({ x0: 10, y0: 10, x1: 31, y1: 21 });
    const p = promptsFromMask(m, W, H)!;
    // 10 % of 21 = 2.1 and of 11 = 1.1, at least 4 px
    expect(p.box).toEqual({ x0: 6, y0: 6, x1: 35, y1: 25 });
    expect(p.points[0]).toEqual({ x: 20.5, y: 15.5, positive: true });
    // a solid rectangle leaves little background in its box: no negative point
    expect(p.points).toHaveLength(1);
    expect(promptsFromMask(new Uint8Array(W * H), W, H)).toBeNull();
  });

  it("with marginBy 'motion', pads each axis by 1.5 x the object's last move (at least 4 px); without the box before, by its size", () => {
    const m = rect(10, 10, 31, 21);
    const motion = { ...DEFAULT_PROPAGATION, marginBy: 'motion' as const };
    // still: the minimum, 4 px each side
    expect(promptsFromMask(m, W, H, motion, { x0: 10, y0: 10, x1: 31, y1: 21 })!.box).toEqual({ x0: 6, y0: 6, x1: 35, y1: 25 });
    // moved 6 px right (both edges) and its bottom 2 px down: x padded by 9, y by max(4, 3) = 4
    expect(promptsFromMask(m, W, H, motion, { x0: 4, y0: 10, x1: 25, y1: 19 })!.box).toEqual({ x0: 1, y0: 6, x1: 40, y1: 25 });
    // clipped at the image's edges
    expect(promptsFromMask(m, W, H, motion, { x0: 0, y0: 0, x1: 21, y1: 11 })!.box).toEqual({ x0: 0, y0: 0, x1: 46, y1: 36 });
    // the first step from a keyframe (no box before): the size margin, as 'size' gives
    expect(promptsFromMask(m, W, H, motion, null)!.box).toEqual(promptsFromMask(m, W, H)!.box);
  });

  it('adds the background point farthest from the object when the box holds much background (an L shape)', () => {
    const m = rect(5, 5, 45, 12);
    for (let y = 12; y < 35; y++) for (let x = 5; x < 12; x++) m[y * W + x] = 1;
    const p = promptsFromMask(m, W, H)!;
    const neg = p.points.find((q) => !q.positive)!;
    expect(neg).toBeDefined();
    // in the empty corner, opposite the L
    expect(neg.x).toBeGreaterThan(30);
    expect(neg.y).toBeGreaterThan(25);
    expect(m[Math.floor(neg.y) * W + Math.floor(neg.x)]).toBe(0);
  });

  it('takes the candidate that overlaps the previous mask most, the score breaking ties', () => {
    const prev = rect(10, 10, 30, 30);
    const whole = rect(0, 0, 60, 40);
    const moved = rect(12, 10, 32, 30);
    const part = rect(10, 10, 20, 20);
    expect(
      mostConsistent(
        [
          { mask: whole, score: 0.99 },
          { mask: moved, score: 0.8 },
          { mask: part, score: 0.9 },
        ],
        prev,
      ),
    ).toBe(1);
    expect(
      mostConsistent(
        [
          { mask: moved, score: 0.7 },
          { mask: moved, score: 0.9 },
        ],
        prev,
      ),
    ).toBe(1);
  });

  it('flags a frame where the object is lost, jumps or grows abruptly, or the decoder is unsure', () => {
    const prev = rect(10, 10, 30, 30);
    expect(frameFlag(prev, rect(11, 10, 31, 30), 0.95)).toBeNull();
    expect(frameFlag(prev, new Uint8Array(W * H), 0.95)).toBe('lost');
    expect(frameFlag(prev, rect(35, 10, 55, 30), 0.95)).toBe('abrupt');
    expect(frameFlag(prev, rect(0, 0, 60, 40), 0.95)).toBe('abrupt');
    expect(frameFlag(prev, rect(11, 10, 31, 30), 0.3)).toBe('uncertain');
  });
});
