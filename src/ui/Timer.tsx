import { useEffect, useState } from 'react';
import { MASK_BUDGET_MS, timerElapsed, timerPausedReason } from '../core/project/timer.ts';
import { useAppStore, useStore } from '../state/useApp.tsx';

function fmt(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The per-mask clock: a countdown to the 30-second budget, a warning past it with skip or continue. */
export function MaskTimerPanel() {
  const store = useAppStore();
  const timer = useStore((s) => s.timer);
  const acknowledged = useStore((s) => s.budgetAcknowledged);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (timer.status === 'idle') return;
    const id = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(id);
  }, [timer.status]);
  useEffect(() => {
    const onVis = () => store.getState().visibilityChanged(document.hidden);
    document.addEventListener('visibilitychange', onVis);
    return () => document.removeEventListener('visibilitychange', onVis);
  }, [store]);
  if (timer.status === 'idle') {
    return (
      <section className="timer" data-testid="timer">
        <h2>Mask clock</h2>
        <p className="muted">Starts with the first click or stroke.</p>
      </section>
    );
  }
  const t = Math.max(now, timer.since);
  const elapsed = timerElapsed(timer, t);
  const paused = timerPausedReason(timer, t);
  const over = elapsed > MASK_BUDGET_MS;
  return (
    <section className={`timer${over ? ' over' : ''}`} data-testid="timer">
      <h2>Mask clock</h2>
      <p>
        <b data-testid="timer-elapsed">{fmt(elapsed)}</b> / {fmt(MASK_BUDGET_MS)}
        {paused && (
          <span className="muted" data-testid="timer-paused">
            {' '}
            — paused ({paused === 'hidden' ? 'tab hidden' : paused === 'waiting' ? 'waiting for the model' : 'no input for a minute'})
          </span>
        )}
      </p>
      <progress max={MASK_BUDGET_MS} value={Math.min(elapsed, MASK_BUDGET_MS)} />
      {over && !acknowledged && (
        <div className="budget-warning" role="alert">
          Over 30 s on this mask. Move on?
          <div className="row">
            <button onClick={() => store.getState().skipObject()}>Skip object</button>
            <button onClick={() => store.getState().acknowledgeBudget()}>Continue</button>
          </div>
        </div>
      )}
    </section>
  );
}
