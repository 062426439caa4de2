import { imageToScreen, type Point, type ViewTransform } from '../core/geometry.ts';

/** The stage's current view and element, readable outside React (automation, tests). */
export const viewport: { view: ViewTransform; element: HTMLElement | null; zoom: (kind: 'fit' | 'actual') => void } = {
  view: { scale: 1, x: 0, y: 0 },
  element: null,
  // set by the stage
  zoom: () => undefined,
};

/** Page client coordinates of an image pixel at the current zoom and pan. */
export function imageToClient(p: Point): Point {
  const s = imageToScreen(p, viewport.view);
  const r = viewport.element?.getBoundingClientRect();
  return { x: s.x + (r?.left ?? 0), y: s.y + (r?.top ?? 0) };
}
