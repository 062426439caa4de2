import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { samDecoderFeeds, type Prompts } from '../core/sam/prompts.ts';
import { resizeLongestSideShape } from '../core/geometry.ts';
import { modelLogitsFromLowRes } from '../core/sam/postprocess.ts';
import { nodeManifest, NodeSam } from '../node/sam-node.ts';
import { readRgbaImage } from '../node/image.ts';
import { addCandidateOutputs, CANDIDATE_OUTPUTS, NoCandidatesError } from '../node/decoderCandidates.ts';

const SAMPLES = resolve(import.meta.dirname, '../../public/samples');

describe('the decoder rewrite that exposes all mask candidates', () => {
  const original = new Uint8Array(readFileSync(nodeManifest().decoderUrl));
  let rewritten: Uint8Array;
  let embedding: Float32Array;
  const image = readRgbaImage(resolve(SAMPLES, 'chelsea.png'));

  beforeAll(async () => {
    rewritten = addCandidateOutputs(original).model;
    embedding = await (await NodeSam.load()).embed(image);
  }, 60_000);

  const sessions = new Map<Uint8Array, Promise<ort.InferenceSession>>();
  /** bitwise equality of two float arrays */
  const same = (a: unknown, b: unknown) =>
    Buffer.compare(
      Buffer.from((a as Float32Array).buffer, (a as Float32Array).byteOffset, (a as Float32Array).byteLength),
      Buffer.from((b as Float32Array).buffer, (b as Float32Array).byteOffset, (b as Float32Array).byteLength),
    ) === 0;

  async function run(model: Uint8Array, prompts: Prompts, maskInput: Float32Array | null = null) {
    if (!sessions.has(model)) sessions.set(model, ort.InferenceSession.create(model));
    const session = await sessions.get(model)!;
    const feeds: Record<string, ort.Tensor> = { image_embeddings: new ort.Tensor('float32', embedding, [1, 256, 64, 64]) };
    for (const [k, v] of Object.entries(samDecoderFeeds(prompts, image, { maskInput })))
      feeds[k] = new ort.Tensor('float32', v.data, v.dims);
    const out = await session.run(feeds);
    return { session, out };
  }

  it('adds the three outputs with the shapes SAM computes', async () => {
    const { session, out } = await run(rewritten, { points: [{ x: 200, y: 150, positive: true }], box: null });
    expect(session.outputNames).toEqual(['masks', 'iou_predictions', 'low_res_masks', CANDIDATE_OUTPUTS.iou, CANDIDATE_OUTPUTS.lowRes]);
    const m = resizeLongestSideShape(image, 1024);
    expect(out[CANDIDATE_OUTPUTS.lowRes]!.dims).toEqual([1, 4, 256, 256]);
    expect(out[CANDIDATE_OUTPUTS.iou]!.dims).toEqual([1, 4]);
    expect(out['masks']!.dims).toEqual([1, 1, m.height, m.width]);
  });

  it('leaves the default outputs bit-identical, and they are the candidate the ArgMax picks', async () => {
    const prompts: Prompts[] = [
      { points: [{ x: 200, y: 150, positive: true }], box: null },
      { points: [{ x: 350, y: 250, positive: true }], box: null },
      { points: [], box: { x0: 60, y0: 20, x1: 420, y1: 300 } },
      {
        points: [
          { x: 200, y: 150, positive: true },
          { x: 100, y: 280, positive: false },
        ],
        box: null,
      },
    ];
    for (const p of prompts) {
      const a = (await run(original, p)).out;
      const b = (await run(rewritten, p)).out;
      for (const k of ['masks', 'iou_predictions', 'low_res_masks']) expect(same(b[k]!.data, a[k]!.data)).toBe(true);
      // the graph's choice: the best predicted IoU among candidates 1..3 for one point or a box alone,
      // the single-mask token 0 once there are more prompts
      const ious = Array.from(b[CANDIDATE_OUTPUTS.iou]!.data as Float32Array);
      const n = (b['low_res_masks']!.dims[2] ?? 0) * (b['low_res_masks']!.dims[3] ?? 0);
      const multi = p.points.length + (p.box ? 2 : 1) < 2.5;
      const pick = multi ? 1 + ious.slice(1).indexOf(Math.max(...ious.slice(1))) : 0;
      expect((b['iou_predictions']!.data as Float32Array)[0]).toBe(ious[pick]);
      const all = b[CANDIDATE_OUTPUTS.lowRes]!.data as Float32Array;
      expect(same(all.subarray(pick * n, (pick + 1) * n), b['low_res_masks']!.data)).toBe(true);
      // a candidate resized in core as the app does is the model's own full-size mask
      const m = resizeLongestSideShape(image, 1024);
      const mine = modelLogitsFromLowRes(all.subarray(pick * n, (pick + 1) * n), m);
      const theirs = b['masks']!.data as Float32Array;
      let maxDiff = 0;
      let flips = 0;
      for (let i = 0; i < mine.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(mine[i]! - theirs[i]!));
        if (mine[i]! > 0 !== theirs[i]! > 0) flips++;
      }
      expect(maxDiff).toBeLessThan(1e-3);
      expect(flips).toBeLessThanOrEqual(2);
    }
  });

  it('refuses a decoder that has no mask selection, and one already rewritten', () => {
    expect(() => addCandidateOutputs(rewritten)).toThrow(NoCandidatesError);
    expect(() => addCandidateOutputs(readFileSync(nodeManifest().encoderUrl))).toThrow(/no output "masks"/);
  });
});
