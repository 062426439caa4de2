import type { Prompts } from './prompts.ts';

/**
 * SAM's decoder computes four masks: token 0 is the single-mask output for unambiguous prompts,
 * tokens 1–3 are the multi-mask candidates (whole, part, sub-part) for an ambiguous prompt. The
 * exported decoder picks with `argmax(iou + (N - 2.5) * [1000, 0, 0, 0])`, N = the number of
 * prompt points it is fed (one padding point when there is no box, two corners for a box): one
 * click, or a box alone, picks the best candidate by predicted IoU; more prompts pick token 0.
 */
export const CANDIDATE_TOKENS = [1, 2, 3] as const;

/** Number of points the decoder is fed for these prompts (clicks, box corners or the padding point). */
export function decoderPointCount(p: Prompts): number {
  return p.points.length + (p.box ? 2 : 1);
}

/** Whether SAM treats these prompts as ambiguous and chooses among its three candidates. */
export function promptsAreAmbiguous(p: Prompts): boolean {
  return decoderPointCount(p) < 2.5;
}

/** One candidate mask: its token in the decoder's outputs and its predicted IoU. */
export interface MaskCandidate {
  token: number;
  predictedIou: number;
}

/**
 * The candidates to offer for these prompts, best predicted IoU first (ties: lower token first);
 * none when SAM treats the prompts as unambiguous. `ious`: the four predicted IoUs.
 */
export function rankCandidates(ious: ArrayLike<number>, prompts: Prompts, family: 'sam' | 'sam2' = 'sam'): MaskCandidate[] {
  if (!promptsAreAmbiguous(prompts)) return [];
  // SAM 2's export gives its multi-mask output only: every mask (tokens 0..K-1) is a candidate
  const tokens = family === 'sam2' ? Array.from(ious, (_v, i) => i) : ious.length < 4 ? [] : [...CANDIDATE_TOKENS];
  return tokens
    .map((token) => ({ token, predictedIou: ious[token]! }))
    .sort((a, b) => b.predictedIou - a.predictedIou || a.token - b.token);
}

/** The token the exported decoder itself returns in `masks` for these prompts (its ArgMax). */
export function decoderPick(ious: ArrayLike<number>, prompts: Prompts, family: 'sam' | 'sam2' = 'sam'): number {
  // SAM 2: the candidate of highest predicted IoU, whatever the prompts (as its predictor's users pick)
  if (family === 'sam2') {
    let best = 0;
    for (let t = 1; t < ious.length; t++) if (ious[t]! > ious[best]!) best = t;
    return best;
  }
  const n = decoderPointCount(prompts);
  let best = 0;
  let bestScore = -Infinity;
  for (let t = 0; t < Math.min(4, ious.length); t++) {
    const score = ious[t]! + (t === 0 ? (n - 2.5) * 1000 : 0);
    // ArgMax keeps the first maximum
    if (score > bestScore) {
      bestScore = score;
      best = t;
    }
  }
  return best;
}

/** The slice of a [1, 4, H, W] candidate tensor that holds one token's values. */
export function candidatePlane<T extends Float32Array>(all: T, token: number, planeSize: number): T {
  if (all.length < (token + 1) * planeSize) throw new RangeError(`candidate ${token} is outside a tensor of ${all.length} values`);
  return all.subarray(token * planeSize, (token + 1) * planeSize) as T;
}
