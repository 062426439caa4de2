/**
 * Mask propagation with a single-image SAM (the bundled model and any SAM-1-style pair): the previous
 * frame's mask gives the next frame's prompts (its box with a margin, the point deepest inside it and,
 * where the box holds much background, the background point farthest from the object), SAM's candidate
 * most consistent with the previous mask is taken, and a frame where the object is lost or changes
 * abruptly is flagged. Pure: the decoder runs elsewhere (the browser's workers, the CLI).
 */
import { distanceTransform } from '../eval/edt.ts';
import { maskIou } from '../mask/iou.ts';
import type { Prompts } from '../sam/prompts.ts';

export interface PropagationOptions {
  /** the box grows by this share of its size on each side (at least `minMargin` px), for the object's motion */
  margin: number;
  minMargin: number;
  /**
   * a background point is added when one lies at least this share of the box's diagonal from the object (a
   * solid shape's margin corners never are: they lie within the margin)
   */
  negativeAt: number;
  /**
   * 'motion': where the mask before is known, each axis is padded by `motionScale` times the object's last
   * motion on it (the larger move of its two edges, at least `minMargin`) instead of a share of its size: a
   * still object's box stays tight (a size margin lets the mask grow into the box a little each frame, and the
   * box with it: a ratchet), a fast one's grows with its speed. 'size': the share of its size always.
   */
  marginBy: 'size' | 'motion';
  motionScale: number;
}

export const DEFAULT_PROPAGATION: PropagationOptions = { margin: 0.1, minMargin: 4, negativeAt: 0.25, marginBy: 'size', motionScale: 1.5 };

export type MaskBox = { x0: number; y0: number; x1: number; y1: number };

/** The object's bounding box in px (x0, y0 inclusive; x1, y1 exclusive), or null when the mask is empty. */
export function maskBox(mask: ArrayLike<number>, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (mask[y * width + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** The next frame's prompts from this frame's mask (null: the object is gone, nothing to follow). */
export function promptsFromMask(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  options: PropagationOptions = DEFAULT_PROPAGATION,
  /** the object's box on the frame before this mask's (for `marginBy: 'motion'`), or null */
  before: MaskBox | null = null,
): Prompts | null {
  const b = maskBox(mask, width, height);
  if (!b) return null;
  const byMotion = options.marginBy === 'motion' && before !== null;
  const mx = byMotion
    ? Math.max(options.minMargin, options.motionScale * Math.max(Math.abs(b.x0 - before.x0), Math.abs(b.x1 - before.x1)))
    : Math.max(options.minMargin, (b.x1 - b.x0) * options.margin);
  const my = byMotion
    ? Math.max(options.minMargin, options.motionScale * Math.max(Math.abs(b.y0 - before.y0), Math.abs(b.y1 - before.y1)))
    : Math.max(options.minMargin, (b.y1 - b.y0) * options.margin);
  const box = {
    x0: Math.max(0, b.x0 - mx),
    y0: Math.max(0, b.y0 - my),
    x1: Math.min(width, b.x1 + mx),
    y1: Math.min(height, b.y1 + my),
  };
  // the pixel deepest inside the object: a positive point that stays on it however it turns (of equals, the
  // one nearest the box's centre)
  const inside = distanceTransform(mask, width, height, true);
  const cx = (b.x0 + b.x1) / 2;
  const cy = (b.y0 + b.y1) / 2;
  let best = -1;
  let bestOff = Infinity;
  let at = 0;
  for (let i = 0; i < inside.length; i++) {
    const d = inside[i]!;
    if (d < best - 1e-9) continue;
    const off = ((i % width) + 0.5 - cx) ** 2 + (Math.floor(i / width) + 0.5 - cy) ** 2;
    if (d > best + 1e-9 || off < bestOff) {
      best = d;
      bestOff = off;
      at = i;
    }
  }
  const points = [{ x: (at % width) + 0.5, y: Math.floor(at / width) + 0.5, positive: true }];
  // the background inside the box farthest from the object, when it is far: says what not to take
  const off = new Uint8Array(width * height);
  for (let i = 0; i < off.length; i++) off[i] = mask[i] ? 0 : 1;
  const outside = distanceTransform(off, width, height, false);
  let far = 0;
  let farAt = -1;
  for (let y = Math.floor(box.y0); y < Math.ceil(box.y1); y++)
    for (let x = Math.floor(box.x0); x < Math.ceil(box.x1); x++) {
      const d = outside[y * width + x]!;
      if (d > far) {
        far = d;
        farAt = y * width + x;
      }
    }
  if (farAt >= 0 && far >= options.negativeAt * Math.hypot(box.x1 - box.x0, box.y1 - box.y0))
    points.push({ x: (farAt % width) + 0.5, y: Math.floor(farAt / width) + 0.5, positive: false });
  return { points, box };
}

/** Of SAM's candidates, the one that overlaps the previous mask most (the object moves little between frames); ties: the higher score. */
export function mostConsistent(candidates: readonly { mask: ArrayLike<number>; score: number }[], previous: ArrayLike<number>): number {
  let best = -1;
  let bestIou = -1;
  for (let i = 0; i < candidates.length; i++) {
    const iou = maskIou(candidates[i]!.mask, previous);
    if (iou > bestIou + 1e-9 || (Math.abs(iou - bestIou) <= 1e-9 && candidates[i]!.score > candidates[best]!.score)) {
      best = i;
      bestIou = iou;
    }
  }
  return best;
}

export type FrameFlag = 'lost' | 'abrupt' | 'uncertain';

export interface FlagThresholds {
  /** IoU with the previous frame's mask below this: an abrupt change */
  minIou: number;
  /** area ratio to the previous frame's outside [1 / maxAreaRatio, maxAreaRatio]: an abrupt change */
  maxAreaRatio: number;
  /** the decoder's own predicted IoU below this: uncertain */
  minScore: number;
}

export const DEFAULT_FLAGS: FlagThresholds = { minIou: 0.3, maxAreaRatio: 2.5, minScore: 0.5 };

/** Why a propagated frame needs a person's look (null: it follows on well). */
export function frameFlag(
  previous: ArrayLike<number>,
  next: ArrayLike<number>,
  score: number,
  t: FlagThresholds = DEFAULT_FLAGS,
): FrameFlag | null {
  let a = 0;
  let b = 0;
  for (let i = 0; i < next.length; i++) {
    if (previous[i]) a++;
    if (next[i]) b++;
  }
  if (b === 0) return 'lost';
  if (a > 0 && (b / a > t.maxAreaRatio || a / b > t.maxAreaRatio || maskIou(previous, next) < t.minIou)) return 'abrupt';
  if (score < t.minScore) return 'uncertain';
  return null;
}
