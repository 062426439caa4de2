/**
 * The live mask's display bitmap, kept outside the store (the store holds no pixels). Views
 * subscribe with `useSyncExternalStore`.
 */
export interface LiveOverlay {
  imageId: number;
  generation: number;
  bitmap: ImageBitmap;
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
}

export const overlays = new OverlayRegistry();
