/**
 * The interactive part of `npm run eval:video`: after propagation, a robot corrects the worst frame
 * with clicks (the RITM robot's clicks, src/core/eval/clicker.ts, on top of the prompts propagation
 * would give that frame), makes it a keyframe, propagates again from it up to the next keyframe, and
 * repeats: the clicks per 100 frames until every frame has J >= 0.85 (and >= 0.9), and J&F after 1, 2
 * and 5 corrections.
 */
import { groundTruthFromGray, nextRobotClick } from '../core/eval/clicker.ts';
import { maskIou } from '../core/mask/iou.ts';
import type { Prompts } from '../core/sam/prompts.ts';
import { boundaryF } from '../core/video/metrics.ts';
import { promptsFromMask } from '../core/video/propagate.ts';
import type { NodeSam } from '../node/sam-node.ts';

export interface RobotResult {
  /** clicks per 100 frames until every frame after the first has J >= 0.85 / 0.9 (null: not within the budget) */
  clicksPer100Frames85: number | null;
  clicksPer100Frames90: number | null;
  /** mean J&F after 1, 2 and 5 corrections (the last reached when fewer were needed) */
  JFAfterCorrections: { 1: number; 2: number; 5: number };
  corrections: number;
}

export async function correctionRobot(args: {
  sam: NodeSam;
  size: { width: number; height: number };
  truth: readonly Uint8Array[];
  /** the propagated masks, frame 0 the given one */
  propagated: readonly Uint8Array[];
  embedding(t: number): Promise<Float32Array>;
  /** one propagation step: frame t's mask from frame t - 1's */
  step(prev: Uint8Array, t: number): Promise<Uint8Array>;
  maxCorrections?: number;
  /** clicks a frame takes at most (5) */
  clicksPerFrame?: number;
}): Promise<RobotResult> {
  const { sam, size, truth } = args;
  const { width, height } = size;
  const n = truth.length;
  const pred: Uint8Array[] = args.propagated.map((m) => Uint8Array.from(m));
  /** clicks given on each frame so far (a frame takes at most `clicksPerFrame`) */
  const spent = new Map<number, number>();
  const perFrame = args.clicksPerFrame ?? 5;
  const keyframes = new Set([0]);
  const gts = truth.map((m) =>
    groundTruthFromGray(
      Uint8Array.from(m, (v) => (v ? 255 : 0)),
      width,
      height,
    ),
  );
  const J = () => pred.map((m, t) => maskIou(m, truth[t]!));
  const meanJF = () => {
    let s = 0;
    for (let t = 1; t < n; t++) s += (maskIou(pred[t]!, truth[t]!) + boundaryF(pred[t]!, truth[t]!, width, height).F) / 2;
    return s / Math.max(1, n - 1);
  };
  const after: Partial<Record<1 | 2 | 5, number>> = {};
  let clicks = 0;
  let corrections = 0;
  let to85: number | null = null;
  let to90: number | null = null;
  const maxCorrections = args.maxCorrections ?? 30;
  for (;;) {
    const js = J();
    const rest = js.slice(1);
    if (to85 === null && rest.every((j) => j >= 0.85)) to85 = clicks;
    if (rest.every((j) => j >= 0.9)) {
      to90 = clicks;
      break;
    }
    if (corrections >= maxCorrections) break;
    // the worst frame that still takes clicks (a keyframe too: a person clicks again where it is still wrong)
    let w = -1;
    for (let t = 1; t < n; t++) if ((spent.get(t) ?? 0) < perFrame && (w < 0 || js[t]! < js[w]!)) w = t;
    if (w < 0) break;
    const emb = await args.embedding(w);
    const prompts: Prompts = promptsFromMask(pred[w - 1]!, width, height) ?? { points: [], box: null };
    const clicked = new Set<number>();
    let best = pred[w]!;
    let bestJ = js[w]!;
    let lowRes: Float32Array | null = null;
    // clicks on the frame's error, each with the last mask fed back (SAM's refinement), until it is right;
    // the person keeps the best mask they saw
    while ((spent.get(w) ?? 0) < perFrame && bestJ < 0.9) {
      const click = nextRobotClick(best, gts[w]!, clicked);
      if (!click) break;
      clicked.add(click.y * width + click.x);
      prompts.points.push({ x: click.x + 0.5, y: click.y + 0.5, positive: click.positive });
      clicks++;
      spent.set(w, (spent.get(w) ?? 0) + 1);
      const r = await sam.decode(emb, size, prompts, 'core', lowRes);
      lowRes = r.lowRes;
      const j = maskIou(r.mask, truth[w]!);
      if (j > bestJ) {
        best = r.mask;
        bestJ = j;
      }
    }
    pred[w] = best;
    keyframes.add(w);
    corrections++;
    // again from the corrected frame, up to the next keyframe (a person's frame is never overwritten)
    for (let t = w + 1; t < n && !keyframes.has(t); t++) pred[t] = await args.step(pred[t - 1]!, t);
    if (corrections === 1 || corrections === 2 || corrections === 5) after[corrections] = meanJF();
  }
  const last = meanJF();
  return {
    clicksPer100Frames85: to85 === null ? null : (to85 * 100) / n,
    clicksPer100Frames90: to90 === null ? null : (to90 * 100) / n,
    JFAfterCorrections: { 1: after[1] ?? last, 2: after[2] ?? after[1] ?? last, 5: after[5] ?? last },
    corrections,
  };
}
