import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { maskIou } from '../src/core/mask/iou.ts';
import { maskFromRle } from '../src/core/mask/rle.ts';
import { clientOf, gotoApp, liveMask, openImages, ready, referenceMask, SAMPLES } from './helpers.ts';

const CAT = resolve(SAMPLES, 'chelsea.png');

const runs = (page: Page) => page.evaluate(() => window.annotator.decoderRuns());
const hoverPoint = (page: Page) => page.evaluate(() => window.annotator.editorState().hoverPoint);

/** Waits until the decoder has done its warm-up and nothing else runs. */
async function quiet(page: Page): Promise<number> {
  let last = -1;
  for (;;) {
    await page.waitForTimeout(400);
    const n = await runs(page);
    if (n === last) return n;
    last = n;
  }
}

test('hover preview: resting on the cat previews its mask; a click there shows that mask at once (no decode) and the preview goes', async ({
  page,
}) => {
  await gotoApp(page);
  await openImages(page, [CAT]);
  await ready(page);
  const before = await quiet(page);
  const p = await clientOf(page, 180, 170);
  await page.mouse.move(p.x - 30, p.y);
  await page.mouse.move(p.x, p.y, { steps: 3 });
  await expect(page.getByTestId('stage')).toHaveAttribute('data-hover-preview', 'shown');
  const h = (await hoverPoint(page))!;
  expect(Math.hypot(h.x - 180, h.y - 170)).toBeLessThan(2);
  expect(await runs(page)).toBe(before + 1);
  await page.mouse.click(p.x, p.y);
  const live = (await liveMask(page))!;
  // the click took the previewed point and its decoder run
  expect(await runs(page)).toBe(before + 1);
  await expect(page.getByTestId('stage')).toHaveAttribute('data-hover-preview', '');
  const ref = await referenceMask(CAT, { points: [{ x: h.x, y: h.y, positive: true }], box: null });
  expect(maskIou(maskFromRle(live.rle), ref.mask)).toBeGreaterThanOrEqual(0.99);
  // with a mask drafted, resting the pointer previews nothing
  await page.mouse.move(p.x + 40, p.y + 20, { steps: 2 });
  await page.waitForTimeout(500);
  expect(await runs(page)).toBe(before + 1);
});

test('moving on before the rest time decodes nothing; the preview can be turned off', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [CAT]);
  await ready(page);
  const before = await quiet(page);
  // a sweep across the photo and out of it, never resting
  const a = await clientOf(page, 20, 150);
  const b = await clientOf(page, 430, 150);
  await page.mouse.move(a.x, a.y);
  await page.mouse.move(b.x, b.y, { steps: 40 });
  await page.mouse.move(b.x + 400, b.y, { steps: 2 });
  await page.waitForTimeout(600);
  expect(await runs(page)).toBe(before);
  await page.getByTestId('hover-preview-toggle').uncheck();
  const p = await clientOf(page, 180, 170);
  await page.mouse.move(p.x, p.y, { steps: 2 });
  await page.waitForTimeout(600);
  expect(await runs(page)).toBe(before);
  await expect(page.getByTestId('stage')).toHaveAttribute('data-hover-preview', '');
});

test('a click while a hover preview is being decoded is answered with the click’s own mask', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [CAT]);
  await ready(page);
  await quiet(page);
  // rest on the background (a preview starts), then click the cat right away
  const bg = await clientOf(page, 40, 40);
  await page.mouse.move(bg.x, bg.y, { steps: 2 });
  await page.waitForTimeout(100);
  const cat = await clientOf(page, 180, 170);
  await page.mouse.click(cat.x, cat.y);
  const live = (await liveMask(page))!;
  const st = await page.evaluate(() => window.annotator.editorState());
  expect(st.prompts.points).toHaveLength(1);
  const pt = st.prompts.points[0]!;
  expect(Math.hypot(pt.x - 180, pt.y - 170)).toBeLessThan(2);
  const ref = await referenceMask(CAT, { points: [{ x: pt.x, y: pt.y, positive: true }], box: null });
  expect(maskIou(maskFromRle(live.rle), ref.mask)).toBeGreaterThanOrEqual(0.99);
  await expect(page.getByTestId('stage')).toHaveAttribute('data-hover-preview', '');
});
