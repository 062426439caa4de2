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
  it('a minute with no input is not counted: the pause is backdated to the last input, and the gap dropped when input resumes', () => {
    let t = timerInput(IDLE_TIMER, 0);
    t = timerInput(t, 4_000);
    // within the minute the clock runs on (the annotator may be looking)
    expect(timerElapsed(t, 59_000)).toBe(59_000);
    expect(timerPausedReason(t, 63_000)).toBeNull();
    expect(timerPausedReason(t, 65_000)).toBe('idle');
    // past it, none of the time since the last input counts
    expect(timerElapsed(t, 65_000)).toBe(4_000);
    expect(timerElapsed(t, 300_000)).toBe(4_000);
    t = timerInput(t, 300_000);
    expect(timerPausedReason(t, 301_000)).toBeNull();
    expect(timerElapsed(t, 305_000)).toBe(9_000);
    // hidden while idle: nothing of the idle time either
    let u = timerInput(IDLE_TIMER, 0);
    u = timerVisibility(u, true, 90_000);
    expect(timerElapsed(u, 90_000)).toBe(0);
  });
  it('visibility changes while idle change nothing', () => {
    expect(timerVisibility(IDLE_TIMER, true, 5)).toBe(IDLE_TIMER);
    expect(timerElapsed(IDLE_TIMER, 99)).toBe(0);
  });
});

describe('waiting for the model', () => {
  it('time spent waiting (encoding, a slow decode) is not counted, backdated to when the wait began', async () => {
    const { timerInput, timerWaiting, timerElapsed, timerPausedReason, timerVisibility } = await import('./timer.ts');
    let t = timerInput(IDLE_TIMER, 1000);
    t = timerInput(t, 3000);
    // a decode began at 4000; at 4300 it is known to be slow: the wait counts from 4000
    t = timerWaiting(t, true, 4300, 4000);
    expect(timerElapsed(t, 9000)).toBe(3000);
    expect(timerPausedReason(t, 9000)).toBe('waiting');
    t = timerWaiting(t, false, 9000);
    expect(timerElapsed(t, 10_000)).toBe(4000);
    // a wait that began before the clock (the image was encoding when the first click came): none of it counts
    let u = timerInput(IDLE_TIMER, 5000);
    u = timerWaiting(u, true, 5000, 2000);
    expect(timerElapsed(u, 8000)).toBe(0);
    // hidden while waiting: shown again it runs
    u = timerVisibility(u, true, 8000);
    u = timerVisibility(u, false, 9000);
    expect(timerElapsed(u, 9500)).toBe(500);
  });
});
