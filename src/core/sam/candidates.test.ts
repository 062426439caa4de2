import { describe, expect, it } from 'vitest';
import { decoderPick, promptsAreAmbiguous, rankCandidates } from './candidates.ts';

const one = { points: [{ x: 1, y: 1, positive: true }], box: null };
const two = { points: [...one.points, { x: 5, y: 5, positive: false }], box: null };
const box = { points: [], box: { x0: 0, y0: 0, x1: 9, y1: 9 } };

describe('mask candidates', () => {
  it('one click or a box alone is ambiguous; more prompts are not', () => {
    expect(promptsAreAmbiguous(one)).toBe(true);
    expect(promptsAreAmbiguous(box)).toBe(true);
    expect(promptsAreAmbiguous(two)).toBe(false);
    expect(promptsAreAmbiguous({ points: one.points, box: box.box })).toBe(false);
  });
  it('ranks tokens 1–3 by predicted IoU, best first, ties to the lower token; token 0 is never offered', () => {
    expect(rankCandidates([0.99, 0.7, 0.9, 0.8], one).map((c) => c.token)).toEqual([2, 3, 1]);
    expect(rankCandidates([0.1, 0.8, 0.8, 0.5], one).map((c) => c.token)).toEqual([1, 2, 3]);
    expect(rankCandidates([0.1, 0.8, 0.8, 0.5], two)).toEqual([]);
  });
  it('the first candidate is the one the exported decoder returns; with more prompts it returns token 0', () => {
    const ious = [0.95, 0.6, 0.85, 0.9];
    expect(decoderPick(ious, one)).toBe(3);
    expect(rankCandidates(ious, one)[0]!.token).toBe(3);
    expect(decoderPick(ious, two)).toBe(0);
    expect(decoderPick([0.2, 0.9, 0.9, 0.1], box)).toBe(1);
  });
  it('SAM 2: its three masks are all candidates for an ambiguous prompt, and the pick is the best predicted IoU whatever the prompts', () => {
    const ious = [0.7, 0.9, 0.8];
    expect(rankCandidates(ious, one, 'sam2').map((c) => c.token)).toEqual([1, 2, 0]);
    expect(rankCandidates(ious, box, 'sam2').map((c) => c.token)).toEqual([1, 2, 0]);
    expect(rankCandidates(ious, two, 'sam2')).toEqual([]);
    expect(decoderPick(ious, one, 'sam2')).toBe(1);
    expect(decoderPick(ious, two, 'sam2')).toBe(1);
    expect(decoderPick([0.5, 0.5, 0.6], two, 'sam2')).toBe(2);
  });
});
