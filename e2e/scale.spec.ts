import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { writeScaleCoco } from '../bench/scaleFixture.ts';
import { collectLongTasks } from '../bench/server.ts';
import type { Project } from '../src/core/project/types.ts';
import { clientOf, currentImage, gotoApp, liveMask, openImages, ready, SAMPLES } from './helpers.ts';

const longTasks = (page: Page) => page.evaluate(() => (window as unknown as { __longtasks: number[] }).__longtasks.splice(0));
const counts = (page: Page) =>
  page.evaluate(() => {
    const p = (window as unknown as { annotator: { getProject(): Project } }).annotator.getProject();
    return { images: p.images.length, annotations: p.annotations.length };
  });

test.setTimeout(600_000);
// The long-task checks time the main thread on a shared 2-core machine: a lone 52 ms task on accept was seen in
// one full run of the suite (and not in the three runs of this spec before and after it). A regression fails both tries.
test.describe.configure({ retries: 1 });

test('a project of 2,000 images and 60,000 annotations: accept and image steps have no task over 50 ms, and it reopens', async ({
  page,
}) => {
  const fixture = writeScaleCoco(join(mkdtempSync(join(tmpdir(), 'scale-')), 'big.json'), 2000, 30, {
    fileName: 'coffee.png',
    width: 600,
    height: 400,
  });
  await page.addInitScript(collectLongTasks);
  await gotoApp(page);
  await ready(page);
  await openImages(page, [resolve(SAMPLES, 'coffee.png')]);
  await ready(page);
  // the COCO file's coffee.png is this one; its other 1,999 images are new (their files are not opened)
  const start = await counts(page);
  await page.locator('input[type=file][accept*=".json"]').setInputFiles(fixture.path);
  await expect
    .poll(() => counts(page), { timeout: 300_000 })
    .toEqual({ images: start.images + fixture.images - 1, annotations: start.annotations + fixture.annotations });
  await expect(page.getByTestId('save-state')).toHaveText('saved', { timeout: 300_000 });

  // accept: a click on the photo (Alt: even over a mask), then Enter
  await longTasks(page);
  const p = await clientOf(page, 300, 200);
  await page.keyboard.down('Alt');
  await page.mouse.click(p.x, p.y);
  await page.keyboard.up('Alt');
  expect((await liveMask(page))?.area).toBeGreaterThan(0);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await counts(page)).annotations).toBe(start.annotations + fixture.annotations + 1);
  await expect(page.getByTestId('save-state')).toHaveText('saved');
  await page.waitForTimeout(300);
  expect(await longTasks(page), 'long tasks on accept').toEqual([]);

  // image steps: the next image (a missing file, 30 masks) and back, and undo
  const shown = (await currentImage(page))!.id;
  for (const key of ['ArrowRight', 'ArrowRight', 'ArrowLeft', 'ArrowLeft']) {
    const before = (await currentImage(page))!.id;
    await page.keyboard.press(key);
    await expect.poll(async () => (await currentImage(page))!.id).not.toBe(before);
    await page.waitForTimeout(200);
  }
  expect((await currentImage(page))!.id).toBe(shown);
  await page.keyboard.press('Control+z');
  await expect.poll(async () => (await counts(page)).annotations).toBe(start.annotations + fixture.annotations);
  await page.waitForTimeout(300);
  expect(await longTasks(page), 'long tasks on image steps and undo').toEqual([]);

  // scrolling the image list
  await page.getByTestId('image-list').hover();
  for (let i = 0; i < 10; i++) await page.mouse.wheel(0, 2000);
  await page.waitForTimeout(300);
  expect(await longTasks(page), 'long tasks scrolling the image list').toEqual([]);

  // reopened: everything is there, and the photo answers a click
  await page.reload();
  await ready(page);
  expect(await counts(page)).toEqual({ images: start.images + fixture.images - 1, annotations: start.annotations + fixture.annotations });
  const q = await clientOf(page, 300, 200);
  await page.keyboard.down('Alt');
  await page.mouse.click(q.x, q.y);
  await page.keyboard.up('Alt');
  expect((await liveMask(page))?.area).toBeGreaterThan(0);
});
