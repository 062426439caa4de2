/**
 * Select tool: a left click selects the mask under the pointer (again: the next one where masks
 * overlap), or clears the selection off every mask.
 *
 *   idle --down--> pointing --move beyond 4 px--> dragging
 *   pointing --up--> idle (left click on the image: select there)
 *   dragging --up--> idle (nothing)        any --cancel--> idle
 */
import { nextAt } from '../../core/mask/hitTest.ts';
import { beyondThreshold, clickedPixel, pressOf, type Press } from './press.ts';
import type { PickedTool, ToolContext, ToolPointer } from './types.ts';

export type SelectState = 'idle' | 'pointing' | 'dragging';

export class SelectTool implements PickedTool {
  state: SelectState = 'idle';
  readonly brushCursor = false;
  private press: Press | null = null;

  picks(): boolean {
    return true;
  }

  previews(): boolean {
    return false;
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
    if (!ip || press.button !== 0) return;
    const st = ctx.store.getState();
    const hit = nextAt(ctx.selectable, ip.x, ip.y, st.selectedAnnotationId);
    st.selectAnnotation(hit?.id ?? null);
  }

  onPointerCancel(): void {
    this.press = null;
    this.state = 'idle';
  }
}
