/**
 * Brush and eraser: a left drag paints a stroke onto the mask (or out of it). The worker gets the
 * stroke's first point at once, then one piece per animation frame however many pointer events
 * arrive, then the rest and the whole stroke at the end. Another button clicks as the points tool
 * does without picking masks (right: a background point).
 *
 *   idle --left down--> stroking (beginStroke, strokeProgress of the first point)
 *   stroking --move--> stroking (point added; a piece sent on the next frame)
 *   stroking --up--> idle (the rest sent, endStroke)
 *   stroking --cancel--> idle (the rest sent, endStroke: what the worker painted is kept, with its undo step)
 *   idle --other down--> pointing --move beyond 4 px--> dragging
 *   pointing --up--> idle (click: add a point)     dragging --up / cancel--> idle
 */
import { screenToImage } from '../../core/geometry.ts';
import type { Stroke } from '../../core/mask/brush.ts';
import { beyondThreshold, clickedPixel, placePoint, pressOf, type Press } from './press.ts';
import type { PickedTool, ToolContext, ToolPointer, ToolStore } from './types.ts';

export type StrokeState = 'idle' | 'stroking' | 'pointing' | 'dragging';

interface Painting {
  stroke: Stroke;
  /** points since the last piece sent */
  pending: number[];
  /** the last point sent: the next piece starts there */
  lastSent: number[];
  /** cancels the frame that sends the next piece */
  frame: (() => void) | null;
}

export class StrokeTool implements PickedTool {
  state: StrokeState = 'idle';
  readonly brushCursor = true;
  private press: Press | null = null;
  private painting: Painting | null = null;

  constructor(readonly mode: Stroke['mode']) {}

  picks(): boolean {
    return false;
  }

  previews(): boolean {
    return false;
  }

  onPointerDown(ctx: ToolContext, e: ToolPointer): void {
    if (e.button !== 0) {
      this.press = pressOf(e);
      this.state = 'pointing';
      return;
    }
    const ip = screenToImage(e.point, ctx.view);
    const st = ctx.store.getState();
    st.beginStroke();
    const stroke: Stroke = { mode: this.mode, radius: st.brushRadius, points: [ip.x, ip.y] };
    this.painting = { stroke, pending: [], lastSent: [ip.x, ip.y], frame: null };
    this.state = 'stroking';
    st.strokeProgress({ ...stroke, points: [ip.x, ip.y] });
    ctx.setDraftStroke([...stroke.points]);
  }

  onPointerMove(ctx: ToolContext, e: ToolPointer): void {
    if (this.state === 'pointing' && this.press && beyondThreshold(this.press, e.point)) this.state = 'dragging';
    const p = this.painting;
    if (this.state !== 'stroking' || !p) return;
    const ip = screenToImage(e.point, ctx.view);
    p.stroke.points.push(ip.x, ip.y);
    p.pending.push(ip.x, ip.y);
    // one worker update per frame, however many pointer events arrive
    const store = ctx.store;
    p.frame ??= ctx.clock.nextFrame(() => this.flush(store, p));
    ctx.setDraftStroke([...p.stroke.points]);
  }

  onPointerUp(ctx: ToolContext, e: ToolPointer): void {
    const { state, press } = this;
    if (state === 'stroking') {
      this.finish(ctx);
      return;
    }
    this.reset();
    if (state !== 'pointing' || !press) return;
    const ip = clickedPixel(ctx, e);
    if (ip) placePoint(ctx, press, ip);
  }

  onPointerCancel(ctx: ToolContext): void {
    if (this.state === 'stroking') this.finish(ctx);
    else this.reset();
  }

  /** Sends the points gathered since the last frame to the worker as one piece of the stroke. */
  private flush(store: ToolStore, p: Painting): void {
    p.frame = null;
    if (p.pending.length === 0) return;
    const piece: Stroke = { mode: p.stroke.mode, radius: p.stroke.radius, points: [...p.lastSent, ...p.pending] };
    p.lastSent = p.pending.slice(-2);
    p.pending = [];
    store.getState().strokeProgress(piece);
  }

  private finish(ctx: ToolContext): void {
    const p = this.painting;
    this.reset();
    if (p) {
      p.frame?.();
      p.frame = null;
      this.flush(ctx.store, p);
      ctx.store.getState().endStroke(p.stroke);
    }
    ctx.setDraftStroke(null);
  }

  private reset(): void {
    this.press = null;
    this.painting = null;
    this.state = 'idle';
  }
}
