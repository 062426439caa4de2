import { describe, expect, it } from 'vitest';
import { PointsTool } from './points.ts';
import { at, fakeContext, ptr, rectMask } from './testing.ts';

describe('points tool', () => {
  it('down and up without moving is a click that adds a foreground point where released', () => {
    const t = new PointsTool();
    const { ctx, calls } = fakeContext();
    expect(t.state).toBe('idle');
    t.onPointerDown(ctx, ptr(...at(ctx.view, 30, 40)));
    expect(t.state).toBe('pointing');
    t.onPointerMove(ctx, ptr(...at(ctx.view, 31, 41))); // 2.8 screen px: still a click
    expect(t.state).toBe('pointing');
    t.onPointerUp(ctx, ptr(...at(ctx.view, 31, 41)));
    expect(t.state).toBe('idle');
    expect(calls).toEqual([['addPoint', 31, 41, true]]);
  });

  it('Shift+click and right click add background points; Alt+click a foreground one', () => {
    const t = new PointsTool();
    const { ctx, calls } = fakeContext();
    const p = at(ctx.view, 30, 40);
    t.onPointerDown(ctx, ptr(...p, { shiftKey: true }));
    t.onPointerUp(ctx, ptr(...p));
    t.onPointerDown(ctx, ptr(...p, { button: 2 }));
    t.onPointerUp(ctx, ptr(...p, { button: 2 }));
    t.onPointerDown(ctx, ptr(...p, { altKey: true }));
    t.onPointerUp(ctx, ptr(...p, { altKey: true }));
    t.onPointerDown(ctx, ptr(...p, { button: 1 }));
    t.onPointerUp(ctx, ptr(...p, { button: 1 }));
    expect(calls).toEqual([
      ['addPoint', 30, 40, false],
      ['addPoint', 30, 40, false],
      ['addPoint', 30, 40, true],
    ]);
  });

  it('a drag past the threshold is no click', () => {
    const t = new PointsTool();
    const { ctx, calls } = fakeContext();
    t.onPointerDown(ctx, ptr(50, 50));
    t.onPointerMove(ctx, ptr(55, 50));
    expect(t.state).toBe('dragging');
    t.onPointerMove(ctx, ptr(50, 50)); // back where it started: still a drag
    t.onPointerUp(ctx, ptr(50, 50));
    expect(t.state).toBe('idle');
    expect(calls).toEqual([]);
  });

  it('a click off the image does nothing', () => {
    const t = new PointsTool();
    const { ctx, calls } = fakeContext();
    t.onPointerDown(ctx, ptr(5, 5));
    t.onPointerUp(ctx, ptr(5, 5));
    t.onPointerDown(ctx, ptr(...at(ctx.view, 100, 10)));
    t.onPointerUp(ctx, ptr(...at(ctx.view, 100, 10)));
    expect(calls).toEqual([]);
  });

  it('with nothing drafted, a click on a mask selects it (Alt: a point); with a draft, it adds a point', () => {
    const mask = rectMask(7, 100, 80, 20, 20, 60, 60);
    const t = new PointsTool();
    const { ctx, calls } = fakeContext({ selectable: [mask] });
    const p = at(ctx.view, 30, 40);
    t.onPointerDown(ctx, ptr(...p));
    t.onPointerUp(ctx, ptr(...p));
    t.onPointerDown(ctx, ptr(...p, { altKey: true }));
    t.onPointerUp(ctx, ptr(...p, { altKey: true }));
    ctx.draftUnderWay = true;
    t.onPointerDown(ctx, ptr(...p));
    t.onPointerUp(ctx, ptr(...p));
    expect(calls).toEqual([
      ['selectAnnotation', 7],
      ['addPoint', 30, 40, true],
      ['addPoint', 30, 40, true],
    ]);
  });

  it('a click within 4 screen px of the hover preview takes the previewed point', () => {
    const t = new PointsTool();
    const { ctx, calls } = fakeContext({}, { hoverPoint: { x: 30, y: 40 } });
    const near = at(ctx.view, 31, 40); // 2 screen px away
    t.onPointerDown(ctx, ptr(...near));
    t.onPointerUp(ctx, ptr(...near));
    const far = at(ctx.view, 33, 40); // 6 screen px away
    t.onPointerDown(ctx, ptr(...far));
    t.onPointerUp(ctx, ptr(...far));
    t.onPointerDown(ctx, ptr(...near, { shiftKey: true }));
    t.onPointerUp(ctx, ptr(...near));
    expect(calls).toEqual([
      ['addPoint', 30, 40, true],
      ['addPoint', 33, 40, true],
      ['addPoint', 31, 40, false],
    ]);
  });

  it('a cancel returns to idle without side effects', () => {
    const t = new PointsTool();
    const { ctx, calls, drawn } = fakeContext();
    t.onPointerDown(ctx, ptr(50, 50));
    t.onPointerCancel();
    expect(t.state).toBe('idle');
    t.onPointerUp(ctx, ptr(50, 50));
    expect(calls).toEqual([]);
    expect(drawn).toEqual([]);
  });
});
