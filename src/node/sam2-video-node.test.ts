/**
 * SAM 2's memory path end to end in onnxruntime-node on small generated graphs with the exact names and
 * shapes of pagarcia/sam2-onnx-cpp's layout (src/node/sam2VideoModels.ts): the graphs are told apart by
 * their names, the bank feeds the memory attention, and every frame's mask is the closed form's.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sam2MaskFromLowRes } from '../core/sam/sam2.ts';
import type { RgbaImage } from './image.ts';
import { NodeSam2Video } from './sam2-video-node.ts';
import { tinySam2VideoDir, VIDEO_DISC_GAIN, VIDEO_RADIUS } from './sam2VideoModels.ts';

const W = 128;
const H = 128;
const FRAMES = 9;
/** frame t: a gradient that moves (the generated graphs' masks do not depend on it) */
const frame = (t: number): RgbaImage => {
  const data = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) data.set([(i + 7 * t) % 256, (3 * i) % 256, 40 * t, 255], i * 4);
  return { width: W, height: H, data };
};

/** the decoder's prompt term for a click, in low-res px: gain·(r² − d²) */
function discPlane(click: { x: number; y: number }): Float32Array {
  const cx = (click.x / W) * 256;
  const cy = (click.y / H) * 256;
  return Float32Array.from({ length: 256 * 256 }, (_, k) => {
    const d2 = ((k % 256) + 0.5 - cx) ** 2 + (Math.floor(k / 256) + 0.5 - cy) ** 2;
    return VIDEO_DISC_GAIN * (VIDEO_RADIUS * VIDEO_RADIUS - d2);
  });
}

/** each 64x64 cell's value in the memory: the mean of sigmoid(logit)·20 − 10 over its 4x4 low-res px */
function cellValues(plane: Float32Array): Float64Array {
  const cells = new Float64Array(64 * 64);
  for (let k = 0; k < 256 * 256; k++) {
    const c = Math.floor(Math.floor(k / 256) / 4) * 64 + Math.floor((k % 256) / 4);
    cells[c]! += (20 / (1 + Math.exp(-plane[k]!)) - 10) / 16;
  }
  return cells;
}

const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));
const modelDir = (o: Parameters<typeof tinySam2VideoDir>[0] = {}) => {
  const d = tinySam2VideoDir(o);
  dirs.push(d);
  return d.dir;
};

describe("SAM 2's memory path on generated graphs", () => {
  it('follows the clicked disc through frames without prompts, from the memory alone, as the closed form says', async () => {
    const video = await NodeSam2Video.fromDir(modelDir());
    expect(video.layout).toMatchObject({ objPtrOffsets: false, objectScore: false });
    const track = NodeSam2Video.track(FRAMES);
    const click = { x: 45.8, y: 61.45 };
    const first = await video.addPrompts(track, 0, await video.encodeFrame(frame(0)), {
      points: [{ ...click, positive: true }],
      box: null,
    });
    const disc = discPlane(click);
    for (let k = 0; k < disc.length; k += 997)
      expect(Math.abs(first.lowRes[k]! - disc[k]!)).toBeLessThan(1e-5 * Math.max(100, Math.abs(disc[k]!)));
    expect(first.mask).toEqual(sam2MaskFromLowRes(disc, 0, { width: W, height: H }).mask);
    expect(first.memoryFrames).toEqual([]);

    // later frames: the cells (2x2 image px) where the stored masks agree the disc covers most of the cell
    const cells = cellValues(disc);
    expect(Math.min(...[...cells].map(Math.abs))).toBeGreaterThan(0.1);
    const want = Uint8Array.from({ length: W * H }, (_, i) =>
      cells[Math.floor(Math.floor(i / W) / 2) * 64 + Math.floor((i % W) / 2)]! > 0 ? 1 : 0,
    );
    const area = want.reduce((a, b) => a + b, 0);
    expect(Math.abs(area - Math.PI * (VIDEO_RADIUS / 2) ** 2) / area).toBeLessThan(0.1);
    for (let t = 1; t < FRAMES; t++) {
      const r = await video.propagate(track, t, await video.encodeFrame(frame(t)));
      expect(r.mask, `frame ${t}`).toEqual(want);
      expect(r.flag).toBeNull();
      // the conditioning frame and up to 6 frames before; pointers from it and every frame before
      expect(r.memoryFrames).toEqual([0, ...Array.from({ length: t - Math.max(1, t - 6) }, (_, i) => Math.max(1, t - 6) + i)]);
      expect(r.pointerFrames).toEqual([0, ...Array.from({ length: t - 1 }, (_, i) => t - 1 - i)]);
    }
  });

  it('finds nothing on a frame with neither a prompt nor a memory: an empty mask, lost', async () => {
    const video = await NodeSam2Video.fromDir(modelDir());
    const r = await video.propagate(NodeSam2Video.track(3), 0, await video.encodeFrame(frame(0)));
    expect(r.mask.some((v) => v !== 0)).toBe(false);
    expect(r.flag).toBe('lost');
  });

  it('runs the memory_attention_objptr variant and a decoder with object_score_logits to the same masks', async () => {
    const video = await NodeSam2Video.fromDir(modelDir({ objPtrOffsets: true, objectScore: true }));
    expect(video.layout).toMatchObject({ objPtrOffsets: true, objectScore: true });
    expect(video.layout.memoryAttention.endsWith('memory_attention_objptr.onnx')).toBe(true);
    const plain = await NodeSam2Video.fromDir(modelDir());
    const a = NodeSam2Video.track(4);
    const b = NodeSam2Video.track(4);
    const prompts = { points: [{ x: 70, y: 40, positive: true }], box: null };
    await video.addPrompts(a, 0, await video.encodeFrame(frame(0)), prompts);
    await plain.addPrompts(b, 0, await plain.encodeFrame(frame(0)), prompts);
    for (let t = 1; t < 4; t++) {
      const ra = await video.propagate(a, t, await video.encodeFrame(frame(t)));
      const rb = await plain.propagate(b, t, await plain.encodeFrame(frame(t)));
      expect(ra.mask).toEqual(rb.mask);
      expect(ra.objectScore!).toBeGreaterThan(0);
      expect(rb.objectScore).toBeNull();
    }
  });

  it('refuses a folder without one of the graphs, naming it', async () => {
    const dir = modelDir();
    rmSync(join(dir, 'memory_encoder.onnx'));
    await expect(NodeSam2Video.fromDir(dir)).rejects.toThrow(/no file is a memory encoder \(inputs mask_for_mem, pix_feat/);
  });
});
