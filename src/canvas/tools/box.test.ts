import { describe, expect, it } from 'vitest';
import { BoxTool } from './box.ts';
import { at, fakeContext, ptr } from './testing.ts';

describe('box tool', () => {
  it('down, a move past the threshold and up is a box prompt; the dashed box follows the pointer', () => {
    const t = new BoxTool();
    const { ctx, calls, drawn } = fakeContext({ tool: 'box' });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 50, 40)));
    expect(t.state).toBe('pointing');
    t.onPointerMove(ctx, ptr(...at(ctx.view, 51, 41)));
    expect(t.state).toBe('pointing');
    expect(drawn).toEqual([]);
    t.onPointerMove(ctx, ptr(...at(ctx.view, 40, 30)));
    expect(t.state).toBe('dragging');
    t.onPointerMove(ctx, ptr(...at(ctx.view, 20, 10)));
    expect(calls).toEqual([]);
    t.onPointerUp(ctx, ptr(...at(ctx.view, 20, 10)));
    expect(t.state).toBe('idle');
    expect(drawn).toEqual([
      ['draftBox', { x0: 50, y0: 40, x1: 40, y1: 30 }],
      ['draftBox', { x0: 50, y0: 40, x1: 20, y1: 10 }],
      ['draftBox', null],
    ]);
    expect(calls).toEqual([['setBox', { x0: 20, y0: 10, x1: 50, y1: 40 }]]);
  });

  it('the box is clamped to the image; "boxes first" makes it a pending box', () => {
    const t = new BoxTool();
    const { ctx, calls } = fakeContext({ tool: 'box' }, { boxesFirst: true });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 90, 70)));
    t.onPointerMove(ctx, ptr(...at(ctx.view, 150, 120)));
    t.onPointerUp(ctx, ptr(...at(ctx.view, 150, 120)));
    expect(calls).toEqual([['addPendingBox', { x0: 90, y0: 70, x1: 100, y1: 80 }]]);
  });

  it('a box under 1 image px high is dropped', () => {
    const t = new BoxTool();
    const { ctx, calls, drawn } = fakeContext({ tool: 'box' });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 10, 10)));
    t.onPointerMove(ctx, ptr(...at(ctx.view, 30, 10.4)));
    t.onPointerUp(ctx, ptr(...at(ctx.view, 30, 10.4)));
    expect(calls).toEqual([]);
    expect(drawn.at(-1)).toEqual(['draftBox', null]);
  });

  it('a click adds a point (Shift: background); a right drag does nothing', () => {
    const t = new BoxTool();
    const { ctx, calls, drawn } = fakeContext({ tool: 'box' });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 10, 10)));
    t.onPointerUp(ctx, ptr(...at(ctx.view, 10, 10)));
    t.onPointerDown(ctx, ptr(...at(ctx.view, 10, 10), { shiftKey: true }));
    t.onPointerUp(ctx, ptr(...at(ctx.view, 10, 10)));
    t.onPointerDown(ctx, ptr(...at(ctx.view, 10, 10), { button: 2 }));
    t.onPointerMove(ctx, ptr(...at(ctx.view, 40, 40), { button: 2 }));
    expect(t.state).toBe('dragging');
    t.onPointerUp(ctx, ptr(...at(ctx.view, 40, 40), { button: 2 }));
    expect(calls).toEqual([
      ['addPoint', 10, 10, true],
      ['addPoint', 10, 10, false],
    ]);
    expect(drawn.filter(([, b]) => b !== null)).toEqual([]);
  });

  it('a cancel while dragging removes the dashed box and prompts nothing', () => {
    const t = new BoxTool();
    const { ctx, calls, drawn } = fakeContext({ tool: 'box' });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 10, 10)));
    t.onPointerMove(ctx, ptr(...at(ctx.view, 40, 40)));
    t.onPointerCancel(ctx);
    expect(t.state).toBe('idle');
    t.onPointerUp(ctx, ptr(...at(ctx.view, 40, 40)));
    expect(calls).toEqual([]);
    expect(drawn).toEqual([
      ['draftBox', { x0: 10, y0: 10, x1: 40, y1: 40 }],
      ['draftBox', null],
    ]);
  });
});
