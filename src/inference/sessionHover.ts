/**
 * The hover preview of the mask session: the mask a click at the resting pointer would give, asked
 * of the engine only while nothing is drafted on the shown image. The newest request wins.
 */
import type { OverlayRegistry } from './overlays.ts';
import type { SessionEngine } from './sessionTypes.ts';

export class HoverPreview {
  private shown: { imageId: number; point: { x: number; y: number } } | null = null;
  private asked = 0;

  constructor(
    private readonly engine: Pick<SessionEngine, 'hover' | 'cancelHover'>,
    private readonly overlays: OverlayRegistry,
    /** the draft's image, whether a mask is under way, the colour to draw in, and the session's emit */
    private readonly session: { imageId(): number | null; underWay(): boolean; color(): string; emit(): void },
  ) {}

  /** Where the preview shown was decoded (image px), or null. */
  point(): { x: number; y: number } | null {
    return this.shown?.point ?? null;
  }

  /** The pointer rests at `point` (null: it moved on or left the image). */
  at(point: { x: number; y: number } | null): void {
    const imageId = this.session.imageId();
    const ask = ++this.asked;
    if (point === null || imageId === null || this.session.underWay()) {
      this.engine.cancelHover();
      this.clear();
      return;
    }
    this.engine.hover(imageId, point, this.session.color()).then(
      (r) => {
        if (!r) return;
        // a newer request, a prompt, or another image came meanwhile
        if (ask !== this.asked || this.session.underWay() || r.imageId !== this.session.imageId()) return r.overlay?.close();
        this.shown = { imageId: r.imageId, point: r.point };
        this.overlays.setHover({ imageId: r.imageId, point: r.point, bitmap: r.overlay });
        this.session.emit();
      },
      () => undefined,
    );
  }

  private clear(): void {
    if (!this.shown) return;
    this.shown = null;
    this.overlays.setHover(null);
    this.session.emit();
  }

  /** A prompt was given: any request under way is dropped and the preview goes (the caller emits). */
  drop(): void {
    this.asked++;
    this.engine.cancelHover();
    this.forget();
  }

  /** The preview goes (the live mask is cleared; the caller emits). */
  forget(): void {
    this.shown = null;
    this.overlays.setHover(null);
  }
}
