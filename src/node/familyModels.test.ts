/**
 * The SAM 2 path end to end in onnxruntime-node on small generated models with SAM 2's exact
 * signature (no SAM 2 weights can be downloaded here): the family is told from the files, the
 * preprocessing feeds the encoder, the three encoder outputs feed the decoder with the encoded
 * prompts, and the candidates come back as masks of the image where the closed form says.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { familyOfPair } from '../core/sam/families.ts';
import { sam2DecoderFeeds, sam2EncoderInput, sam2MaskFromLowRes, SAM2_MEAN, SAM2_STD } from '../core/sam/sam2.ts';
import { TINY_ENCODER_WEIGHT, TINY_IOUS, TINY_RADII, tinySam2Files, tinySam2Models } from './familyModels.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_AMG_PARAMS } from '../core/sam/amg.ts';
import { preannotateImage } from '../core/sam/preannotateImage.ts';
import { nodeManifest, nodePreannotateBackend, NodeSam } from './sam-node.ts';

const io = (s: ort.InferenceSession, file: string) => ({ inputNames: s.inputNames, outputNames: s.outputNames, file });
const tensor = (f: { data: Float32Array; dims: number[] }) => new ort.Tensor('float32', f.data, f.dims);

describe('generated SAM 2 models through the SAM 2 path', () => {
  it('are told apart as SAM 2, encode a flat image to the closed-form features, and decode each candidate as the disc around the click', async () => {
    const { encoder, decoder } = tinySam2Models();
    const enc = await ort.InferenceSession.create(encoder);
    const dec = await ort.InferenceSession.create(decoder);
    expect(familyOfPair(io(enc, 'enc.onnx'), io(dec, 'dec.onnx'))).toEqual({ family: 'sam2' });

    // a flat 320 x 200 image: every feature is the 1x1 mix of the normalized colour
    const image = { width: 320, height: 200 };
    const rgba = new Uint8Array(image.width * image.height * 4);
    for (let i = 0; i < image.width * image.height; i++) rgba.set([30, 160, 220, 255], i * 4);
    const out = await enc.run({ image: new ort.Tensor('float32', sam2EncoderInput(rgba, image), [1, 3, 1024, 1024]) });
    expect(out['high_res_feats_0']!.dims).toEqual([1, 32, 256, 256]);
    expect(out['high_res_feats_1']!.dims).toEqual([1, 64, 128, 128]);
    expect(out['image_embed']!.dims).toEqual([1, 256, 64, 64]);
    const norm = [30, 160, 220].map((v, c) => (v / 255 - SAM2_MEAN[c]!) / SAM2_STD[c]!);
    const embed = out['image_embed']!.data as Float32Array;
    for (const o of [0, 5, 255]) {
      const want = norm.reduce((s, v, c) => s + v * TINY_ENCODER_WEIGHT(o, c), 0);
      expect(embed[o * 64 * 64 + 1234]).toBeCloseTo(want, 4);
    }

    // a click: the decoder's discs are centred on the first prompt point
    const click = { x: 100, y: 80 };
    const feeds = sam2DecoderFeeds({ points: [{ ...click, positive: true }], box: null }, image);
    const r = await dec.run({
      image_embed: out['image_embed']!,
      high_res_feats_0: out['high_res_feats_0']!,
      high_res_feats_1: out['high_res_feats_1']!,
      point_coords: tensor(feeds.point_coords),
      point_labels: tensor(feeds.point_labels),
      mask_input: tensor(feeds.mask_input),
      has_mask_input: tensor(feeds.has_mask_input),
    });
    expect([...(r['iou_predictions']!.data as Float32Array)].map((v) => +v.toFixed(3))).toEqual([...TINY_IOUS]);
    const low = r['low_res_masks']!.data as Float32Array;
    TINY_RADII.forEach((radius, k) => {
      const { mask, area } = sam2MaskFromLowRes(low, k, image);
      // an ellipse in image px: the square's low-res radius scaled back per axis
      const a = (radius / 256) * image.width;
      const b = (radius / 256) * image.height;
      expect(Math.abs(area - Math.PI * a * b) / (Math.PI * a * b), `candidate ${k}`).toBeLessThan(0.08);
      let sx = 0;
      let sy = 0;
      for (let y = 0; y < image.height; y++)
        for (let x = 0; x < image.width; x++) {
          if (!mask[y * image.width + x]) continue;
          sx += x + 0.5;
          sy += y + 0.5;
        }
      expect(Math.abs(sx / area - click.x)).toBeLessThan(1);
      expect(Math.abs(sy / area - click.y)).toBeLessThan(1);
    });
  });

  it('refuse to pair with the bundled SAM 1 decoder, naming both files and families', async () => {
    const { encoder } = tinySam2Models();
    const enc = await ort.InferenceSession.create(encoder);
    const bundled = await ort.InferenceSession.create(nodeManifest().decoderUrl);
    const r = familyOfPair(io(enc, 'tiny-sam2.encoder.onnx'), io(bundled, 'sam.onnx'));
    expect(r).toMatchObject({
      error: expect.stringMatching(/tiny-sam2.encoder.onnx is a SAM 2 .* encoder but sam.onnx is a SAM 1 style .* decoder/),
    });
  });

  it('run as local files in NodeSam (the CLI’s --encoder/--decoder/--family): a box becomes the best candidate around its first corner; wrong files are named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiny-sam2-'));
    try {
      const { encoder, decoder } = tinySam2Models();
      const enc = join(dir, 'tiny.encoder.onnx');
      const dec = join(dir, 'tiny.decoder.onnx');
      writeFileSync(enc, encoder);
      writeFileSync(dec, decoder);
      const sam = await NodeSam.fromFiles(enc, dec);
      expect(sam.family).toBe('sam2');
      const image = { width: 300, height: 180, data: new Uint8Array(300 * 180 * 4).fill(128) };
      const r = await preannotateImage(
        { width: 300, height: 180, boxes: [{ id: 1, bbox: [60, 40, 100, 80], categoryId: 3 }] },
        { mode: 'box', boxPlan: {}, amg: DEFAULT_AMG_PARAMS, everythingCategoryId: 0 },
        nodePreannotateBackend(sam, image),
      );
      const m = r!.masks[0]!;
      // the highest predicted IoU is candidate 1 (radius 16 low-res px), centred on the box's first corner (60, 40)
      expect(m.score).toBeCloseTo(TINY_IOUS[1], 5);
      const a = (TINY_RADII[1] / 256) * 300;
      const b = (TINY_RADII[1] / 256) * 180;
      expect(Math.abs(m.area - Math.PI * a * b) / (Math.PI * a * b)).toBeLessThan(0.08);
      expect(m.bbox[0] + m.bbox[2] / 2).toBeCloseTo(60, 0);
      expect(m.bbox[1] + m.bbox[3] / 2).toBeCloseTo(40, 0);
      expect(m.categoryId).toBe(3);

      await expect(NodeSam.fromFiles(enc, dec, { family: 'sam' })).rejects.toThrow(
        /are a SAM 2 \/ 2.1 image predictor pair, not SAM 1 style/,
      );
      await expect(NodeSam.fromFiles(enc, nodeManifest().decoderUrl)).rejects.toThrow(
        /tiny.encoder.onnx is a SAM 2 .* encoder but .*sam.onnx is a SAM 1 style/,
      );
      const cut = join(dir, 'cut.onnx');
      writeFileSync(cut, decoder.subarray(0, Math.floor(decoder.length / 2)));
      await expect(NodeSam.fromFiles(enc, cut)).rejects.toThrow(/cut.onnx could not be loaded as an ONNX model/);
      const notOnnx = join(dir, 'notes.onnx');
      writeFileSync(notOnnx, 'hello');
      await expect(NodeSam.fromFiles(notOnnx, dec)).rejects.toThrow(/notes.onnx could not be loaded/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('samexporter’s layout (low-res logits as `masks`, no `low_res_masks`) is a SAM 2 decoder too and gives the same candidates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiny-sam2-'));
    try {
      const { encoder, decoder } = tinySam2Models();
      const exporter = tinySam2Models('samexporter').decoder;
      const dec = await ort.InferenceSession.create(exporter);
      expect(dec.outputNames).toEqual(['masks', 'iou_predictions']);
      writeFileSync(join(dir, 'e.onnx'), encoder);
      writeFileSync(join(dir, 'd.onnx'), decoder);
      writeFileSync(join(dir, 'x.onnx'), exporter);
      const a = await NodeSam.fromFiles(join(dir, 'e.onnx'), join(dir, 'd.onnx'));
      const b = await NodeSam.fromFiles(join(dir, 'e.onnx'), join(dir, 'x.onnx'));
      expect(b.family).toBe('sam2');
      const image = { width: 200, height: 120, data: new Uint8Array(200 * 120 * 4).fill(90) };
      const prompts = { points: [{ x: 70, y: 50, positive: true }], box: null };
      const ra = await a.decode(await a.embed(image), image, prompts);
      const rb = await b.decode(await b.embed(image), image, prompts);
      expect(rb.score).toBeCloseTo(TINY_IOUS[1], 5);
      expect(rb.mask).toEqual(ra.mask);
      expect([...rb.candidates!.ious]).toEqual([...ra.candidates!.ious]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('segment everything on SAM 2: each grid point’s best candidate is the ellipse around it, mapped through the square model space', async () => {
    const files = tinySam2Files();
    try {
      const sam = await NodeSam.fromFiles(files.encoder, files.decoder);
      const W = 320;
      const H = 200;
      const image = { width: W, height: H, data: new Uint8Array(W * H * 4).fill(100) };
      const r = await preannotateImage(
        { width: W, height: H },
        { mode: 'everything', boxPlan: {}, amg: { ...DEFAULT_AMG_PARAMS, pointsPerSide: 4 }, everythingCategoryId: 7 },
        nodePreannotateBackend(sam, image),
      );
      // 4 x 4 grid points (SAM's grid: cell centres); the ellipses (semi-axes 16/256 of each side) do not overlap
      const masks = r!.masks;
      expect(masks).toHaveLength(16);
      const centres = masks.map((m) => [m.bbox[0] + m.bbox[2] / 2, m.bbox[1] + m.bbox[3] / 2] as const);
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) {
          const [gx, gy] = [((i + 0.5) / 4) * W, ((j + 0.5) / 4) * H];
          const k = centres.findIndex(([x, y]) => Math.abs(x - gx) < 1.5 && Math.abs(y - gy) < 1.5);
          expect(k, `grid point ${gx},${gy}`).toBeGreaterThanOrEqual(0);
          const m = masks[k]!;
          expect(Math.abs(m.bbox[2] - (2 * 16 * W) / 256)).toBeLessThan(3);
          expect(Math.abs(m.bbox[3] - (2 * 16 * H) / 256)).toBeLessThan(3);
          expect(m.score).toBeCloseTo(TINY_IOUS[1], 5);
          expect(m.categoryId).toBe(7);
        }
    } finally {
      files.remove();
    }
  });
});
