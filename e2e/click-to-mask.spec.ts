import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { maskIou } from '../src/core/mask/iou.ts';
import { maskFromRle, rleArea } from '../src/core/mask/rle.ts';
import type { CocoRle } from '../src/core/mask/rle.ts';
import type { CocoDataset } from '../src/core/coco/export.ts';
import {
  clientOf,
  currentImage,
  referenceSequence,
  gotoApp,
  liveMask,
  openImages,
  project,
  ready,
  referenceMask,
  SAMPLES,
} from './helpers.ts';

const CAT = resolve(SAMPLES, 'chelsea.png');
const COFFEE = resolve(SAMPLES, 'coffee.png');

test('a foreground point on the cat gives the same mask as onnxruntime-node; accept and export', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [CAT]);
  await ready(page);
  const shown = await currentImage(page);
  expect(shown).toMatchObject({ fileName: 'chelsea.png', width: 451, height: 300 });

  const click = { x: 180, y: 170 };
  const ref = await referenceMask(CAT, { points: [{ ...click, positive: true }], box: null });
  // the reference itself must be a sensible object mask, not everything or nothing
  const refArea = ref.mask.reduce((a, b) => a + b, 0);
  expect(refArea).toBeGreaterThan(0.1 * ref.width * ref.height);
  expect(refArea).toBeLessThan(0.8 * ref.width * ref.height);

  const p = await clientOf(page, click.x, click.y);
  await page.mouse.click(p.x, p.y);
  const live = await liveMask(page);
  expect(live).not.toBeNull();
  expect(live!.rle.size).toEqual([300, 451]);
  const browserMask = maskFromRle(live!.rle);
  const iou = maskIou(browserMask, ref.mask);
  console.log(`point IoU vs onnxruntime-node: ${iou.toFixed(4)}, score ${live!.score.toFixed(3)} vs ${ref.score.toFixed(3)}`);
  expect(iou).toBeGreaterThanOrEqual(0.99);
  await expect(page.getByTestId('live-score')).toHaveText(live!.score.toFixed(3));

  // accept with Enter, then export through the button
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export COCO' }).click()]);
  const coco = JSON.parse(readFileSync(await download.path(), 'utf8')) as CocoDataset;
  expect(coco.annotations).toHaveLength(1);
  const ann = coco.annotations[0]!;
  expect(Array.isArray(ann.segmentation)).toBe(false);
  const seg = ann.segmentation as CocoRle;
  const img = coco.images.find((im) => im.id === ann.image_id)!;
  expect(img).toEqual({ id: shown!.id, file_name: 'chelsea.png', width: 451, height: 300 });
  expect(ann.iscrowd).toBe(0);
  expect(coco.categories.find((c) => c.id === ann.category_id)?.name).toBe('object');
  expect(typeof seg.counts).toBe('string');
  const exported = maskFromRle(seg);
  expect(maskIou(exported, browserMask)).toBe(1);
  expect(ann.area).toBe(rleArea(seg));
  expect(maskIou(exported, ref.mask)).toBeGreaterThanOrEqual(0.95);
});

test('a box, then box + a background point, match onnxruntime-node', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [COFFEE]);
  await ready(page);
  // the cup and saucer
  const box = { x0: 90, y0: 30, x1: 470, y1: 360 };
  const ref = await referenceMask(COFFEE, { points: [], box });
  await page.keyboard.press('b');
  const a = await clientOf(page, box.x0, box.y0);
  const b = await clientOf(page, box.x1, box.y1);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 4 });
  await page.mouse.move(b.x, b.y, { steps: 4 });
  await page.mouse.up();
  const live = await liveMask(page);
  expect(live).not.toBeNull();
  const boxIou = maskIou(maskFromRle(live!.rle), ref.mask);
  console.log(`box IoU vs onnxruntime-node: ${boxIou.toFixed(4)}`);
  expect(boxIou).toBeGreaterThanOrEqual(0.99);
  const prompts = (await project(page)).annotations;
  expect(prompts).toHaveLength(0);

  // a click after the box adds a point to the same mask (right click = background)
  const bg = { x: 300, y: 100 };
  // the app refines with the previous mask (mask feedback, its default): so does the reference
  const [, ref2mask] = await referenceSequence(COFFEE, [
    { points: [], box },
    { points: [{ ...bg, positive: false }], box },
  ]);
  const ref2 = { mask: ref2mask! };
  const c = await clientOf(page, bg.x, bg.y);
  await page.mouse.click(c.x, c.y, { button: 'right' });
  const live2 = await liveMask(page);
  const iou2 = maskIou(maskFromRle(live2!.rle), ref2.mask);
  console.log(`box+point IoU vs onnxruntime-node: ${iou2.toFixed(4)}`);
  expect(iou2).toBeGreaterThanOrEqual(0.99);

  // Escape discards the prompts and the live mask
  await page.keyboard.press('Escape');
  expect(await liveMask(page)).toBeNull();
});

test('Enter then an immediate click: the first mask is accepted and the click starts the next one', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [COFFEE]);
  await ready(page);
  const shown = (await currentImage(page))!;
  const a = await clientOf(page, 300, 200);
  const b = await clientOf(page, 80, 350);
  await page.mouse.click(a.x, a.y);
  await liveMask(page);
  // no waiting between the key and the next click (a fast annotator)
  await page.keyboard.press('Enter');
  await page.mouse.click(b.x, b.y);
  await liveMask(page);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.filter((x) => x.imageId === shown.id).length).toBe(2);
  const anns = (await project(page)).annotations.filter((x) => x.imageId === shown.id);
  expect(anns.map((x) => x.prompts.points.length)).toEqual([1, 1]);
  const refA = await referenceMask(COFFEE, { points: [{ x: 300, y: 200, positive: true }], box: null });
  const refB = await referenceMask(COFFEE, { points: [{ x: 80, y: 350, positive: true }], box: null });
  expect(maskIou(maskFromRle(anns[0]!.segmentation), refA.mask)).toBeGreaterThanOrEqual(0.99);
  expect(maskIou(maskFromRle(anns[1]!.segmentation), refB.mask)).toBeGreaterThanOrEqual(0.99);
});
