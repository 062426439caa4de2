/**
 * Box tool: a left drag draws a box prompt (or, "boxes first", a box waiting for the batch); a click
 * adds a point prompt as the points tool does (so clicks after the box refine the same mask).
 *
 *   idle --down--> pointing --move beyond 4 px--> dragging (left: the dashed box follows the pointer)
 *   pointing --up--> idle (click: add a point)
 *   dragging --up--> idle (left, box at least 1 px each way: setBox / addPendingBox)
 *   any --cancel--> idle (the dashed box goes)
 */
import { clampToImage, screenToImage } from '../../core/geometry.ts';
import { normalizeBox, type BoxPrompt } from '../../core/sam/prompts.ts';
import { beyondThreshold, clickedPixel, placePoint, pressOf, type Press } from './press.ts';
import type { PickedTool, ToolContext, ToolPointer } from './types.ts';

export type BoxState = 'idle' | 'pointing' | 'dragging';

export class BoxTool implements PickedTool {
  state: BoxState = 'idle';
  readonly brushCursor = false;
  private press: Press | null = null;
  /** the box drawn so far (image px, corners as dragged) */
  private draft: BoxPrompt | null = null;

  picks(): boolean {
    return false;
  }

  previews(): boolean {
    return false;
  }

  onPointerDown(_ctx: ToolContext, e: ToolPointer): void {
    this.press = pressOf(e);
    this.draft = null;
    this.state = 'pointing';
  }

  onPointerMove(ctx: ToolContext, e: ToolPointer): void {
    const press = this.press;
    if (!press || !ctx.image) return;
    if (this.state === 'pointing' && beyondThreshold(press, e.point)) this.state = 'dragging';
    if (this.state !== 'dragging' || press.button !== 0) return;
    const a = clampToImage(screenToImage(press.start, ctx.view), ctx.image);
    const b = clampToImage(screenToImage(e.point, ctx.view), ctx.image);
    this.draft = { x0: a.x, y0: a.y, x1: b.x, y1: b.y };
    ctx.setDraftBox(this.draft);
  }

  onPointerUp(ctx: ToolContext, e: ToolPointer): void {
    const { state, press, draft } = this;
    this.reset();
    if (state === 'idle' || !press) return;
    ctx.setDraftBox(null);
    if (state === 'dragging') {
      if (press.button !== 0 || !draft) return;
      const b = normalizeBox(draft);
      if (b.x1 - b.x0 >= 1 && b.y1 - b.y0 >= 1) {
        const st = ctx.store.getState();
        // "boxes first": the box waits for the batch (pre-annotation) instead of prompting SAM now
        if (st.boxesFirst) st.addPendingBox(b);
        else st.setBox(b);
      }
      return;
    }
    const ip = clickedPixel(ctx, e);
    if (ip) placePoint(ctx, press, ip);
  }

  onPointerCancel(ctx: ToolContext): void {
    if (this.draft) ctx.setDraftBox(null);
    this.reset();
  }

  private reset(): void {
    this.press = null;
    this.draft = null;
    this.state = 'idle';
  }
}
