/** The history's filing rules, on plain entries (the store's behaviour with them: video.test.ts, tracking.test.ts). */
import { describe, expect, it } from 'vitest';
import { EMPTY_DIFF } from '../../core/project/changes.ts';
import { pushStep, type History, type HistoryEntry } from './history.ts';

const step = (label: string, squashKey?: string): HistoryEntry => ({
  label,
  imageId: null,
  doc: EMPTY_DIFF,
  session: null,
  ...(squashKey ? { squashKey } : {}),
});
const labels = (h: History | null) => h && { past: h.past.map((e) => e.label), future: h.future.map((e) => e.label) };

describe('pushStep', () => {
  it('record: a new step, the redo gone; squash: joins the last step of its key only', () => {
    const h: History = { past: [step('a'), step('r1', 'k')], future: [step('x')] };
    expect(labels(pushStep(h, step('b'), 'record'))).toEqual({ past: ['a', 'r1', 'b'], future: [] });
    expect(labels(pushStep(h, step('r2', 'k'), 'squash'))).toEqual({ past: ['a', 'r1'], future: [] });
    const after = { past: [...h.past, step('b')], future: [] };
    expect(labels(pushStep(after, step('r2', 'k'), 'squash'))).toEqual({ past: ['a', 'r1', 'b', 'r2'], future: [] });
  });

  it("run: joins its run's step wherever it is, keeps the redo; refused once the run's step is undone", () => {
    const h: History = { past: [step('run', 'r'), step('b')], future: [step('x')] };
    expect(labels(pushStep(h, step('more', 'r'), 'run'))).toEqual({ past: ['run', 'b'], future: ['x'] });
    expect(labels(pushStep({ past: [step('a')], future: [step('x')] }, step('run', 'r'), 'run'))).toEqual({
      past: ['a', 'run'],
      future: ['x'],
    });
    expect(pushStep({ past: [step('a')], future: [step('run', 'r')] }, step('more', 'r'), 'run')).toBeNull();
  });
});
