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
    // a run's first change is a new step: the redo before it goes (redoing it after the run would add its records again)
    expect(labels(pushStep({ past: [step('a')], future: [step('x')] }, step('run', 'r'), 'run'))).toEqual({
      past: ['a', 'run'],
      future: [],
    });
    expect(pushStep({ past: [step('a')], future: [step('run', 'r')] }, step('more', 'r'), 'run')).toBeNull();
  });

  it('run: a change to a record a later step changed is a step of its own (undo order stays exact)', () => {
    const op = (id: number) => ({ coll: 'annotations' as const, id, before: null, after: null });
    const run = { ...step('run', 'r'), doc: { ops: [op(1)] } };
    const later = { ...step('recolor'), doc: { ops: [op(2)] } };
    const h: History = { past: [run, later], future: [] };
    expect(labels(pushStep(h, { ...step('more', 'r'), doc: { ops: [op(3)] } }, 'run'))).toEqual({ past: ['run', 'recolor'], future: [] });
    const next = pushStep(h, { ...step('more', 'r'), doc: { ops: [op(2)] } }, 'run')!;
    expect(labels(next)).toEqual({ past: ['run', 'recolor', 'more'], future: [] });
    // and the run's next changes join that last step of its key
    expect(labels(pushStep(next, { ...step('again', 'r'), doc: { ops: [op(4)] } }, 'run'))).toEqual({
      past: ['run', 'recolor', 'more'],
      future: [],
    });
  });
});
