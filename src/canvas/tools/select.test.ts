import { describe, expect, it } from 'vitest';
import { SelectTool } from './select.ts';
import { at, fakeContext, ptr, rectMask } from './testing.ts';

describe('select tool', () => {
  const big = rectMask(1, 100, 80, 0, 0, 80, 60);
  const small = rectMask(2, 100, 80, 20, 20, 40, 40);

  it('a click selects the smallest mask under it, again the next one; off the masks clears', () => {
    const t = new SelectTool();
    const { ctx, calls, state } = fakeContext({ tool: 'select', selectable: [big, small] });
    const p = at(ctx.view, 30, 30);
    t.onPointerDown(ctx, ptr(...p));
    t.onPointerUp(ctx, ptr(...p));
    state.selectedAnnotationId = 2;
    t.onPointerDown(ctx, ptr(...p));
    t.onPointerUp(ctx, ptr(...p));
    const off = at(ctx.view, 90, 70);
    t.onPointerDown(ctx, ptr(...off));
    t.onPointerUp(ctx, ptr(...off));
    expect(calls).toEqual([
      ['selectAnnotation', 2],
      ['selectAnnotation', 1],
      ['selectAnnotation', null],
    ]);
  });

  it('never adds points: right clicks, drags and clicks off the image do nothing', () => {
    const t = new SelectTool();
    const { ctx, calls } = fakeContext({ tool: 'select', selectable: [big] });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 30, 30), { button: 2 }));
    t.onPointerUp(ctx, ptr(...at(ctx.view, 30, 30), { button: 2 }));
    t.onPointerDown(ctx, ptr(...at(ctx.view, 30, 30)));
    t.onPointerMove(ctx, ptr(...at(ctx.view, 40, 30)));
    expect(t.state).toBe('dragging');
    t.onPointerUp(ctx, ptr(...at(ctx.view, 40, 30)));
    t.onPointerDown(ctx, ptr(0, 0));
    t.onPointerUp(ctx, ptr(0, 0));
    expect(calls).toEqual([]);
  });

  it('a cancel returns to idle without side effects', () => {
    const t = new SelectTool();
    const { ctx, calls } = fakeContext({ tool: 'select', selectable: [big] });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 30, 30)));
    t.onPointerCancel();
    t.onPointerUp(ctx, ptr(...at(ctx.view, 30, 30)));
    expect(t.state).toBe('idle');
    expect(calls).toEqual([]);
  });
});
