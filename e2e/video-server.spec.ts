/**
 * Video on the project server (issue 29): a clip opened in the app and uploaded, the dog clicked on
 * frame 0, and "On the server ▶" queues the track's propagation for the server's worker; the masks
 * arrive in the app through sync, each equal to what `npm run track` computes for the same frames and
 * click.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { rleIou, type CocoRle } from '../src/core/mask/rle.ts';
import { promptsFromMask } from '../src/core/video/propagate.ts';
import { readMaskPng } from '../src/node/image.ts';
import { clickImage, liveMask, ready, SHARED } from './helpers.ts';
import { openLoggedIn, server, startServer } from './serverHelpers.ts';

const PORT = 4193;
const FRAMES = 4;
const ROOT = resolve(import.meta.dirname, '..');
const DOG = join(SHARED, 'datasets/davis2016-dev/dog');

test.describe.configure({ timeout: 300_000 });

test("a track propagated on the server's worker: the masks arrive in the app and equal the CLI's", async ({ browser }) => {
  const tmp = mkdtempSync(join(tmpdir(), 'video-server-e2e-'));
  const dir = join(tmp, 'dog');
  mkdirSync(dir);
  const names = readdirSync(join(DOG, 'frames')).sort().slice(0, FRAMES);
  for (const n of names) copyFileSync(join(DOG, 'frames', n), join(dir, n));
  const srv = await startServer(PORT, [['alice', 'alice-password', true]], { WORKERS: '1' });
  try {
    const truth = readMaskPng(join(DOG, 'masks', '00000.png'));
    const click = promptsFromMask(truth.mask, truth.width, truth.height)!.points[0]!;
    const ctx = await browser.newContext({ baseURL: srv.url });
    const page = await ctx.newPage();
    await openLoggedIn(page, 'alice');
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await expect.poll(async () => (await page.evaluate(() => window.annotator.counts())).images).toBe(0);
    await page.getByTestId('frames-input').setInputFiles(dir);
    await ready(page);
    await clickImage(page, click.x, click.y);
    expect((await liveMask(page))!.area).toBeGreaterThan(10_000);
    await page.keyboard.press('Enter');
    await server(page).upload();
    await page.evaluate(() => window.annotator.video.setStopOnFlag(false));
    await page.getByTestId('propagate-server').click();
    await expect(page.getByText('Propagation queued on the server').first()).toBeVisible();
    // the worker's masks come back through sync
    try {
      await expect
        .poll(async () => (await page.evaluate(() => window.annotator.video.tracks()))[0]?.masks.length ?? 0, { timeout: 240_000 })
        .toBe(FRAMES);
    } catch (e) {
      // (seen once on a loaded machine: 3 of 4 masks after 4 minutes) what the run and the server said
      console.log(`runs: ${JSON.stringify(await page.evaluate(() => window.annotator.server.trackRuns()))}`);
      console.log(`sync: ${JSON.stringify(await page.evaluate(() => window.annotator.server.status()))}`);
      console.log(`server output:\n${srv.log()}`);
      throw e;
    }
    const runs = await page.evaluate(() => window.annotator.server.trackRuns());
    expect(runs[0]).toMatchObject({ state: 'done', done: FRAMES - 1, total: FRAMES - 1 });
    const masks = (await page.evaluate(() => window.annotator.video.tracks()))[0]!.masks;
    expect(masks.map((m) => m.role)).toEqual(['key', ...Array(FRAMES - 1).fill('propagated')]);

    const out = join(tmp, 'cli.json');
    execFileSync('node', [join(ROOT, 'dist-cli/track.mjs'), '--frames', dir, '--click', `${click.x},${click.y}`, '--out', out], {
      stdio: 'pipe',
    });
    const cli = JSON.parse(readFileSync(out, 'utf8')) as {
      images: { id: number; frame_index: number }[];
      annotations: { image_id: number; segmentation: CocoRle }[];
    };
    const frameOf = new Map(cli.images.map((im) => [im.id, im.frame_index]));
    const byFrame = new Map(cli.annotations.map((a) => [frameOf.get(a.image_id)!, a.segmentation]));
    for (const m of masks) expect(rleIou(m.segmentation, byFrame.get(m.frame)!), `frame ${m.frame}`).toBeGreaterThanOrEqual(0.99);
  } finally {
    await srv.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
