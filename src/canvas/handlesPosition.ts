import type { ViewTransform } from '../core/geometry.ts';

/**
 * Where the handles go: right of the mask; left of it where the right side has no room; else against the
 * canvas's right edge. Always inside the canvas (`stage`), never under the side panel.
 */
export function handlesPosition(
  bbox: readonly [number, number, number, number],
  view: ViewTransform,
  stage: { width: number; height: number },
  own: { width: number; height: number },
): { left: number; top: number } {
  const [x, y, w] = bbox;
  const M = 4;
  let left = view.x + (x + w) * view.scale + 6;
  if (left + own.width > stage.width - M) {
    const before = view.x + x * view.scale - 6 - own.width;
    left = before >= M ? before : stage.width - M - own.width;
  }
  const top = Math.min(view.y + y * view.scale, stage.height - M - own.height);
  return { left: Math.max(M, left), top: Math.max(M, top) };
}
