import { describe, expect, it } from 'vitest';
import { CanvasTools, cursorFor } from './canvasTools.ts';
import { HOVER_REST_MS } from './hover.ts';
import { at, fakeContext, ptr, rectMask } from './testing.ts';

describe('the stage router', () => {
  it('gives a press to the picked tool until release, capturing the pointer', () => {
    const tools = new CanvasTools();
    const { ctx, calls, drawn } = fakeContext();
    tools.pointerDown(ctx, ptr(...at(ctx.view, 30, 40), { pointerId: 3 }));
    expect(drawn).toEqual([['capture', 3]]);
    expect(tools.gesture).toBe(tools.tools.points);
    expect(tools.tools.points.state).toBe('pointing');
    tools.pointerUp(ctx, ptr(...at(ctx.view, 30, 40)));
    expect(tools.gesture).toBeNull();
    expect(calls).toEqual([['addPoint', 30, 40, true]]);
  });

  it('Space+left and middle presses pan, whatever the tool', () => {
    const tools = new CanvasTools();
    const { ctx, calls, drawn } = fakeContext({ spaceDown: true });
    tools.pointerDown(ctx, ptr(100, 100));
    expect(tools.gesture).toBe(tools.pan);
    tools.pointerMove(ctx, ptr(120, 100));
    tools.pointerUp(ctx, ptr(120, 100));
    ctx.spaceDown = false;
    ctx.tool = 'brush';
    tools.pointerDown(ctx, ptr(100, 100, { button: 1 }));
    expect(tools.gesture).toBe(tools.pan);
    tools.pointerUp(ctx, ptr(100, 110, { button: 1 }));
    expect(calls).toEqual([]);
    expect(drawn.filter(([k]) => k === 'view')).toEqual([
      ['view', { scale: 2, x: 30, y: 20 }],
      ['view', { scale: 2, x: 30, y: 20 }],
      ['view', { scale: 2, x: 30, y: 30 }],
    ]);
  });

  it('a gesture stays with the tool that began it', () => {
    const tools = new CanvasTools();
    const { ctx, calls } = fakeContext({ tool: 'brush' });
    tools.pointerDown(ctx, ptr(...at(ctx.view, 10, 10)));
    ctx.tool = 'points';
    tools.pointerMove(ctx, ptr(...at(ctx.view, 20, 10)));
    tools.pointerUp(ctx, ptr(...at(ctx.view, 20, 10)));
    expect(calls.map(([name]) => name)).toEqual(['beginStroke', 'strokeProgress', 'strokeProgress', 'endStroke']);
    expect(tools.tools.brush.state).toBe('idle');
  });

  it('does nothing without an image', () => {
    const tools = new CanvasTools();
    const { ctx, calls, drawn } = fakeContext({ image: null });
    tools.pointerDown(ctx, ptr(50, 50));
    tools.pointerMove(ctx, ptr(50, 50));
    tools.pointerUp(ctx, ptr(50, 50));
    tools.wheel(ctx, { point: { x: 0, y: 0 }, deltaY: 100 });
    expect(calls).toEqual([]);
    expect(drawn).toEqual([]);
  });

  it('a pointer cancel returns to idle without side effects', () => {
    const tools = new CanvasTools();
    const { ctx, calls, drawn } = fakeContext({ tool: 'box' });
    tools.pointerDown(ctx, ptr(...at(ctx.view, 10, 10)));
    tools.pointerCancel(ctx);
    expect(tools.gesture).toBeNull();
    expect(tools.tools.box.state).toBe('idle');
    tools.pointerUp(ctx, ptr(...at(ctx.view, 10, 10)));
    expect(calls).toEqual([]);
    expect(drawn).toEqual([['capture', 1]]);
  });

  it('hovering highlights the mask a click would select and previews the mask where the pointer rests', () => {
    const mask = rectMask(4, 100, 80, 0, 0, 20, 20);
    const tools = new CanvasTools();
    const { ctx, calls, drawn, clock, state } = fakeContext({ selectable: [mask] });
    tools.pointerMove(ctx, ptr(...at(ctx.view, 5, 5)));
    expect(drawn).toEqual([['hovered', 4]]);
    tools.pointerMove(ctx, ptr(...at(ctx.view, 5, 6), { altKey: true })); // Alt: a point, not the mask
    tools.pointerMove(ctx, ptr(...at(ctx.view, 50, 40)));
    expect(drawn).toEqual([
      ['hovered', 4],
      ['hovered', null],
    ]);
    clock.advance(HOVER_REST_MS - 1);
    tools.pointerMove(ctx, ptr(...at(ctx.view, 51, 40))); // moved: the rest starts again
    clock.advance(HOVER_REST_MS - 1);
    expect(calls).toEqual([]);
    clock.advance(1);
    expect(calls).toEqual([['hoverAt', { x: 51, y: 40 }]]);
    state.hoverPoint = { x: 51, y: 40 };
    tools.pointerMove(ctx, ptr(...at(ctx.view, 52, 40))); // 2 screen px: the preview stays
    expect(calls).toHaveLength(1);
    tools.pointerMove(ctx, ptr(...at(ctx.view, 60, 40)));
    expect(calls.slice(1)).toEqual([['hoverAt', null]]);
    tools.pointerDown(ctx, ptr(...at(ctx.view, 60, 40)));
    clock.advance(HOVER_REST_MS);
    expect(calls).toHaveLength(2); // a press cancels the coming preview
  });

  it('no preview with a draft under way, another tool, Space held or off the image', () => {
    for (const over of [{ draftUnderWay: true }, { tool: 'box' as const }, { spaceDown: true }]) {
      const tools = new CanvasTools();
      const { ctx, calls, clock } = fakeContext(over);
      tools.pointerMove(ctx, ptr(...at(ctx.view, 50, 40)));
      clock.advance(HOVER_REST_MS);
      expect(calls).toEqual([]);
    }
    const tools = new CanvasTools();
    const { ctx, calls, clock } = fakeContext({}, { hoverPoint: { x: 99, y: 79 } });
    tools.pointerMove(ctx, ptr(...at(ctx.view, 100, 79)));
    clock.advance(HOVER_REST_MS);
    expect(calls).toEqual([['hoverAt', null]]);
  });

  it('the brush circle follows the pointer; leaving the stage clears the circle, highlight and preview', () => {
    const tools = new CanvasTools();
    const { ctx, calls, drawn, clock } = fakeContext({ tool: 'eraser' }, { hoverPoint: { x: 1, y: 1 } });
    tools.pointerMove(ctx, ptr(...at(ctx.view, 5, 6)));
    expect(drawn).toEqual([['cursor', { x: 5, y: 6 }]]);
    ctx.tool = 'points';
    tools.pointerMove(ctx, ptr(...at(ctx.view, 50, 40)));
    tools.pointerLeave(ctx);
    clock.advance(HOVER_REST_MS);
    expect(drawn.slice(1)).toEqual([
      ['cursor', null],
      ['hovered', null],
    ]);
    expect(calls).toEqual([
      ['hoverAt', null],
      ['hoverAt', null],
      ['hoverAt', null],
      ['hoverAt', null],
    ]);
  });

  it('the cursor: grab with Space, none for the brush, pointer over a mask, else by tool', () => {
    expect(cursorFor('points', true, true)).toBe('grab');
    expect(cursorFor('brush', false, true)).toBe('none');
    expect(cursorFor('eraser', false, false)).toBe('none');
    expect(cursorFor('select', false, true)).toBe('pointer');
    expect(cursorFor('select', false, false)).toBe('default');
    expect(cursorFor('box', false, false)).toBe('crosshair');
    expect(cursorFor('points', false, false)).toBe('crosshair');
  });
});
