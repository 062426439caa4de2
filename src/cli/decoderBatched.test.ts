import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AMG_PARAMS, pointGrid } from '../core/sam/amg.ts';
import { maskFromRle } from '../core/mask/rle.ts';
import { preannotateImage, type PreannotateOptions } from '../core/sam/preannotateImage.ts';
import type { Prompts } from '../core/sam/prompts.ts';
import { batchedDecoder, isBatchedDecoder, NoBatchError } from '../node/decoderBatched.ts';
import { CANDIDATE_OUTPUTS } from '../node/decoderCandidates.ts';
import { readRgbaImage } from '../node/image.ts';
import { nodeManifest, nodePreannotateBackend, NodeSam } from '../node/sam-node.ts';

const SAMPLES = resolve(import.meta.dirname, '../../public/samples');

function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] || b[i]) union++;
    if (a[i] && b[i]) inter++;
  }
  return union === 0 ? 1 : inter / union;
}

describe('the batched decoder rewrite', () => {
  const original = new Uint8Array(readFileSync(nodeManifest().decoderUrl));
  let rewritten: Uint8Array;
  beforeAll(() => {
    rewritten = batchedDecoder(original);
  });

  it('takes a batch of prompts, gives the low-res outputs only and reads no output size', async () => {
    const s = await ort.InferenceSession.create(rewritten);
    expect(s.inputNames).toEqual(['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input']);
    expect(s.outputNames).toEqual(['iou_predictions', 'low_res_masks', CANDIDATE_OUTPUTS.iou, CANDIDATE_OUTPUTS.lowRes]);
    const b = 3;
    const out = await s.run({
      image_embeddings: new ort.Tensor('float32', new Float32Array(256 * 64 * 64), [1, 256, 64, 64]),
      point_coords: new ort.Tensor('float32', new Float32Array(b * 2 * 2), [b, 2, 2]),
      point_labels: new ort.Tensor('float32', new Float32Array(b * 2).fill(1), [b, 2]),
      mask_input: new ort.Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
      has_mask_input: new ort.Tensor('float32', new Float32Array([0]), [1]),
    });
    expect(out['low_res_masks']!.dims).toEqual([b, 1, 256, 256]);
    expect(out['iou_predictions']!.dims).toEqual([b, 1]);
    expect(out[CANDIDATE_OUTPUTS.lowRes]!.dims).toEqual([b, 4, 256, 256]);
    await s.release();
  });

  it('is marked, and refuses a decoder it already batched or a file that is no decoder', () => {
    expect(isBatchedDecoder(rewritten)).toBe(true);
    expect(isBatchedDecoder(original)).toBe(false);
    expect(() => batchedDecoder(rewritten)).toThrow(NoBatchError);
    expect(() => batchedDecoder(new Uint8Array(readFileSync(nodeManifest().encoderUrl)))).toThrow(/expected masks, iou_predictions/);
  });
});

describe('batched decodes on the bundled model equal single-prompt decodes', () => {
  let sam: NodeSam;
  const image = readRgbaImage(resolve(SAMPLES, 'chelsea.png'));
  let embedding: Float32Array;
  beforeAll(async () => {
    sam = await NodeSam.load();
    embedding = await sam.embed(image);
  }, 60_000);

  // real prompts: a grid of single clicks (segment everything), boxes (box pre-annotation), click pairs
  const grid: Prompts[] = pointGrid(6).map((p) => ({
    points: [{ x: p.x * image.width, y: p.y * image.height, positive: true }],
    box: null,
  }));
  const boxes: Prompts[] = [
    { points: [], box: { x0: 60, y0: 20, x1: 420, y1: 300 } },
    { points: [], box: { x0: 0, y0: 0, x1: image.width, y1: image.height } },
    { points: [], box: { x0: 300, y0: 150, x1: 440, y1: 290 } },
    { points: [], box: { x0: 10, y0: 200, x1: 120, y1: 299 } },
  ];
  const pairs: Prompts[] = [
    {
      points: [
        { x: 200, y: 150, positive: true },
        { x: 100, y: 280, positive: false },
      ],
      box: null,
    },
  ];

  it('gives each prompt the low-res logits and IoU its own call gives, whatever the batch holds', async () => {
    const prompts = [...grid, ...boxes, ...pairs];
    sam.pointsPerBatch = 7; // batches of mixed sizes, and point counts grouped apart
    const batched = (await sam.decodeLowResBatch(embedding, image, prompts))!;
    expect(batched).toHaveLength(prompts.length);
    let worst = 0;
    for (const [i, p] of prompts.entries()) {
      const single = await sam.decode(embedding, image, p, 'core');
      expect(batched[i]!.predictedIou).toBeCloseTo(single.score, 4);
      for (let k = 0; k < 65536; k++) worst = Math.max(worst, Math.abs(batched[i]!.lowRes[k]! - single.lowRes[k]!));
    }
    // float sums in another order: measured 7e-5 on logits of magnitude ~10-30
    expect(worst).toBeLessThan(2e-3);
  }, 120_000);

  it('gives box pre-annotation and segment everything the same masks as one call per prompt', async () => {
    const options = (mode: PreannotateOptions['mode']): PreannotateOptions => ({
      mode,
      boxPlan: {},
      amg: { ...DEFAULT_AMG_PARAMS, pointsPerSide: 8 },
      everythingCategoryId: 1,
    });
    const work = {
      width: image.width,
      height: image.height,
      boxes: boxes.map((b, i) => ({
        id: i + 1,
        bbox: [b.box!.x0, b.box!.y0, b.box!.x1 - b.box!.x0, b.box!.y1 - b.box!.y0] as [number, number, number, number],
        categoryId: 1,
      })),
    };
    for (const mode of ['box', 'everything'] as const) {
      sam.pointsPerBatch = 1;
      const one = (await preannotateImage(work, options(mode), nodePreannotateBackend(sam, image)))!;
      sam.pointsPerBatch = 16;
      const many = (await preannotateImage(work, options(mode), nodePreannotateBackend(sam, image)))!;
      expect(many.masks.length).toBe(one.masks.length);
      expect(many.consumed).toEqual(one.consumed);
      if (mode === 'everything') expect(one.masks.length).toBeGreaterThan(3);
      for (const [i, m] of one.masks.entries()) {
        const b = many.masks[i]!;
        expect(b.prompts).toEqual(m.prompts);
        expect(iou(maskFromRle(b.rle), maskFromRle(m.rle))).toBeGreaterThanOrEqual(0.99);
        expect(b.score).toBeCloseTo(m.score, 4);
      }
    }
  }, 300_000);
});
