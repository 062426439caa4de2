import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { maskIou } from '../src/core/mask/iou.ts';
import { maskFromRle } from '../src/core/mask/rle.ts';
import { clientOf, currentImage, gotoApp, liveMask, openImages, ready, referenceMask, SAMPLES } from './helpers.ts';

/** An image's embedding status in the image list: pending, encoding, ready, error, missing. */
const statusOf = (page: import('@playwright/test').Page, name: string) => page.locator('nav li', { hasText: name });

test('a click stops the background encode of the next image, which resumes when the user is idle', async ({ page }) => {
  await gotoApp(page);
  await ready(page);
  // the next image (chelsea) starts encoding in the background once the user is idle
  await expect(statusOf(page, 'chelsea.png')).toHaveAttribute('data-embedding', 'encoding', { timeout: 30_000 });
  const p = await clientOf(page, 256, 200);
  await page.mouse.click(p.x, p.y);
  // the interactive decode does not wait for it: the background job is stopped at once
  await expect(statusOf(page, 'chelsea.png')).toHaveAttribute('data-embedding', 'pending', { timeout: 2_000 });
  expect((await liveMask(page))?.area).toBeGreaterThan(1000);
  // and picked up again after the pause
  await expect(statusOf(page, 'chelsea.png')).toHaveAttribute('data-embedding', 'ready', { timeout: 60_000 });
  await expect(statusOf(page, 'astronaut.png')).toHaveAttribute('data-embedding', 'ready');
});

test('the next image waits while the annotator aims at the one just ready: no encode competes with the first clicks', async ({ page }) => {
  await gotoApp(page);
  // in the page: the status of the next image when the shown one becomes ready, and 600 ms later
  const seen = await page.evaluate(async () => {
    await window.annotator.ready();
    const status = () =>
      Array.from(document.querySelectorAll('nav li'))
        .find((li) => li.textContent?.includes('chelsea.png'))
        ?.getAttribute('data-embedding');
    const atReady = status();
    await new Promise((r) => setTimeout(r, 600));
    return [atReady, status()];
  });
  expect(seen).toEqual(['pending', 'pending']);
  // then, the annotator idle, it is encoded ahead of time
  await expect(statusOf(page, 'chelsea.png')).toHaveAttribute('data-embedding', 'ready', { timeout: 60_000 });
});

test('a click made while the image is still encoding is answered once it is ready', async ({ page }) => {
  const file = resolve(SAMPLES, 'coffee.png');
  await gotoApp(page);
  await openImages(page, [file]);
  // do not wait for ready(): click at once (the image is shown as soon as it is validated)
  await expect.poll(async () => (await currentImage(page))?.fileName).toBe('coffee.png');
  await expect(page.getByTestId('status')).toHaveAttribute('data-image', /pending|encoding/);
  const p = await clientOf(page, 300, 200);
  await page.mouse.click(p.x, p.y);
  const live = await liveMask(page);
  const ref = await referenceMask(file, { points: [{ x: 300, y: 200, positive: true }], box: null });
  expect(maskIou(maskFromRle(live!.rle), ref.mask)).toBeGreaterThanOrEqual(0.95);
  await expect(page.getByRole('alert')).toHaveCount(0);
});
