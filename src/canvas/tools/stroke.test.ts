import { describe, expect, it } from 'vitest';
import { StrokeTool } from './stroke.ts';
import { at, fakeContext, ptr } from './testing.ts';

describe('brush and eraser', () => {
  it('down, moves, up: one stroke with every point, sent to the worker once per frame', () => {
    const t = new StrokeTool('add');
    const { ctx, calls, drawn, clock } = fakeContext({ tool: 'brush' }, { brushRadius: 5 });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 10, 10)));
    expect(t.state).toBe('stroking');
    expect(calls).toEqual([['beginStroke'], ['strokeProgress', { mode: 'add', radius: 5, points: [10, 10] }]]);
    t.onPointerMove(ctx, ptr(...at(ctx.view, 11, 10)));
    t.onPointerMove(ctx, ptr(...at(ctx.view, 12, 10)));
    expect(calls).toHaveLength(2);
    expect(clock.pendingFrames).toBe(1);
    clock.frame();
    expect(calls[2]).toEqual(['strokeProgress', { mode: 'add', radius: 5, points: [10, 10, 11, 10, 12, 10] }]);
    t.onPointerMove(ctx, ptr(...at(ctx.view, 13, 11)));
    t.onPointerUp(ctx, ptr(...at(ctx.view, 13, 11)));
    expect(t.state).toBe('idle');
    expect(clock.pendingFrames).toBe(0);
    expect(calls.slice(3)).toEqual([
      ['strokeProgress', { mode: 'add', radius: 5, points: [12, 10, 13, 11] }],
      ['endStroke', { mode: 'add', radius: 5, points: [10, 10, 11, 10, 12, 10, 13, 11] }],
    ]);
    expect(drawn).toEqual([
      ['draftStroke', [10, 10]],
      ['draftStroke', [10, 10, 11, 10]],
      ['draftStroke', [10, 10, 11, 10, 12, 10]],
      ['draftStroke', [10, 10, 11, 10, 12, 10, 13, 11]],
      ['draftStroke', null],
    ]);
  });

  it('the eraser paints a remove stroke; a frame with nothing new sends nothing', () => {
    const t = new StrokeTool('remove');
    const { ctx, calls, clock } = fakeContext({ tool: 'eraser' });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 10, 10)));
    t.onPointerMove(ctx, ptr(...at(ctx.view, 20, 10)));
    clock.frame();
    t.onPointerUp(ctx, ptr(...at(ctx.view, 20, 10)));
    expect(calls).toEqual([
      ['beginStroke'],
      ['strokeProgress', { mode: 'remove', radius: 8, points: [10, 10] }],
      ['strokeProgress', { mode: 'remove', radius: 8, points: [10, 10, 20, 10] }],
      ['endStroke', { mode: 'remove', radius: 8, points: [10, 10, 20, 10] }],
    ]);
  });

  it('a right click adds a background point; a right drag does nothing', () => {
    const t = new StrokeTool('add');
    const { ctx, calls } = fakeContext({ tool: 'brush' });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 30, 30), { button: 2 }));
    expect(t.state).toBe('pointing');
    t.onPointerUp(ctx, ptr(...at(ctx.view, 30, 30), { button: 2 }));
    t.onPointerDown(ctx, ptr(...at(ctx.view, 30, 30), { button: 2 }));
    t.onPointerMove(ctx, ptr(...at(ctx.view, 40, 30), { button: 2 }));
    expect(t.state).toBe('dragging');
    t.onPointerUp(ctx, ptr(...at(ctx.view, 40, 30), { button: 2 }));
    expect(calls).toEqual([['addPoint', 30, 30, false]]);
  });

  it('a cancel ends the stroke painted so far (the worker drew it) and goes idle', () => {
    const t = new StrokeTool('add');
    const { ctx, calls, drawn, clock } = fakeContext({ tool: 'brush' });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 10, 10)));
    t.onPointerMove(ctx, ptr(...at(ctx.view, 12, 10)));
    t.onPointerCancel(ctx);
    expect(t.state).toBe('idle');
    expect(clock.pendingFrames).toBe(0);
    expect(calls.slice(2)).toEqual([
      ['strokeProgress', { mode: 'add', radius: 8, points: [10, 10, 12, 10] }],
      ['endStroke', { mode: 'add', radius: 8, points: [10, 10, 12, 10] }],
    ]);
    expect(drawn.at(-1)).toEqual(['draftStroke', null]);
  });

  it('a cancel of a right press has no side effects', () => {
    const t = new StrokeTool('add');
    const { ctx, calls, drawn } = fakeContext({ tool: 'brush' });
    t.onPointerDown(ctx, ptr(...at(ctx.view, 10, 10), { button: 2 }));
    t.onPointerCancel(ctx);
    t.onPointerUp(ctx, ptr(...at(ctx.view, 10, 10), { button: 2 }));
    expect(t.state).toBe('idle');
    expect(calls).toEqual([]);
    expect(drawn).toEqual([]);
  });
});
