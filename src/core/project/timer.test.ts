import { describe, expect, it } from 'vitest';
import { IDLE_TIMER, timerElapsed, timerInput, timerPausedReason, timerStop, timerVisibility } from './timer.ts';

describe('mask timer (fake clock)', () => {
  it('starts with the first input and counts active time', () => {
    let t = timerInput(IDLE_TIMER, 1000);
    t = timerInput(t, 5000);
    expect(timerElapsed(t, 8000)).toBe(7000);
    expect(timerStop(t, 8000)).toEqual({ ms: 7000, timer: IDLE_TIMER });
  });
  it('does not count while the page is hidden', () => {
    let t = timerInput(IDLE_TIMER, 0);
    t = timerVisibility(t, true, 10_000);
    expect(timerPausedReason(t, 50_000)).toBe('hidden');
    expect(timerElapsed(t, 50_000)).toBe(10_000);
    t = timerVisibility(t, false, 100_000);
    expect(timerElapsed(t, 103_000)).toBe(13_000);
  });
  it('stops counting a minute after the last input, and drops the gap when input resumes', () => {
    let t = timerInput(IDLE_TIMER, 0);
    expect(timerElapsed(t, 59_000)).toBe(59_000);
    expect(timerPausedReason(t, 61_000)).toBe('idle');
    expect(timerElapsed(t, 300_000)).toBe(60_000);
    t = timerInput(t, 300_000);
    expect(timerPausedReason(t, 301_000)).toBeNull();
    expect(timerElapsed(t, 305_000)).toBe(65_000);
  });
  it('visibility changes while idle change nothing', () => {
    expect(timerVisibility(IDLE_TIMER, true, 5)).toBe(IDLE_TIMER);
    expect(timerElapsed(IDLE_TIMER, 99)).toBe(0);
  });
});
