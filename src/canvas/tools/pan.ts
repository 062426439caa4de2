/**
 * Pan and zoom, whatever the tool: a middle drag, or a left drag with Space held, moves the view; the
 * wheel zooms about the pointer.
 *
 *   idle --down--> panning --move / up--> view = view at down + pointer offset (up: idle)
 *   panning --cancel--> idle (the view stays where the last move put it)
 *   wheel (any state): zoom by exp(-deltaY * 0.0015) about the pointer
 */
import { zoomViewAt, type Point, type ViewTransform } from '../../core/geometry.ts';
import type { CanvasTool, ToolContext, ToolPointer, ToolWheel } from './types.ts';

export type PanState = 'idle' | 'panning';

/** The pointer event starts a pan rather than the tool's gesture. */
export function startsPan(e: { button: number }, spaceDown: boolean): boolean {
  return e.button === 1 || (e.button === 0 && spaceDown);
}

export class PanTool implements CanvasTool {
  state: PanState = 'idle';
  private start: { point: Point; view: ViewTransform } | null = null;

  onPointerDown(ctx: ToolContext, e: ToolPointer): void {
    this.start = { point: e.point, view: ctx.view };
    this.state = 'panning';
    e.preventDefault();
  }

  onPointerMove(ctx: ToolContext, e: ToolPointer): void {
    if (this.state === 'panning') this.follow(ctx, e);
  }

  onPointerUp(ctx: ToolContext, e: ToolPointer): void {
    if (this.state === 'panning') this.follow(ctx, e);
    this.onPointerCancel();
  }

  onPointerCancel(): void {
    this.start = null;
    this.state = 'idle';
  }

  onWheel(ctx: ToolContext, e: ToolWheel): void {
    const factor = Math.exp(-e.deltaY * 0.0015);
    ctx.setView((v) => zoomViewAt(v, e.point, factor));
  }

  private follow(ctx: ToolContext, e: ToolPointer): void {
    const s = this.start;
    if (!s) return;
    ctx.setView({ ...s.view, x: s.view.x + e.point.x - s.point.x, y: s.view.y + e.point.y - s.point.y });
  }
}
