/**
 * The per-mask clock of the SAM data engine's rule (past 30 s on one mask, move on). It counts
 * active time only: it pauses while the page is hidden, and once a minute passes with no input the
 * pause is backdated to the last input (none of that idle time counts; within the minute the clock
 * runs on, since the annotator may be looking). Pure: every function takes the current time (ms).
 */
export const MASK_BUDGET_MS = 30_000;
export const IDLE_PAUSE_MS = 60_000;

export interface MaskTimer {
  /** 'idle': no mask under way; 'hidden': the tab is hidden; 'waiting': the annotator waits for the model */
  status: 'idle' | 'running' | 'hidden' | 'waiting';
  /** active ms counted up to `since` */
  accumulated: number;
  /** start of the segment being counted (running) */
  since: number;
  lastInput: number;
}

export const IDLE_TIMER: MaskTimer = { status: 'idle', accumulated: 0, since: 0, lastInput: 0 };

function counted(t: MaskTimer, now: number): number {
  if (t.status !== 'running') return t.accumulated;
  const end = now - t.lastInput > IDLE_PAUSE_MS ? t.lastInput : now;
  return t.accumulated + Math.max(0, end - t.since);
}

/** A prompt, stroke or other input: starts the clock, or resumes it after an idle pause. */
export function timerInput(t: MaskTimer, now: number): MaskTimer {
  if (t.status === 'idle') return { status: 'running', accumulated: 0, since: now, lastInput: now };
  if (t.status === 'hidden' || t.status === 'waiting') return { ...t, lastInput: now };
  // an idle gap past the limit is dropped: count up to the limit, restart at now
  if (now - t.lastInput > IDLE_PAUSE_MS) return { status: 'running', accumulated: counted(t, now), since: now, lastInput: now };
  return { ...t, lastInput: now };
}

/** The page was hidden or shown again. */
export function timerVisibility(t: MaskTimer, hidden: boolean, now: number): MaskTimer {
  if (t.status === 'idle') return t;
  if (hidden && t.status !== 'hidden') return { ...t, status: 'hidden', accumulated: counted(t, now) };
  if (!hidden && t.status === 'hidden') return { ...t, status: 'running', since: now, lastInput: now };
  return t;
}

/**
 * The annotator started or stopped waiting for the model (the shown image being encoded, a slow
 * decode): that time is not theirs. `since` backdates the start of the wait (a decode is known to be
 * slow only after a while). A hidden tab stays hidden.
 */
export function timerWaiting(t: MaskTimer, waiting: boolean, now: number, since = now): MaskTimer {
  if (waiting && t.status === 'running')
    return { ...t, status: 'waiting', accumulated: counted(t, Math.max(t.since, Math.min(since, now))) };
  if (!waiting && t.status === 'waiting') return { ...t, status: 'running', since: now, lastInput: Math.max(t.lastInput, now) };
  return t;
}

/** Active ms so far. */
export function timerElapsed(t: MaskTimer, now: number): number {
  return counted(t, now);
}

/** Why the clock is not counting now, if it is not. */
export function timerPausedReason(t: MaskTimer, now: number): 'hidden' | 'idle' | 'waiting' | null {
  if (t.status === 'hidden') return 'hidden';
  if (t.status === 'waiting') return 'waiting';
  if (t.status === 'running' && now - t.lastInput > IDLE_PAUSE_MS) return 'idle';
  return null;
}

/** Stops the clock (mask accepted, discarded or skipped): the active time, and an idle timer. */
export function timerStop(t: MaskTimer, now: number): { ms: number; timer: MaskTimer } {
  return { ms: Math.round(counted(t, now)), timer: IDLE_TIMER };
}
