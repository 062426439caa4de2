import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { clientOf, gotoApp, liveMask, openImages, project, ready, SAMPLES } from './helpers.ts';

test('an accepted mask survives closing the page 0, 20, 50, 100 or 200 ms after Enter', async ({ context }) => {
  const delays = [0, 20, 50, 100, 200];
  const points: [number, number][] = [
    [300, 200],
    [80, 350],
    [500, 120],
    [420, 380],
    [150, 80],
  ];
  let expected: number[] = [];
  let images: string[] = [];
  for (let i = 0; i < delays.length; i++) {
    const page = await context.newPage();
    await gotoApp(page);
    if (i === 0) await openImages(page, [resolve(SAMPLES, 'coffee.png')]);
    await ready(page);
    const before = await project(page);
    if (i === 0) images = before.images.map((im) => im.fileName);
    // everything accepted before the earlier closes is there
    expect(before.annotations.map((a) => a.area)).toEqual(expected);
    const [x, y] = points[i]!;
    const p = await clientOf(page, x, y);
    // Alt: a point even over an accepted mask
    await page.keyboard.down('Alt');
    await page.mouse.click(p.x, p.y);
    await page.keyboard.up('Alt');
    const live = await liveMask(page);
    expect(live?.area).toBeGreaterThan(0);
    await page.keyboard.press('Enter');
    if (delays[i]! > 0) await page.waitForTimeout(delays[i]!);
    await page.close();
    expected = [...expected, live!.area];
  }
  const page = await context.newPage();
  await gotoApp(page);
  await ready(page);
  const after = await project(page);
  expect(after.annotations.map((a) => a.area)).toEqual(expected);
  expect(after.images.map((im) => im.fileName)).toEqual(images);
});
