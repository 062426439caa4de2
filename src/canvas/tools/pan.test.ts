import { describe, expect, it } from 'vitest';
import { zoomViewAt } from '../../core/geometry.ts';
import { PanTool, startsPan } from './pan.ts';
import { fakeContext, ptr } from './testing.ts';

describe('pan', () => {
  it('a drag moves the view by the pointer offset from where it was pressed', () => {
    const t = new PanTool();
    const { ctx, calls, drawn } = fakeContext({ view: { scale: 2, x: 10, y: 20 } });
    const down = ptr(100, 100, { button: 1 });
    t.onPointerDown(ctx, down);
    expect(down.prevented).toBe(true);
    expect(t.state).toBe('panning');
    t.onPointerMove(ctx, ptr(110, 95));
    t.onPointerMove(ctx, ptr(130, 90));
    t.onPointerUp(ctx, ptr(131, 90));
    expect(t.state).toBe('idle');
    expect(drawn).toEqual([
      ['view', { scale: 2, x: 20, y: 15 }],
      ['view', { scale: 2, x: 40, y: 10 }],
      ['view', { scale: 2, x: 41, y: 10 }],
    ]);
    expect(calls).toEqual([]);
  });

  it('a cancel goes idle and moves the view no more', () => {
    const t = new PanTool();
    const { ctx, drawn } = fakeContext();
    t.onPointerDown(ctx, ptr(100, 100));
    t.onPointerMove(ctx, ptr(110, 100));
    t.onPointerCancel();
    t.onPointerMove(ctx, ptr(150, 100));
    t.onPointerUp(ctx, ptr(150, 100));
    expect(t.state).toBe('idle');
    expect(drawn).toEqual([['view', { scale: 2, x: 20, y: 20 }]]);
  });

  it('the wheel zooms about the pointer', () => {
    const t = new PanTool();
    const { ctx } = fakeContext({ view: { scale: 1, x: 0, y: 0 } });
    t.onWheel(ctx, { point: { x: 50, y: 40 }, deltaY: -100 });
    expect(ctx.view).toEqual(zoomViewAt({ scale: 1, x: 0, y: 0 }, { x: 50, y: 40 }, Math.exp(0.15)));
  });

  it('middle presses pan, and left presses with Space held', () => {
    expect(startsPan({ button: 1 }, false)).toBe(true);
    expect(startsPan({ button: 0 }, true)).toBe(true);
    expect(startsPan({ button: 0 }, false)).toBe(false);
    expect(startsPan({ button: 2 }, true)).toBe(false);
  });
});
