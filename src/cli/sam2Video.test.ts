/**
 * `npm run track -- --sam2-video DIR` and `npm run eval:video -- --methods sam2-video` on SAM 2's video graphs as
 * small generated models with the exact layout (src/node/sam2VideoModels.ts): a start mask made of whole cells of
 * the memory's 64 x 64 grid is, in closed form, every later frame's mask.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePng } from '../core/image/png.ts';
import { maskFromRle } from '../core/mask/rle.ts';
import { NodeSam2Video } from '../node/sam2-video-node.ts';
import { tinySam2VideoDir } from '../node/sam2VideoModels.ts';
import { evaluateVideo } from './eval-video.ts';
import { trackFrames } from './track.ts';

const W = 128;
const H = 128;
const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));
const modelDir = () => {
  const d = tinySam2VideoDir();
  dirs.push(d);
  return d.dir;
};
/** frame t as RGB: a gradient that moves (the generated graphs' masks do not depend on it) */
const frameRgb = (t: number) =>
  Uint8Array.from({ length: W * H * 3 }, (_, i) => [(Math.floor(i / 3) + 7 * t) % 256, (3 * Math.floor(i / 3)) % 256, 40 * t][i % 3]!);

describe('npm run track -- --sam2-video, and eval:video --methods sam2-video', () => {
  it('follows a start mask PNG through the frames with the memory: each frame the same rectangle', async () => {
    const root = modelDir();
    const frames = join(root, 'clip', 'frames');
    mkdirSync(frames, { recursive: true });
    for (let t = 0; t < 5; t++) {
      const rgb = frameRgb(t);
      writeFileSync(
        join(frames, `${String(t).padStart(5, '0')}.png`),
        encodePng({ width: W, height: H, channels: 3, bitDepth: 8, data: rgb }),
      );
    }
    // 40 x 40 px at (20, 30): whole cells of the 64 x 64 grid (2 px each)
    const rect = Uint8Array.from({ length: W * H }, (_, i) => (i % W >= 20 && i % W < 60 && i >= 30 * W && i < 70 * W ? 1 : 0));
    const sam2Video = await NodeSam2Video.fromDir(root);
    const { project, flagged } = await trackFrames({
      frames,
      start: { masks: [rect] },
      startFrame: 0,
      direction: 1,
      limit: Infinity,
      category: 'object',
      stopOnFlag: false,
      sam2Video,
    });
    expect(project.name).toBe('clip');
    expect(flagged).toBe(0);
    expect(project.annotations.map((a) => [a.imageId, a.track])).toEqual([
      [1, 'key'],
      [2, 'propagated'],
      [3, 'propagated'],
      [4, 'propagated'],
      [5, 'propagated'],
    ]);
    for (const a of project.annotations) expect(maskFromRle(a.segmentation), `frame ${a.imageId}`).toEqual(rect);

    // npm run eval:video -- --methods sam2-video: the same run scored against a still ground truth
    const masks = join(root, 'clip', 'masks');
    mkdirSync(masks, { recursive: true });
    const gray = Uint8Array.from(rect, (v) => v * 255);
    for (let t = 0; t < 5; t++)
      writeFileSync(
        join(masks, `${String(t).padStart(5, '0')}.png`),
        encodePng({ width: W, height: H, channels: 1, bitDepth: 8, data: gray }),
      );
    const { results } = await evaluateVideo([{ name: 'clip', dir: join(root, 'clip') }], ['sam2-video'], {
      every: 2,
      maxFrames: Infinity,
      feedback: false,
      sam: null,
      sam2Video,
      log: () => {},
    });
    expect(results.get('sam2-video')).toEqual([{ name: 'clip', frames: 5, J: 1, F: 1, JF: 1, flagged: 0 }]);
  });
});
