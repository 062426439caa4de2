/**
 * Video propagation's step in Node (the `track` CLI, `eval:video`, the server's workers): the same
 * math as the browser's decoder worker (workers/decoder/batch.ts `track`): the previous mask's prompts,
 * SAM's candidates each from its low-res logits, the one most consistent with the previous mask, and
 * the frame's flag.
 */
import type { Prompts } from '../core/sam/prompts.ts';
import {
  DEFAULT_PROPAGATION,
  frameFlag,
  mostConsistent,
  promptsFromMask,
  type FrameFlag,
  type MaskBox,
  type PropagationOptions,
} from '../core/video/propagate.ts';
import type { NodeSam } from './sam-node.ts';

export interface NodeTrackStep {
  mask: Uint8Array;
  lowRes: Float32Array | null;
  score: number;
  flag: FrameFlag | null;
  prompts: Prompts;
}

/** One frame's mask following the previous frame's (`maskInput`: the previous low-res logits as `mask_input`, or null). */
export async function nodeTrackStep(
  sam: NodeSam,
  embedding: Float32Array,
  size: { width: number; height: number },
  previous: Uint8Array,
  maskInput: Float32Array | null = null,
  options: PropagationOptions = DEFAULT_PROPAGATION,
  /** the mask's box on the frame before `previous`'s (for `marginBy: 'motion'`), or null */
  before: MaskBox | null = null,
): Promise<NodeTrackStep> {
  const prompts = promptsFromMask(previous, size.width, size.height, options, before);
  if (!prompts)
    return { mask: new Uint8Array(size.width * size.height), lowRes: null, score: 0, flag: 'lost', prompts: { points: [], box: null } };
  const r = await sam.decode(embedding, size, prompts, 'core', maskInput);
  let mask = r.mask;
  let lowRes: Float32Array | null = r.lowRes;
  let score = r.score;
  if (r.candidates) {
    const cands = [...r.candidates.ious].map((s, token) => ({ ...sam.candidateMask(r.candidates!, token, size), score: s }));
    const i = mostConsistent(cands, previous);
    mask = cands[i]!.mask;
    lowRes = cands[i]!.lowRes;
    score = cands[i]!.score;
  }
  return { mask, lowRes, score, flag: frameFlag(previous, mask, score), prompts };
}
