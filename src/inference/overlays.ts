/**
 * The live mask's display bitmap, kept outside the store (the store holds no pixels). Views
 * subscribe with `useSyncExternalStore`.
 */
export interface LiveOverlay {
  imageId: number;
  generation: number;
  bitmap: ImageBitmap;
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

class OverlayRegistry {
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
    if (this.live && this.live.bitmap !== o?.bitmap) this.live.bitmap.close();
    this.live = o;
    this.emit();
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

export const overlays = new OverlayRegistry();
