/**
 * Interpolation in the app (issue 29), on a synthetic clip of a disc moving right: opened every 4th
 * frame, the frames keep the clip's own numbers; opened whole, two keyframes made with a click each
 * (frames 0 and 4) and the Interpolate button fill frames 1-3 in the decoder worker: each mask equals
 * the signed-distance blend of the two keyframes computed here in Node by the core, is marked
 * interpolated on the timeline, and one undo takes them back.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { encodePng } from '../src/core/image/png.ts';
import { maskFromRle, rleFromMask } from '../src/core/mask/rle.ts';
import { interpolateBetween } from '../src/core/video/interpolate.ts';
import { clickImage, gotoApp, liveMask, ready } from './helpers.ts';

const W = 200;
const H = 120;
const FRAMES = 9;
const centre = (f: number) => ({ x: 50 + 10 * f, y: 60 });

function framePng(f: number): Uint8Array {
  const data = new Uint8Array(W * H * 3);
  const c = centre(f);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) data.set((x - c.x) ** 2 + (y - c.y) ** 2 <= 22 * 22 ? [235, 225, 210] : [25, 35, 60], (y * W + x) * 3);
  return encodePng({ width: W, height: H, channels: 3, bitDepth: 8, data });
}

test('two keyframes and Interpolate: the frames between are the core’s blend of the two; every k-th keeps frame numbers', async ({
  page,
}) => {
  const tmp = mkdtempSync(join(tmpdir(), 'video-interp-'));
  const dir = join(tmp, 'disc');
  mkdirSync(dir);
  for (let f = 0; f < FRAMES; f++) writeFileSync(join(dir, `frame_${f}.png`), framePng(f));
  try {
    await gotoApp(page);
    await ready(page);
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await expect.poll(async () => (await page.evaluate(() => window.annotator.counts())).images).toBe(0);
    // every 4th frame: 0, 4, 8 (the last) with their own numbers (the Video section unfolded first)
    await page.evaluate(() => ((document.querySelector('[data-testid=video-section]') as HTMLDetailsElement).open = true));
    await expect(async () => {
      await page.getByTestId('frames-every').fill('4');
      await expect(page.getByTestId('frames-every')).toHaveValue('4', { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await page.getByTestId('frames-input').setInputFiles(dir);
    await ready(page);
    expect((await page.evaluate(() => window.annotator.video.clips()))[0]!.frames.map((f) => f.frame)).toEqual([0, 4, 8]);

    // the whole clip in a new project
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await expect.poll(async () => (await page.evaluate(() => window.annotator.counts())).images).toBe(0);
    // (a fill right after the new project's re-render is now and then lost: filled until the field holds it)
    const every = page.getByTestId('frames-every');
    await expect(async () => {
      await every.fill('1');
      await expect(every).toHaveValue('1', { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await page.getByTestId('frames-input').setInputFiles(dir);
    await ready(page);
    expect((await page.evaluate(() => window.annotator.video.clips()))[0]!.frames).toHaveLength(FRAMES);
    // keyframes on frames 0 and 4: a click on the disc, accepted
    for (const f of [0, 4]) {
      await page.evaluate((f) => window.annotator.video.showFrame(f), f);
      await ready(page);
      await page.keyboard.down('Alt');
      await clickImage(page, centre(f).x, centre(f).y);
      await page.keyboard.up('Alt');
      expect((await liveMask(page))!.area).toBeGreaterThan(800);
      await page.keyboard.press('Enter');
    }
    let tracks = await page.evaluate(() => window.annotator.video.tracks());
    expect(tracks).toHaveLength(1);
    expect(tracks[0]!.masks.map((m) => [m.frame, m.role])).toEqual([
      [0, 'key'],
      [4, 'key'],
    ]);
    await page.getByTestId('interpolate').click();
    await expect.poll(() => page.evaluate(() => window.annotator.video.progress()?.status)).toBe('done');
    tracks = await page.evaluate(() => window.annotator.video.tracks());
    const masks = tracks[0]!.masks;
    expect(masks.map((m) => [m.frame, m.role])).toEqual([
      [0, 'key'],
      [1, 'interpolated'],
      [2, 'interpolated'],
      [3, 'interpolated'],
      [4, 'key'],
    ]);
    const expected = interpolateBetween(maskFromRle(masks[0]!.segmentation), maskFromRle(masks[4]!.segmentation), W, H, 4);
    for (const f of [1, 2, 3]) expect(masks[f]!.segmentation, `frame ${f}`).toEqual(rleFromMask(expected[f - 1]!, W, H));
    await expect(page.locator('[data-testid=track-lane] .cell[data-role=interpolated]')).toHaveCount(3);
    // one undo step takes the whole interpolation back
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await page.evaluate(() => window.annotator.video.tracks()))[0]!.masks.length).toBe(2);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
