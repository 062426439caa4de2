/**
 * Zoom-in refinement for the mask session: after the first click(s), clicks are decoded on an
 * encoded crop around the object. The crop (`zoom` in the draft) is encoded in the background; until
 * it is ready the whole image is used, so a click never waits.
 */
import type { Prompts } from '../core/sam/prompts.ts';
import type { PixelRect } from '../core/sam/roi.ts';
import { cropCoversPrompts, zoomInCrop } from '../core/sam/zoomIn.ts';
import type { DraftBuffer } from './sessionDraft.ts';
import type { SessionContext, SessionEngine } from './sessionTypes.ts';

/** Clicks so far, a box counting as one. */
export function interactions(p: Prompts): number {
  return p.points.length + (p.box ? 1 : 0);
}

const sameRect = (a: PixelRect | null, b: PixelRect | null) =>
  a === b || (!!a && !!b && a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1);

export class ZoomCrops {
  constructor(
    private readonly engine: Pick<SessionEngine, 'cropReady' | 'prepareCrop'>,
    private readonly ctx: Pick<SessionContext, 'zoomIn' | 'image'>,
    private readonly d: DraftBuffer,
    /** the session's emit and error report */
    private readonly session: { emit(): void; failed(e: unknown): void },
  ) {}

  /**
   * The zoom-in crop to decode these prompts on: the object's crop once its embedding is ready and
   * it holds every positive click. A positive click outside it asks for a new crop (around the mask
   * shown and the clicks); until a crop is ready the whole image is used, so a click never waits.
   */
  cropFor(imageId: number, prompts: Prompts): PixelRect | null {
    const z = this.ctx.zoomIn();
    const zoom = this.d.zoom;
    if (!z || interactions(prompts) <= z.afterClicks || zoom?.imageId !== imageId) return null;
    if (cropCoversPrompts(zoom.roi, prompts)) return this.engine.cropReady(imageId, zoom.roi) ? zoom.roi : null;
    const size = this.ctx.image(imageId);
    const live = this.d.live;
    const roi = size ? zoomInCrop(live && live.area > 0 ? live.bbox : null, prompts, size, z) : null;
    this.start(imageId, roi);
    return null;
  }

  /** After the first mask(s) of an object: the crop around it to encode for the next clicks, if zoom-in is on. */
  afterMask(imageId: number, prompts: Prompts, bbox: [number, number, number, number], area: number): (() => void) | null {
    const z = this.ctx.zoomIn();
    const size = this.ctx.image(imageId);
    if (!z || !size || interactions(prompts) !== z.afterClicks || area <= 0) return null;
    return () => this.start(imageId, zoomInCrop(bbox, prompts, size, z));
  }

  /** Starts encoding the object's zoom-in crop in the background (or forgets it: `roi` null). */
  start(imageId: number, roi: PixelRect | null): void {
    if (!roi) {
      this.d.zoom = null;
      return;
    }
    const zoom = this.d.zoom;
    if (zoom && zoom.imageId === imageId && sameRect(zoom.roi, roi)) return;
    const ready = this.engine.cropReady(imageId, roi);
    this.d.zoom = { imageId, roi, ready };
    if (ready) return;
    this.engine.prepareCrop(imageId, roi).then(
      (ok) => {
        const now = this.d.zoom;
        if (!ok || now?.imageId !== imageId || !sameRect(now.roi, roi)) return;
        this.d.zoom = { ...now, ready: true };
        this.session.emit();
      },
      (e: unknown) => this.session.failed(e),
    );
  }
}
