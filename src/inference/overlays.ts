/**
 * The live mask's display bitmap, kept outside the store (the store holds no pixels). Views
 * subscribe with `useSyncExternalStore`.
 */
export interface LiveOverlay {
  imageId: number;
  generation: number;
  /** a bitmap from the worker, or the canvas patches are drawn into */
  bitmap: ImageBitmap | OffscreenCanvas;
  /** the worker's edit view it shows, if any (patches of that view apply over it) */
  view?: number | undefined;
  /** bumped by each patch (the layer draws again) */
  version?: number;
}

/** The hover preview: the mask a click at `point` (image px) would give, drawn light. */
export interface HoverOverlay {
  imageId: number;
  point: { x: number; y: number };
  bitmap: ImageBitmap | null;
}

/** Previews of SAM's candidates for the shown mask: each the mask over `box` (image px) at a small size. */
export interface CandidatePreviews {
  imageId: number;
  bitmaps: ImageBitmap[];
  box: [number, number, number, number];
}

type Listener = () => void;

function release(b: ImageBitmap | OffscreenCanvas): void {
  if ('close' in b && typeof b.close === 'function') b.close();
}

/** One per app (the composition root makes it; the mask session draws into it, the views read it). */
export class OverlayRegistry {
  private live: LiveOverlay | null = null;
  private readonly listeners = new Set<Listener>();
  private version = 0;

  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getVersion = (): number => this.version;

  private emit(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  getLive(): LiveOverlay | null {
    return this.live;
  }

  setLive(o: LiveOverlay | null): void {
    if (this.live && this.live.bitmap !== o?.bitmap) release(this.live.bitmap);
    this.live = o;
    this.emit();
  }

  /**
   * Draws a stroke piece's patch over the live overlay of the same edit view; false (and nothing
   * drawn) when the overlay shown is not that view's, so the caller asks for the whole overlay.
   */
  patchLive(imageId: number, generation: number, patch: { bitmap: ImageBitmap; x: number; y: number; view: number }): boolean {
    const l = this.live;
    if (!l || l.imageId !== imageId || l.view !== patch.view) {
      patch.bitmap.close();
      return false;
    }
    let canvas = l.bitmap;
    if (!(typeof OffscreenCanvas !== 'undefined' && canvas instanceof OffscreenCanvas)) {
      // the first patch: the worker's bitmap becomes a canvas the next patches draw into
      const c = new OffscreenCanvas(canvas.width, canvas.height);
      c.getContext('2d')!.drawImage(canvas, 0, 0);
      release(canvas);
      canvas = c;
    }
    const ctx = canvas.getContext('2d')!;
    ctx.clearRect(patch.x, patch.y, patch.bitmap.width, patch.bitmap.height);
    ctx.drawImage(patch.bitmap, patch.x, patch.y);
    patch.bitmap.close();
    this.live = { imageId, generation, bitmap: canvas, view: patch.view, version: (l.version ?? 0) + 1 };
    this.emit();
    return true;
  }

  private hover: HoverOverlay | null = null;

  getHover(): HoverOverlay | null {
    return this.hover;
  }

  setHover(h: HoverOverlay | null): void {
    if (!h && !this.hover) return;
    if (this.hover?.bitmap && this.hover.bitmap !== h?.bitmap) this.hover.bitmap.close();
    this.hover = h;
    this.emit();
  }

  private candidates: CandidatePreviews | null = null;

  getCandidates(): CandidatePreviews | null {
    return this.candidates;
  }

  setCandidates(c: CandidatePreviews | null): void {
    if (!c && !this.candidates) return;
    for (const b of this.candidates?.bitmaps ?? []) if (!c?.bitmaps.includes(b)) b.close();
    this.candidates = c;
    this.emit();
  }
}
