/**
 * The stage's pointer input: one state machine per tool, and this router, which gives a gesture to
 * the tool that starts it (the pan on a middle or Space+left press, else the tool picked in the
 * toolbar) until the pointer is released, and hover moves to the picked tool's hover.
 */
import { screenToImage } from '../../core/geometry.ts';
import { BoxTool } from './box.ts';
import { Hover } from './hover.ts';
import { PanTool, startsPan } from './pan.ts';
import { PointsTool } from './points.ts';
import { SelectTool } from './select.ts';
import { StrokeTool } from './stroke.ts';
import type { CanvasTool, Clock, PickedTool, Tool, ToolContext, ToolPointer, ToolWheel } from './types.ts';

export class CanvasTools {
  readonly tools: Readonly<Record<Tool, PickedTool>> = {
    points: new PointsTool(),
    box: new BoxTool(),
    brush: new StrokeTool('add'),
    eraser: new StrokeTool('remove'),
    select: new SelectTool(),
  };
  readonly pan = new PanTool();
  readonly hover = new Hover();
  /** the tool whose gesture is under way (from pointer down to up) */
  private active: CanvasTool | null = null;

  get gesture(): CanvasTool | null {
    return this.active;
  }

  pointerDown(ctx: ToolContext, e: ToolPointer): void {
    if (!ctx.image) return;
    this.hover.restAt(ctx, null);
    ctx.capture(e.pointerId);
    // a second pointer takes over: the first one's gesture is abandoned
    this.active?.onPointerCancel(ctx);
    this.active = startsPan(e, ctx.spaceDown) ? this.pan : this.tools[ctx.tool];
    this.active.onPointerDown(ctx, e);
  }

  pointerMove(ctx: ToolContext, e: ToolPointer): void {
    const picked = this.tools[ctx.tool];
    if (ctx.image && picked.brushCursor) ctx.setCursor(screenToImage(e.point, ctx.view));
    if (!ctx.image) return;
    if (this.active) this.active.onPointerMove(ctx, e);
    else this.hover.move(ctx, picked, e);
  }

  pointerUp(ctx: ToolContext, e: ToolPointer): void {
    const t = this.active;
    this.active = null;
    if (!t) return;
    if (ctx.image) t.onPointerUp(ctx, e);
    else t.onPointerCancel(ctx);
  }

  pointerCancel(ctx: ToolContext): void {
    const t = this.active;
    this.active = null;
    t?.onPointerCancel(ctx);
  }

  pointerLeave(ctx: ToolContext): void {
    ctx.setCursor(null);
    this.hover.leave(ctx);
  }

  wheel(ctx: ToolContext, e: ToolWheel): void {
    if (ctx.image) this.pan.onWheel(ctx, e);
  }
}

/** The stage's CSS cursor. */
export function cursorFor(tool: Tool, spaceDown: boolean, hovering: boolean): string {
  if (spaceDown) return 'grab';
  if (tool === 'brush' || tool === 'eraser') return 'none';
  if (hovering) return 'pointer';
  return tool === 'select' ? 'default' : 'crosshair';
}

/** The browser's timers. */
export const browserClock: Clock = {
  after(ms, fn) {
    const h = setTimeout(fn, ms);
    return () => clearTimeout(h);
  },
  nextFrame(fn) {
    const h = requestAnimationFrame(fn);
    return () => cancelAnimationFrame(h);
  },
};
