/** A press (button down) that becomes a click or a drag, and what a click with a point prompt does. */
import { screenToImage, type Point } from '../../core/geometry.ts';
import { DRAG_THRESHOLD_PX, type ToolContext, type ToolPointer } from './types.ts';

/** a click this close (screen px) to the previewed point takes the preview */
export const HOVER_SNAP_PX = 4;

export interface Press {
  /** stage px */
  start: Point;
  button: number;
  shift: boolean;
}

export function pressOf(e: ToolPointer): Press {
  return { start: e.point, button: e.button, shift: e.shiftKey };
}

/** The pointer went further than the drag threshold from where it was pressed. */
export function beyondThreshold(press: Press, p: Point): boolean {
  return Math.hypot(p.x - press.start.x, p.y - press.start.y) > DRAG_THRESHOLD_PX;
}

/** Where a click lands in image px, or null off the image. */
export function clickedPixel(ctx: ToolContext, e: ToolPointer): Point | null {
  const image = ctx.image;
  if (!image) return null;
  const ip = screenToImage(e.point, ctx.view);
  return ip.x < 0 || ip.y < 0 || ip.x >= image.width || ip.y >= image.height ? null : ip;
}

/**
 * A click that adds a point prompt: left = foreground (Shift: background), right = background. A left
 * click where the hover preview was decoded (within a few screen px) is that point: its mask shows at once.
 */
export function placePoint(ctx: ToolContext, press: Press, ip: Point): void {
  const st = ctx.store.getState();
  const h = st.hoverPoint;
  if (press.button === 0 && !press.shift && h && Math.hypot(h.x - ip.x, h.y - ip.y) * ctx.view.scale <= HOVER_SNAP_PX)
    st.addPoint(h.x, h.y, true);
  else if (press.button === 0) st.addPoint(ip.x, ip.y, !press.shift);
  else if (press.button === 2) st.addPoint(ip.x, ip.y, false);
}
