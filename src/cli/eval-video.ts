/**
 * `npm run eval:video -- --dataset DIR [options]`: semi-supervised video object segmentation on
 * sequences laid out as DAVIS (`<sequence>/frames/*.jpg`, `<sequence>/masks/*.png`, 0 = background,
 * 255 = object): from the first frame's ground-truth mask through every frame, J, F and J&F per
 * sequence and their mean (frames after the first), for each method, as the DAVIS benchmark measures
 * them (src/core/video/metrics.ts):
 *
 * - `propagate`: the bundled model (or `--encoder/--decoder`) prompted on each frame by the previous
 *   mask (src/core/video/propagate.ts: its box with a margin, the point deepest inside, a background
 *   point where the box holds much background), the candidate most consistent with the previous mask
 *   (`--feedback on` adds the previous frame's low-res logits as `mask_input`); flagged frames counted;
 * - `naive`: the previous mask's box alone, the model's own pick (the reference the issue names);
 * - `copy`: the first mask on every frame (the floor);
 * - `interpolate`: keyframes every `--every` frames from the ground truth, the frames between by
 *   interpolation (what "every k-th frame" costs), no model;
 * - `sam2-video`: SAM 2's memory (`--sam2-video DIR`: the video graphs, src/node/sam2-video-node.ts), the first
 *   mask a conditioning frame, every later frame from the memory bank alone.
 *
 * After propagation a correction robot (src/cli/videoRobot.ts) fixes the worst frame with clicks and
 * propagates again, until every frame has J >= 0.9 (`--interactive off` skips it). Every frame is
 * encoded once and shared by the model methods. `--json FILE` writes `{config, sequences, mean,
 * interactive: {clicksPer100Frames85, clicksPer100Frames90, JFAfterCorrections: {1, 2, 5}}, methods:
 * {NAME: {sequences: [{name, frames, J, F, JF, flagged}], mean: {J, F, JF}}}}` (sequences and mean: the
 * propagation's).
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { boundaryF, regionJ } from '../core/video/metrics.ts';
import { interpolateBetween } from '../core/video/interpolate.ts';
import { DEFAULT_PROPAGATION, maskBox } from '../core/video/propagate.ts';
import { nodeTrackStep } from '../node/track-node.ts';
import { readMaskPng, readRgbaImage } from '../node/image.ts';
import { NodeSam } from '../node/sam-node.ts';
import { NodeSam2Video } from '../node/sam2-video-node.ts';
import { correctionRobot, type RobotResult } from './videoRobot.ts';

export const METHODS = ['propagate', 'naive', 'copy', 'interpolate', 'sam2-video'] as const;
export type Method = (typeof METHODS)[number];

const USAGE = `usage: npm run eval:video -- --dataset DIR [--dataset DIR ...] [--methods ${METHODS.join(',')}]
  [--every 5 (interpolate: keyframes every k frames)] [--frames N (at most N frames per sequence)]
  [--sequences a,b] [--feedback on|off] [--margin 0.1|motion] [--interactive on|off] [--encoder E.onnx --decoder D.onnx] [--sam2-video DIR] [--threads N] [--json out.json]
A dataset holds sequences: <sequence>/frames/*.jpg and <sequence>/masks/*.png (0 = background, 255 = object).`;

function usage(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

export interface SequenceResult {
  name: string;
  frames: number;
  J: number;
  F: number;
  JF: number;
  /** frames the propagation flagged (lost, abrupt, uncertain) */
  flagged: number;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * Every method on every sequence: the predicted masks scored against the ground truth, per sequence,
 * with the encoder's time per frame (each frame is encoded once for all model methods).
 */
export async function evaluateVideo(
  sequences: readonly { name: string; dir: string }[],
  methods: readonly Method[],
  options: {
    every: number;
    maxFrames: number;
    feedback: boolean;
    /** propagation's box margin: a share of the box's size on each side, or 'motion' (see PropagationOptions; default DEFAULT_PROPAGATION's) */
    margin?: number | 'motion';
    sam: NodeSam | null;
    /** SAM 2's video graphs, for the `sam2-video` method */
    sam2Video?: NodeSam2Video | null;
    log: (line: string) => void;
    /** after propagation, the correction robot (clicks per 100 frames) */
    interactive?: boolean;
  },
): Promise<{ results: Map<Method, SequenceResult[]>; perFrameMs: number[]; robots: RobotResult[] }> {
  const robots: RobotResult[] = [];
  const results = new Map<Method, SequenceResult[]>(methods.map((m) => [m, []]));
  const perFrameMs: number[] = [];
  for (const seq of sequences) {
    const names = readdirSync(join(seq.dir, 'frames'))
      .filter((f) => /\.(jpe?g|png)$/i.test(f))
      .sort()
      .slice(0, options.maxFrames);
    const truth = names.map((f) => readMaskPng(join(seq.dir, 'masks', f.replace(/\.\w+$/, '.png'))));
    const { width, height } = truth[0]!;
    const size = { width, height };
    const score = (pred: Uint8Array[], flagged: number): SequenceResult => {
      const J: number[] = [];
      const F: number[] = [];
      for (let t = 1; t < names.length; t++) {
        J.push(regionJ(pred[t]!, truth[t]!.mask));
        F.push(boundaryF(pred[t]!, truth[t]!.mask, width, height).F);
      }
      const j = mean(J);
      const f = mean(F);
      return { name: seq.name, frames: names.length, J: j, F: f, JF: (j + f) / 2, flagged };
    };
    /** One propagation step: frame t's mask (on its embedding) from the previous frame's, and whether it is flagged. */
    const propagation = {
      ...DEFAULT_PROPAGATION,
      ...(options.margin === 'motion'
        ? { marginBy: 'motion' as const }
        : options.margin !== undefined
          ? { margin: options.margin, marginBy: 'size' as const }
          : {}),
    };
    const step = async (prev: Uint8Array, emb: Float32Array, maskInput: Float32Array | null, before: Uint8Array | null = null) =>
      nodeTrackStep(options.sam!, emb, size, prev, maskInput, propagation, before ? maskBox(before, width, height) : null);
    // each frame encoded once, for every model method
    const embeddings: Float32Array[] = [];
    const embedding = async (t: number) => {
      if (!embeddings[t]) {
        const t0 = performance.now();
        embeddings[t] = await options.sam!.embed(readRgbaImage(join(seq.dir, 'frames', names[t]!)));
        perFrameMs.push(performance.now() - t0);
      }
      return embeddings[t]!;
    };
    for (const method of methods) {
      const pred: Uint8Array[] = [truth[0]!.mask];
      let flagged = 0;
      if (method === 'copy') for (let t = 1; t < names.length; t++) pred.push(truth[0]!.mask);
      else if (method === 'sam2-video') {
        const video = options.sam2Video!;
        const frame = (t: number) => video.encodeFrame(readRgbaImage(join(seq.dir, 'frames', names[t]!)));
        const track = NodeSam2Video.track(names.length);
        await video.addMask(track, 0, await frame(0), truth[0]!.mask);
        for (let t = 1; t < names.length; t++) {
          const r = await video.propagate(track, t, await frame(t));
          if (r.flag) flagged++;
          pred.push(r.mask);
        }
      } else if (method === 'interpolate') {
        for (let k = 0; k < names.length - 1; k += options.every) {
          const end = Math.min(names.length - 1, k + options.every);
          pred.push(...interpolateBetween(truth[k]!.mask, truth[end]!.mask, width, height, end - k), truth[end]!.mask);
        }
      } else {
        let lowRes: Float32Array | null = null;
        for (let t = 1; t < names.length; t++) {
          const prev = pred[t - 1]!;
          const emb = await embedding(t);
          if (method === 'naive') {
            const b = maskBox(prev, width, height);
            if (!b) {
              pred.push(new Uint8Array(width * height));
              continue;
            }
            pred.push((await options.sam!.decode(emb, size, { points: [], box: b }, 'core')).mask);
            continue;
          }
          const r = await step(prev, emb, options.feedback ? lowRes : null, t >= 2 ? pred[t - 2]! : null);
          if (r.flag) flagged++;
          pred.push(r.mask);
          lowRes = r.lowRes;
        }
      }
      const r = score(pred, flagged);
      results.get(method)!.push(r);
      if (method === 'propagate' && options.interactive) {
        const robot = await correctionRobot({
          sam: options.sam!,
          size,
          truth: truth.map((x) => x.mask),
          propagated: pred,
          embedding,
          step: async (prev, t) => (await step(prev, await embedding(t), null)).mask,
        });
        robots.push(robot);
        options.log(
          `${'  robot'.padEnd(12)} ${seq.name.padEnd(14)} corrections ${robot.corrections}  clicks/100 frames to J>=0.85 ${robot.clicksPer100Frames85?.toFixed(1) ?? '-'}, to 0.9 ${robot.clicksPer100Frames90?.toFixed(1) ?? '-'}  J&F after 1/2/5: ${[1, 2, 5].map((k) => robot.JFAfterCorrections[k as 1 | 2 | 5].toFixed(3)).join(' / ')}\n`,
        );
      }
      options.log(
        `${method.padEnd(12)} ${seq.name.padEnd(14)} frames ${String(r.frames).padStart(4)}  J ${r.J.toFixed(3)}  F ${r.F.toFixed(3)}  J&F ${r.JF.toFixed(3)}${method === 'propagate' || method === 'sam2-video' ? `  flagged ${r.flagged}` : ''}\n`,
      );
    }
  }
  return { results, perFrameMs, robots };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string', multiple: true },
      methods: { type: 'string', default: METHODS.join(',') },
      every: { type: 'string', default: '5' },
      frames: { type: 'string' },
      sequences: { type: 'string' },
      // off: the previous frame's logits as mask_input mislead the next frame (J&F 0.82 against 0.92 on the
      // dev sequences' first 20 frames); on, to measure it
      feedback: { type: 'string', default: 'off' },
      margin: { type: 'string' },
      interactive: { type: 'string', default: 'on' },
      encoder: { type: 'string' },
      decoder: { type: 'string' },
      threads: { type: 'string' },
      'sam2-video': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.dataset?.length) usage('Give a dataset folder with --dataset.');
  const methods = values.methods.split(',').map((m) => m.trim()) as Method[];
  const bad = methods.find((m) => !METHODS.includes(m));
  if (bad) usage(`Unknown method "${bad}": the methods are ${METHODS.join(', ')}.`);
  const every = Number(values.every);
  if (!Number.isInteger(every) || every < 2) usage('--every is a whole number of frames, 2 or more.');
  const maxFrames = values.frames ? Number(values.frames) : Infinity;
  const only = values.sequences ? new Set(values.sequences.split(',')) : null;
  const feedback = values.feedback !== 'off';

  const sequences: { name: string; dir: string }[] = [];
  for (const root of values.dataset) {
    if (!existsSync(root)) usage(`There is no folder ${root}.`);
    for (const name of readdirSync(root).sort())
      if (existsSync(join(root, name, 'frames')) && existsSync(join(root, name, 'masks')) && (!only || only.has(name)))
        sequences.push({ name, dir: join(root, name) });
  }
  if (!sequences.length) usage(`No sequence (a folder with frames/ and masks/) in ${values.dataset.join(', ')}.`);

  const usesModel = methods.some((m) => m === 'propagate' || m === 'naive');
  const threads = values.threads ? { threads: Number(values.threads) } : {};
  const sam = !usesModel
    ? null
    : values.encoder && values.decoder
      ? await NodeSam.fromFiles(values.encoder, values.decoder, { family: 'auto', ...threads })
      : await NodeSam.load(undefined, { candidates: true, ...threads });

  if (methods.includes('sam2-video') && !values['sam2-video'])
    usage("The sam2-video method needs --sam2-video DIR (SAM 2's video graphs).");
  const sam2Video =
    values['sam2-video'] && methods.includes('sam2-video') ? await NodeSam2Video.fromDir(values['sam2-video'], threads) : null;
  const interactive = values.interactive !== 'off' && methods.includes('propagate');
  const { results, perFrameMs, robots } = await evaluateVideo(sequences, methods, {
    every,
    maxFrames,
    feedback,
    ...(values.margin !== undefined ? { margin: values.margin === 'motion' ? ('motion' as const) : Number(values.margin) } : {}),
    sam,
    sam2Video,
    interactive,
    log: (l) => process.stdout.write(l),
  });
  const out: Record<string, { sequences: SequenceResult[]; mean: { J: number; F: number; JF: number } }> = {};
  process.stdout.write('\nmethod        mean J  mean F  mean J&F\n');
  for (const [method, rs] of results) {
    const m = { J: mean(rs.map((r) => r.J)), F: mean(rs.map((r) => r.F)), JF: mean(rs.map((r) => r.JF)) };
    out[method] = { sequences: rs, mean: m };
    process.stdout.write(`${method.padEnd(12)}  ${m.J.toFixed(3)}   ${m.F.toFixed(3)}   ${m.JF.toFixed(3)}\n`);
  }
  if (perFrameMs.length) {
    const sorted = [...perFrameMs].sort((a, b) => a - b);
    process.stdout.write(
      `\nencoder per frame (Node): median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms over ${sorted.length} frames\n`,
    );
  }
  const meanOf = (f: (r: RobotResult) => number | null) => {
    const xs = robots.map(f);
    return xs.some((x) => x === null) ? null : mean(xs as number[]);
  };
  const robot = robots.length
    ? {
        clicksPer100Frames85: meanOf((r) => r.clicksPer100Frames85),
        clicksPer100Frames90: meanOf((r) => r.clicksPer100Frames90),
        JFAfterCorrections: {
          1: mean(robots.map((r) => r.JFAfterCorrections[1])),
          2: mean(robots.map((r) => r.JFAfterCorrections[2])),
          5: mean(robots.map((r) => r.JFAfterCorrections[5])),
        },
      }
    : null;
  if (robot)
    process.stdout.write(
      `\ncorrection robot (propagate): clicks per 100 frames to J>=0.85 ${robot.clicksPer100Frames85?.toFixed(1) ?? '-'}, to 0.9 ${robot.clicksPer100Frames90?.toFixed(1) ?? '-'}; J&F after 1/2/5 corrections ${[1, 2, 5].map((k) => robot.JFAfterCorrections[k as 1 | 2 | 5].toFixed(3)).join(' / ')}\n`,
    );
  if (values.json) {
    const config = { methods, every, feedback, frames: Number.isFinite(maxFrames) ? maxFrames : null, model: sam?.modelId ?? null };
    const propagate = out['propagate'];
    writeFileSync(
      values.json,
      JSON.stringify(
        { config, sequences: propagate?.sequences ?? [], mean: propagate?.mean ?? null, interactive: robot, methods: out },
        null,
        2,
      ),
    );
  }
}

// run as a command (not when a test imports it)
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url)
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
