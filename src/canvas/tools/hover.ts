/**
 * Hovering with no button down: the mask a click would select is highlighted, and with the points
 * tool the pointer resting on the photo previews the mask a click there would give.
 */
import { screenToImage, type Point } from '../../core/geometry.ts';
import { masksAt } from '../../core/mask/hitTest.ts';
import { HOVER_SNAP_PX } from './press.ts';
import type { PickedTool, ToolContext, ToolPointer } from './types.ts';

/** the pointer rests this long before the mask under it is previewed */
export const HOVER_REST_MS = 80;

export class Hover {
  /** the mask under the pointer a click would select */
  hovered: number | null = null;
  private cancelRest: (() => void) | null = null;

  /** The pointer rested at `ip` (image px): preview the mask a click would give; null: no preview coming. */
  restAt(ctx: ToolContext, ip: Point | null): void {
    this.cancelRest?.();
    this.cancelRest = null;
    if (!ip) return;
    const store = ctx.store;
    this.cancelRest = ctx.clock.after(HOVER_REST_MS, () => {
      this.cancelRest = null;
      store.getState().hoverAt(ip);
    });
  }

  /** The pointer moved over the image with no gesture under way. */
  move(ctx: ToolContext, tool: PickedTool, e: ToolPointer): void {
    const image = ctx.image;
    if (!image) return;
    const ip = screenToImage(e.point, ctx.view);
    const hit = tool.picks(ctx, e) ? (masksAt(ctx.selectable, ip.x, ip.y)[0]?.id ?? null) : null;
    this.setHovered(ctx, hit);
    // hover preview: points tool, nothing drafted, on the photo and not on a mask a click would select
    const inside = ip.x >= 0 && ip.y >= 0 && ip.x < image.width && ip.y < image.height;
    const previewable = tool.previews(ctx) && inside && hit === null;
    const st = ctx.store.getState();
    const shown = st.hoverPoint;
    if (shown && Math.hypot(shown.x - ip.x, shown.y - ip.y) * ctx.view.scale > HOVER_SNAP_PX) st.hoverAt(null);
    this.restAt(ctx, previewable ? { x: ip.x, y: ip.y } : null);
    if (!previewable && shown) st.hoverAt(null);
  }

  /** The pointer left the stage. */
  leave(ctx: ToolContext): void {
    this.hovered = null;
    ctx.setHovered(null);
    this.restAt(ctx, null);
    const st = ctx.store.getState();
    if (st.hoverPoint) st.hoverAt(null);
  }

  private setHovered(ctx: ToolContext, id: number | null): void {
    if (id === this.hovered) return;
    this.hovered = id;
    ctx.setHovered(id);
  }
}
