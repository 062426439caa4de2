/**
 * Points tool: a click adds a point prompt (left: foreground, Shift+left or right: background); with
 * nothing drafted, a left click on an accepted mask selects it instead (Alt: place a point anyway).
 *
 *   idle --down--> pointing --move beyond 4 px--> dragging
 *   pointing --up--> idle (click: select the mask there, or add a point)
 *   dragging --up--> idle (nothing)        any --cancel--> idle
 */
import { nextAt } from '../../core/mask/hitTest.ts';
import { beyondThreshold, clickedPixel, placePoint, pressOf, type Press } from './press.ts';
import type { PickedTool, ToolContext, ToolPointer } from './types.ts';

export type PointsState = 'idle' | 'pointing' | 'dragging';

export class PointsTool implements PickedTool {
  state: PointsState = 'idle';
  readonly brushCursor = false;
  private press: Press | null = null;

  picks(ctx: ToolContext, e: { altKey: boolean }): boolean {
    return !ctx.draftUnderWay && !e.altKey;
  }

  previews(ctx: ToolContext): boolean {
    return !ctx.draftUnderWay && !ctx.spaceDown;
  }

  onPointerDown(_ctx: ToolContext, e: ToolPointer): void {
    this.press = pressOf(e);
    this.state = 'pointing';
  }

  onPointerMove(_ctx: ToolContext, e: ToolPointer): void {
    if (this.state === 'pointing' && this.press && beyondThreshold(this.press, e.point)) this.state = 'dragging';
  }

  onPointerUp(ctx: ToolContext, e: ToolPointer): void {
    const { state, press } = this;
    this.onPointerCancel();
    if (state !== 'pointing' || !press) return;
    const ip = clickedPixel(ctx, e);
    if (!ip) return;
    if (press.button === 0 && this.picks(ctx, e)) {
      // a click on a mask selects it; clicking again where masks overlap goes through them in turn
      const st = ctx.store.getState();
      const hit = nextAt(ctx.selectable, ip.x, ip.y, st.selectedAnnotationId);
      if (hit) {
        st.selectAnnotation(hit.id);
        return;
      }
    }
    placePoint(ctx, press, ip);
  }

  onPointerCancel(): void {
    this.press = null;
    this.state = 'idle';
  }
}
