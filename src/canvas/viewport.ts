import { createContext, useContext } from 'react';
import { imageToScreen, type Point, type ViewTransform } from '../core/geometry.ts';

/**
 * The stage's current view and element, readable outside React (the toolbar's zoom, automation).
 * One per app (main.tsx makes it and provides it); the stage keeps it up to date.
 */
export class Viewport {
  private view: ViewTransform = { scale: 1, x: 0, y: 0 };
  private element: HTMLElement | null = null;
  private zoomTo: (kind: 'fit' | 'actual') => void = () => undefined;

  /** The stage's element, its view, and how it zooms (set by the stage). */
  attach(element: HTMLElement | null): void {
    this.element = element;
  }

  setView(view: ViewTransform): void {
    this.view = view;
  }

  setZoom(zoomTo: (kind: 'fit' | 'actual') => void): void {
    this.zoomTo = zoomTo;
  }

  /** Fit the image to the window, or 100 %. */
  zoom(kind: 'fit' | 'actual'): void {
    this.zoomTo(kind);
  }

  /** Page client coordinates of an image pixel at the current zoom and pan. */
  imageToClient(p: Point): Point {
    const s = imageToScreen(p, this.view);
    const r = this.element?.getBoundingClientRect();
    return { x: s.x + (r?.left ?? 0), y: s.y + (r?.top ?? 0) };
  }
}

export const ViewportContext = createContext<Viewport | null>(null);

export function useViewport(): Viewport {
  const v = useContext(ViewportContext);
  if (!v) throw new Error('useViewport() outside <ViewportContext.Provider> (see main.tsx)');
  return v;
}
