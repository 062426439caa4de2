/**
 * `npm run bench:video`: the cost of video annotation on the first `--frames` (default 12) frames of
 * davis2016-dev's dog (854x480), in one run:
 * - propagation per frame in Node (onnxruntime-node: the frame's encode, and the step: the decoder and
 *   the candidate choice), the reference;
 * - propagation per frame in the built app in headless Chromium (WASM, the page's threads), encode and
 *   step apart, from a click on frame 0 (`window.annotator.video.runTimings()`);
 * - a frame step on the timeline (`.` -> the next frame's picture drawn, two animation frames after),
 *   and the longest main-thread task while stepping and while playing the clip;
 * - the same steps on dog.mp4 opened as a video file (frames decoded on demand from the stored file).
 * Prints one JSON line per metric and the browser / Node ratios.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium.config.ts';
import { readMaskPng, readRgbaImage } from '../src/node/image.ts';
import { NodeSam } from '../src/node/sam-node.ts';
import { nodeTrackStep } from '../src/node/track-node.ts';
import { promptsFromMask } from '../src/core/video/propagate.ts';
import { collectLongTasks, repoRoot, startPreviewServer, stopPreviewServer } from './server.ts';
import { print, summarize } from './stats.ts';

const PORT = Number(process.env['BENCH_PORT'] ?? 4186);
const ROOT = repoRoot();
const arg = process.argv.indexOf('--frames');
const FRAMES = arg > 0 ? Number(process.argv[arg + 1]) : 12;
const DOG = resolve(ROOT, '../shared/datasets/davis2016-dev/dog');

async function nodeReference(names: string[], first: Uint8Array): Promise<{ encode: number; step: number }> {
  const sam = await NodeSam.load(undefined, { candidates: true });
  const encode: number[] = [];
  const step: number[] = [];
  let prev = first;
  for (let i = 1; i < names.length; i++) {
    const image = readRgbaImage(join(DOG, 'frames', names[i]!));
    let t = performance.now();
    const emb = await sam.embed(image);
    encode.push(performance.now() - t);
    t = performance.now();
    prev = (await nodeTrackStep(sam, emb, image, prev)).mask;
    step.push(performance.now() - t);
  }
  const e = summarize('node_propagate_encode_ms_per_frame', 'ms', encode);
  const s = summarize('node_propagate_step_ms_per_frame', 'ms', step);
  print(e);
  print(s);
  return { encode: e.median, step: s.median };
}

async function main(): Promise<void> {
  const names = readdirSync(join(DOG, 'frames')).sort().slice(0, FRAMES);
  const truth = readMaskPng(join(DOG, 'masks', names[0]!.replace(/\.jpg$/, '.png')));
  const click = promptsFromMask(truth.mask, truth.width, truth.height)!.points[0]!;
  const ref = await nodeReference(names, truth.mask);

  const tmp = mkdtempSync(join(tmpdir(), 'bench-video-'));
  const dir = join(tmp, 'dog');
  mkdirSync(dir);
  for (const n of names) copyFileSync(join(DOG, 'frames', n), join(dir, n));
  const server = await startPreviewServer(PORT);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript(collectLongTasks);
    await page.addInitScript(() => addEventListener('keydown', () => (window.__key = performance.now()), true));
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await page.evaluate(() => window.annotator.ready());
    await page.getByTestId('frames-input').setInputFiles(dir);
    await page.evaluate(() => window.annotator.ready());
    const p = await page.evaluate(([x, y]) => window.annotator.imageToClient(x!, y!), [click.x, click.y]);
    await page.mouse.click(p.x, p.y);
    await page.evaluate(() => window.annotator.getLiveMask());
    await page.keyboard.press('Enter');
    await page.evaluate(() => window.annotator.video.setStopOnFlag(false));
    const t0 = Date.now();
    await page.evaluate(() => window.annotator.video.propagate());
    const wall = (Date.now() - t0) / (names.length - 1);
    const timings = await page.evaluate(() => window.annotator.video.runTimings());
    const encoded = timings.filter((t) => t.encodeMs > 0);
    const e = summarize(
      'browser_propagate_encode_ms_per_frame',
      'ms',
      encoded.map((t) => t.encodeMs),
    );
    const s = summarize(
      'browser_propagate_step_ms_per_frame',
      'ms',
      timings.map((t) => t.stepMs),
    );
    print(e);
    print(s);
    print(summarize('browser_propagate_wall_ms_per_frame', 'ms', [wall]));
    print(summarize('browser_frames_with_cached_embedding', 'frames', [timings.length - encoded.length]));
    print(summarize('browser_vs_node_encode_ratio', 'x', [e.median / ref.encode]));
    print(summarize('browser_vs_node_step_ratio', 'x', [s.median / ref.step]));

    // frame steps on the timeline: "." -> the next frame drawn
    await page.evaluate(() => window.annotator.video.showFrame(0));
    await page.waitForTimeout(500);
    await page.evaluate(() => window.__longtasks.splice(0));
    const steps: number[] = [];
    for (let i = 1; i < names.length; i++) {
      const next = await page.evaluate((f) => window.annotator.video.clips()[0]!.frames[f]!.imageId, i);
      await page.keyboard.press('.');
      await page.waitForSelector(`[data-testid=stage][data-drawn-image="${next}"]`);
      steps.push(
        await page.evaluate(
          () => new Promise<number>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now() - window.__key)))),
        ),
      );
    }
    print(summarize('timeline_frame_step_to_drawn_ms', 'ms', steps));
    const stepLong = await page.evaluate(() => window.__longtasks.splice(0));
    print(summarize('timeline_stepping_longest_task_ms', 'ms', [stepLong.length ? Math.max(...stepLong) : 0]));
    await page.evaluate(() => window.annotator.video.showFrame(0));
    await page.waitForTimeout(500);
    await page.evaluate(() => window.__longtasks.splice(0));
    await page.keyboard.press('k');
    const lastId = await page.evaluate(() => window.annotator.video.clips()[0]!.frames.at(-1)!.imageId);
    await page.waitForSelector(`[data-testid=stage][data-drawn-image="${lastId}"]`, { timeout: 60_000 });
    const playLong = await page.evaluate(() => window.__longtasks.splice(0));
    print(summarize('timeline_playing_longest_task_ms', 'ms', [playLong.length ? Math.max(...playLong) : 0]));

    // a video file (dog.mp4, a new project): frames decoded on demand from the stored file, 8 at a time
    const video = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await video.addInitScript(collectLongTasks);
    await video.addInitScript(() => addEventListener('keydown', () => (window.__key = performance.now()), true));
    await video.goto(`http://127.0.0.1:${PORT}/`);
    await video.evaluate(() => window.annotator.ready());
    await video.getByTestId('video-input').setInputFiles(resolve(DOG, '../dog.mp4'));
    await video.waitForFunction(() => window.annotator.video.videoProgress() === null && window.annotator.video.clips().length > 0);
    await video.evaluate(() => window.annotator.ready());
    await video.waitForTimeout(1000);
    await video.evaluate(() => window.__longtasks.splice(0));
    const fileSteps: number[] = [];
    const frames = await video.evaluate(() => window.annotator.video.clips()[0]!.frames.length);
    for (let i = 1; i < Math.min(frames, 3 * FRAMES); i++) {
      const next = await video.evaluate((f) => window.annotator.video.clips()[0]!.frames[f]!.imageId, i);
      await video.keyboard.press('.');
      await video.waitForSelector(`[data-testid=stage][data-drawn-image="${next}"]`);
      fileSteps.push(
        await video.evaluate(
          () => new Promise<number>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now() - window.__key)))),
        ),
      );
    }
    print(summarize('video_file_frame_step_to_drawn_ms', 'ms', fileSteps));
    const fileLong = await video.evaluate(() => window.__longtasks.splice(0));
    print(summarize('video_file_stepping_longest_task_ms', 'ms', [fileLong.length ? Math.max(...fileLong) : 0]));
  } finally {
    await browser.close();
    await stopPreviewServer(server);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
