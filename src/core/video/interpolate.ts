/**
 * Masks between two keyframes without a model: each keyframe's signed distance field (negative
 * inside, positive outside, in px, to the boundary between object and background) blended linearly
 * across the frames between, and the blend's negative part taken. For a static camera and for the
 * frames an "every k-th frame" pass skipped.
 */
import { distanceTransform } from '../eval/edt.ts';

/** The mask's signed distance field: -d inside (d to the nearest background pixel), +d outside (to the nearest object pixel). */
export function signedDistance(mask: ArrayLike<number>, width: number, height: number): Float32Array {
  const n = width * height;
  const off = new Uint8Array(n);
  let any = false;
  let all = true;
  for (let i = 0; i < n; i++) {
    off[i] = mask[i] ? 0 : 1;
    if (mask[i]) any = true;
    else all = false;
  }
  const out = new Float32Array(n);
  // no object: everything is far outside; all object: everything far inside
  if (!any) return out.fill(width + height);
  if (all) return out.fill(-(width + height));
  const inside = distanceTransform(mask, width, height, false);
  const outside = distanceTransform(off, width, height, false);
  // half a pixel either side: the boundary lies between an object pixel and a background one
  for (let i = 0; i < n; i++) out[i] = mask[i] ? -(inside[i]! - 0.5) : outside[i]! - 0.5;
  return out;
}

/**
 * The mask at `t` (0: `a`, 1: `b`) between keyframe masks `a` and `b` of one size. Precomputed fields
 * (`signedDistance`) may be passed instead of masks when many frames lie between.
 */
export function interpolateMask(
  a: ArrayLike<number> | Float32Array,
  b: ArrayLike<number> | Float32Array,
  width: number,
  height: number,
  t: number,
  fields?: { a: Float32Array; b: Float32Array },
): Uint8Array {
  const fa = fields?.a ?? signedDistance(a, width, height);
  const fb = fields?.b ?? signedDistance(b, width, height);
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = (1 - t) * fa[i]! + t * fb[i]! < 0 ? 1 : 0;
  return out;
}

/** Every frame strictly between two keyframes `gap` frames apart (gap - 1 masks, in order). */
export function interpolateBetween(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, gap: number): Uint8Array[] {
  const fields = { a: signedDistance(a, width, height), b: signedDistance(b, width, height) };
  const out: Uint8Array[] = [];
  for (let k = 1; k < gap; k++) out.push(interpolateMask(a, b, width, height, k / gap, fields));
  return out;
}
