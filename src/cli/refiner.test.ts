/**
 * The click robot's refiner on a SAM 2 pair (the generated models, closed form): its three candidates
 * ranked, the chosen one shown and fed back.
 */
import { describe, expect, it } from 'vitest';
import { tinySam2Files } from '../node/familyModels.ts';
import { NodeSam } from '../node/sam-node.ts';
import { NodeRefiner } from './refiner.ts';

describe('NodeRefiner on SAM 2', () => {
  it('the click robot’s refiner (npm run eval -- --encoder --decoder) offers SAM 2’s three candidates and feeds the chosen one back', async () => {
    const files = tinySam2Files();
    try {
      const sam = await NodeSam.fromFiles(files.encoder, files.decoder);
      const image = { width: 256, height: 256, data: new Uint8Array(256 * 256 * 4).fill(50) };
      const refiner = new NodeRefiner(sam, image, await sam.embed(image), { feedback: true, zoomIn: null });
      refiner.prompts.points.push({ x: 128, y: 128, positive: true });
      const step = await refiner.decode();
      // best predicted IoU first: radius 16 (0.9), 32 (0.8), 8 (0.7); on a 256 square a candidate of radius r covers ~πr² px
      expect(step.candidates.map((c) => c.token)).toEqual([1, 2, 0]);
      const area = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);
      expect(Math.abs(area(step.mask) - Math.PI * 16 * 16) / (Math.PI * 16 * 16)).toBeLessThan(0.08);
      const chosen = await refiner.choose(2);
      expect(Math.abs(area(chosen) - Math.PI * 32 * 32) / (Math.PI * 32 * 32)).toBeLessThan(0.05);
    } finally {
      files.remove();
    }
  });
});
