import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskIou } from '../core/mask/iou.ts';
import { maskAreaAndBbox } from '../core/sam/postprocess.ts';
import { readRgbaImage } from './image.ts';
import { NodeSam } from './sam-node.ts';

const SAMPLES = resolve(import.meta.dirname, '../../public/samples');

describe('SAM in Node on the bundled model', () => {
  it('the app resize path (model-space logits + core upscale) equals the model upscaling to the image size', async () => {
    const sam = await NodeSam.load();
    const image = readRgbaImage(resolve(SAMPLES, 'coffee.png'));
    const emb = await sam.embed(image);
    for (const prompts of [
      { points: [{ x: 300, y: 200, positive: true }], box: null },
      { points: [], box: { x0: 90, y0: 30, x1: 470, y1: 360 } },
      { points: [{ x: 300, y: 100, positive: false }], box: { x0: 90, y0: 30, x1: 470, y1: 360 } },
    ]) {
      const ref = await sam.decode(emb, image, prompts, 'model');
      const app = await sam.decode(emb, image, prompts, 'core');
      const area = maskAreaAndBbox(ref.mask, image.width, image.height).area;
      expect(area).toBeGreaterThan(1000);
      expect(app.score).toBe(ref.score);
      expect(maskIou(app.mask, ref.mask)).toBeGreaterThan(0.999);
    }
  });
});
