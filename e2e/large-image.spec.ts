import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { readRgbaImage } from '../src/node/image.ts';
import type { CocoRle } from '../src/core/mask/rle.ts';
import type { CocoDataset } from '../src/core/coco/export.ts';
import { maskIou } from '../src/core/mask/iou.ts';
import { maskFromRle, rleArea, rleBbox } from '../src/core/mask/rle.ts';
import { resizeRgb } from '../src/core/sam/preprocess.ts';
import { maskOverlayRgba, overlayScale } from '../src/core/mask/render.ts';
import { clientOf, currentImage, gotoApp, liveMask, openImages, ready, referenceMask, SAMPLES } from './helpers.ts';

const W = 6000;
const H = 4000;

/** A 6000 x 4000 photo: the rocket sample scaled up (PNG, so browser and Node decode the same pixels). */
function makeLargePhoto(): string {
  const src = readRgbaImage(resolve(SAMPLES, 'rocket.jpg'));
  const rgb = resizeRgb(src.data, src, { width: W, height: H });
  const png = new PNG({ width: W, height: H, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.length);
  const file = join(mkdtempSync(join(tmpdir(), 'large-')), 'rocket_6000x4000.png');
  writeFileSync(file, PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 1 }));
  return file;
}

let largePhoto: string | null = null;
/** Opens the app on the 6000 x 4000 photo (made once per run) and waits until it is ready; returns its file. */
async function openLargePhoto(page: Page): Promise<string> {
  largePhoto ??= makeLargePhoto();
  await gotoApp(page);
  await openImages(page, [largePhoto]);
  await ready(page);
  return largePhoto;
}

test('a 6000x4000 photo: point and box masks match onnxruntime-node, the accepted mask is exact at full size', async ({ page }) => {
  test.setTimeout(300_000);
  const file = await openLargePhoto(page);
  expect(await currentImage(page)).toMatchObject({ fileName: 'rocket_6000x4000.png', width: W, height: H });

  const sx = W / 640;
  const sy = H / 427;
  const point = { x: 322 * sx, y: 260 * sy };
  const ref = await referenceMask(file, { points: [{ ...point, positive: true }], box: null });
  const p = await clientOf(page, point.x, point.y);
  await page.mouse.click(p.x, p.y);
  const live = await liveMask(page);
  expect(live?.rle.size).toEqual([H, W]);
  const mask = maskFromRle(live!.rle);
  const iou = maskIou(mask, ref.mask);
  console.log(`6000x4000 point IoU vs onnxruntime-node: ${iou.toFixed(4)}`);
  expect(iou).toBeGreaterThanOrEqual(0.95);
  // the rocket: tall and thin
  const [, , bw, bh] = rleBbox(live!.rle);
  expect(bh).toBeGreaterThan(2 * bw);

  // the on-screen estimate of the area is close to the exact one
  const shownArea = Number((await page.getByTestId('live-info').textContent())?.match(/≈(\d+) px/)?.[1]);
  expect(Math.abs(shownArea - rleArea(live!.rle)) / rleArea(live!.rle)).toBeLessThan(0.02);

  await page.keyboard.press('Enter');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export COCO' }).click()]);
  const coco = JSON.parse(readFileSync(await download.path(), 'utf8')) as CocoDataset;
  const ann = coco.annotations.at(-1)!;
  expect(Array.isArray(ann.segmentation)).toBe(false);
  const seg = ann.segmentation as CocoRle;
  expect(seg.size).toEqual([H, W]);
  expect(maskIou(maskFromRle(seg), mask)).toBe(1);
  expect(ann.area).toBe(rleArea(seg));
  expect(ann.bbox).toEqual(rleBbox(seg));

  // a box around the rocket
  const box = { x0: 300 * sx, y0: 120 * sy, x1: 345 * sx, y1: 410 * sy };
  const refBox = await referenceMask(file, { points: [], box });
  await page.keyboard.press('b');
  const a = await clientOf(page, box.x0, box.y0);
  const b = await clientOf(page, box.x1, box.y1);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();
  // the drag is in screen px: compare with the box the app actually received
  const live2 = await liveMask(page);
  const iou2 = maskIou(maskFromRle(live2!.rle), refBox.mask);
  console.log(`6000x4000 box IoU vs onnxruntime-node: ${iou2.toFixed(4)}`);
  expect(iou2).toBeGreaterThanOrEqual(0.95);
});

test('brush and eraser on a 6000x4000 photo: the overlay drawn piece by piece is the full overlay of the exact mask', async ({ page }) => {
  test.setTimeout(300_000);
  await openLargePhoto(page);
  const sx = W / 640;
  const sy = H / 427;
  const p = await clientOf(page, 322 * sx, 260 * sy);
  await page.mouse.click(p.x, p.y);
  await liveMask(page);
  const drag = async (from: [number, number], to: [number, number]) => {
    const a = await clientOf(page, from[0] * sx, from[1] * sy);
    const b = await clientOf(page, to[0] * sx, to[1] * sy);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 15 });
    await page.mouse.up();
  };
  // a brush stroke beside the rocket, another one crossing it, and an eraser stroke through it
  await page.keyboard.press('d');
  await drag([60, 60], [200, 90]);
  await drag([250, 300], [400, 320]);
  await page.keyboard.press('e');
  await drag([300, 200], [350, 230]);
  const live = (await liveMask(page))!;
  const overlay = (await page.evaluate(() => window.annotator.liveOverlay()))!;
  // what a full redraw of the exact (full-size) mask gives
  const mask = maskFromRle(live.rle);
  const scale = overlayScale(W, H);
  const full = maskOverlayRgba(mask, W, H, [255, 0, 0], 110, scale);
  expect([overlay.width, overlay.height]).toEqual([full.width, full.height]);
  const alpha = Buffer.from(overlay.alpha, 'base64');
  let differ = 0;
  for (let i = 0; i < alpha.length; i++) if (alpha[i] !== full.data[i * 4 + 3]) differ++;
  expect(differ).toBe(0);
  // the strokes are in it: the brush added pixels, the eraser removed some
  const st = (await page.evaluate(() => window.annotator.editorState()))!;
  expect(st.strokes.map((s) => s.mode)).toEqual(['add', 'add', 'remove']);
  expect(mask[Math.round(75 * sy) * W + Math.round(130 * sx)]).toBe(1);
  expect(mask[Math.round(215 * sy) * W + Math.round(325 * sx)]).toBe(0);
});
