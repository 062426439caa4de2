/**
 * SAM 2's video memory in the built app (issue 29): the repository's generated video graphs (the exact
 * signature of pagarcia/sam2-onnx-cpp's four files, a closed-form answer) named by the page's URL
 * (`?sam2video=FOLDER/`) and then picked in the Models dialog; a clip of synthetic frames (a moving disc),
 * a keyframe made with a click on frame 0, propagated to the end with the memory (`tracking.method`
 * 'sam2-video'); every frame's mask equals, exactly, what NodeSam2Video gives on the same frames and keyframe.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { encodePng } from '../src/core/image/png.ts';
import { maskFromRle, rleFromMask, type CocoRle } from '../src/core/mask/rle.ts';
import { readRgbaImage } from '../src/node/image.ts';
import { NodeSam2Video } from '../src/node/sam2-video-node.ts';
import { tinySam2VideoDir } from '../src/node/sam2VideoModels.ts';
import { clickImage, gotoApp, liveMask, ready } from './helpers.ts';

const W = 160;
const H = 120;
const FRAMES = 5;
const R = 25;
const centre = (f: number) => ({ x: 50 + 8 * f, y: 60 });

/** Frame `f`: a white disc on a dark background, moving right. */
function framePng(f: number): Uint8Array {
  const data = new Uint8Array(W * H * 3);
  const c = centre(f);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const on = (x - c.x) ** 2 + (y - c.y) ** 2 <= R * R;
      data.set(on ? [240, 230, 220] : [30, 40, 50], (y * W + x) * 3);
    }
  return encodePng({ width: W, height: H, channels: 3, bitDepth: 8, data });
}

/** The masks NodeSam2Video gives: the keyframe on frame 0, then every frame from the memory alone. */
async function reference(modelDir: string, frames: string[], key: CocoRle): Promise<string[]> {
  const video = await NodeSam2Video.fromDir(modelDir);
  const track = NodeSam2Video.track(frames.length, 1);
  await video.addMask(track, 0, await video.encodeFrame(readRgbaImage(frames[0]!)), maskFromRle(key));
  const out: string[] = [];
  for (let i = 1; i < frames.length; i++) {
    const step = await video.propagate(track, i, await video.encodeFrame(readRgbaImage(frames[i]!)));
    out.push(rleFromMask(step.mask, W, H).counts);
  }
  return out;
}

const tracks = (page: Page) => page.evaluate(() => window.annotator.video.tracks());
const memoryModel = (page: Page) => page.evaluate(() => window.annotator.video.memoryModel());

test('propagation with SAM 2’s video memory (by URL, then picked in the Models dialog) gives NodeSam2Video’s masks', async ({ page }) => {
  test.setTimeout(240_000);
  const tmp = mkdtempSync(join(tmpdir(), 'sam2-video-e2e-'));
  const models = tinySam2VideoDir({ objectScore: true }, tmp);
  const frames = Array.from({ length: FRAMES }, (_, f) => {
    const path = join(tmp, `${String(f).padStart(5, '0')}.png`);
    writeFileSync(path, framePng(f));
    return path;
  });
  try {
    // the four graphs as a server serves them (the preview server serves only the build)
    await page.route(
      (url) => url.pathname.startsWith('/sam2-video-models/'),
      (route) => {
        const name = new URL(route.request().url()).pathname.split('/').pop()!;
        return route.fulfill({ body: readFileSync(join(models.dir, name)), contentType: 'application/octet-stream' });
      },
    );
    await gotoApp(page, '/?sam2video=/sam2-video-models/');
    await page.evaluate(
      (files) => window.annotator.video.openFrames(files.map((f) => ({ name: `disc/${f.name}`, bytes: f.bytes, type: 'image/png' }))),
      frames.map((p) => ({ name: p.split('/').pop()!, bytes: [...readFileSync(p)] })),
    );
    await ready(page);
    await expect.poll(async () => (await memoryModel(page))?.status, { timeout: 60_000 }).toBe('ready');
    expect((await memoryModel(page))!.files).toEqual({
      encoder: 'image_encoder.onnx',
      decoder: 'image_decoder.onnx',
      memoryAttention: 'memory_attention.onnx',
      memoryEncoder: 'memory_encoder.onnx',
    });

    // frame 0: a click on the disc (the image model), accepted: the track's keyframe
    await clickImage(page, centre(0).x, centre(0).y);
    expect((await liveMask(page))!.area).toBeGreaterThan(500);
    await page.keyboard.press('Enter');
    let t = await tracks(page);
    expect(t).toHaveLength(1);
    const key = t[0]!.masks[0]!.segmentation;

    const state = await page.evaluate(() => window.annotator.video.propagate({ until: 'end' }));
    expect(state).toMatchObject({ status: 'done', method: 'sam2-video', done: FRAMES - 1 });
    // the timeline says which method ran
    await expect(page.getByTestId('tracking-status')).toHaveAttribute('data-method', 'sam2-video');
    await expect(page.getByTestId('tracking-status')).toContainText('SAM 2 memory');
    t = await tracks(page);
    expect(t[0]!.masks.map((m) => [m.frame, m.role])).toEqual([...Array(FRAMES).keys()].map((f) => [f, f === 0 ? 'key' : 'propagated']));
    const want = await reference(models.dir, frames, key);
    expect(want.every((c) => maskFromRle({ size: [H, W], counts: c }).some((v) => v))).toBe(true);
    expect(t[0]!.masks.slice(1).map((m) => m.segmentation.counts)).toEqual(want);
    // the propagated masks name the memory model (its folder), not the image model; scores are probabilities
    const made = await page.evaluate(() => window.annotator.getProject().annotations.filter((a) => a.track === 'propagated'));
    expect(new Set(made.map((a) => a.model))).toEqual(new Set(['sam2-video:sam2-video-models']));
    expect(made.every((a) => a.score !== null && a.score >= 0 && a.score <= 1)).toBe(true);

    // the same graphs picked as files in the Models dialog replace the URL's; propagating again gives the same masks
    await page.evaluate(() => window.annotator.video.showFrame(0));
    await page.getByRole('button', { name: 'Models…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Models' });
    await dialog
      .getByTestId('sam2video-input')
      .setInputFiles(
        ['image_encoder.onnx', 'image_decoder.onnx', 'memory_attention.onnx', 'memory_encoder.onnx'].map((n) => join(models.dir, n)),
      );
    await expect(dialog.getByTestId('sam2video-status')).toContainText('Ready: propagation uses SAM 2', { timeout: 60_000 });
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(await page.evaluate(() => window.annotator.video.propagate({ until: 'end' }))).toMatchObject({
      status: 'done',
      method: 'sam2-video',
    });
    expect((await tracks(page))[0]!.masks.slice(1).map((m) => m.segmentation.counts)).toEqual(want);

    // unloaded: the image model, frame by frame, as before
    await page.evaluate(() => window.annotator.video.unloadMemoryModel());
    expect(await page.evaluate(() => window.annotator.video.propagate({ until: 'end' }))).toMatchObject({ method: 'sam' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
