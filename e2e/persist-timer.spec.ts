import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { CocoDataset } from '../src/core/coco/export.ts';
import { clientOf, currentImage, editorState, gotoApp, liveMask, openImages, project, ready, SAMPLES } from './helpers.ts';

async function exportRle(page: Page): Promise<CocoDataset> {
  return page.evaluate(() => window.annotator.exportCoco({ segmentation: 'rle' }));
}

function stable(c: CocoDataset) {
  // the export's creation date differs; everything else must not
  return { ...c, info: { ...c.info, date_created: '' } };
}

test('two accepted masks survive a reload: the export after it is identical, the shown image too', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [resolve(SAMPLES, 'coffee.png')]);
  await ready(page);
  for (const [x, y] of [
    [300, 200],
    [80, 350],
  ]) {
    const p = await clientOf(page, x!, y!);
    await page.mouse.click(p.x, p.y);
    await liveMask(page);
    await page.keyboard.press('Enter');
  }
  await expect.poll(async () => (await project(page)).annotations.length).toBe(2);
  await page.getByRole('button', { name: 'Add category' }).click();
  const before = await exportRle(page);
  const shown = await currentImage(page);
  await expect(page.getByTestId('save-state')).toHaveText('saved');

  await page.reload();
  await ready(page);
  expect(await currentImage(page)).toEqual(shown);
  const after = await exportRle(page);
  expect(stable(after)).toEqual(stable(before));
  expect(after.categories).toHaveLength(2);
  // the restored image is usable at once, without opening the file again (Alt: a point even over the accepted mask)
  const p = await clientOf(page, 300, 200);
  await page.keyboard.down('Alt');
  await page.mouse.click(p.x, p.y);
  await page.keyboard.up('Alt');
  expect((await liveMask(page))?.area).toBeGreaterThan(1000);
});

test('the mask clock counts active time, flags an over-budget mask, and pauses while the tab is hidden', async ({ page }) => {
  await page.clock.install();
  await gotoApp(page);
  await openImages(page, [resolve(SAMPLES, 'chelsea.png')]);
  await ready(page);
  const p = await clientOf(page, 180, 170);
  await page.mouse.click(p.x, p.y);
  await liveMask(page);
  // 12 s of work, then the tab is hidden for 5 minutes (not counted), then 20 s more of work
  await page.clock.fastForward(12_000);
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.clock.fastForward(300_000);
  await expect(page.getByTestId('timer')).toContainText('paused (tab hidden)');
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.clock.fastForward(20_000);
  const st = await editorState(page);
  expect(st.timer.elapsedMs).toBeGreaterThanOrEqual(32_000);
  expect(st.timer.elapsedMs).toBeLessThan(34_000);
  await expect(page.getByRole('alert').filter({ hasText: 'Over 30 s on this mask' })).toBeVisible();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  const coco = await exportRle(page);
  const a = coco.annotations[0]!.attributes as { time_ms: number; over_budget: boolean; clicks: number };
  expect(a.over_budget).toBe(true);
  expect(a.time_ms).toBeGreaterThanOrEqual(32_000);
  expect(a.time_ms).toBeLessThan(34_000);
  expect(a.clicks).toBe(1);

  // a mask within budget is not flagged; a skipped one is recorded, not annotated
  const q = await clientOf(page, 400, 60);
  await page.mouse.click(q.x, q.y);
  await liveMask(page);
  await page.clock.fastForward(31_000);
  await page.getByRole('button', { name: 'Skip object' }).click();
  const proj = await project(page);
  expect(proj.annotations).toHaveLength(1);
  expect(proj.skipped).toHaveLength(1);
  expect(proj.skipped[0]!.timeMs).toBeGreaterThanOrEqual(31_000);
});

test('a failing save (storage full) is reported, what was saved before is kept, and the refused mask comes back from the journal', async ({
  page,
}) => {
  await gotoApp(page);
  await openImages(page, [resolve(SAMPLES, 'coffee.png')]);
  await ready(page);
  const p = await clientOf(page, 300, 200);
  await page.mouse.click(p.x, p.y);
  await liveMask(page);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  await expect(page.getByTestId('save-state')).toHaveText('saved');
  const saved = await exportRle(page);

  // from now on every IndexedDB write fails as a full disk does
  await page.evaluate(() => {
    const fail = function (): never {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    IDBObjectStore.prototype.put = fail;
    IDBObjectStore.prototype.add = fail;
  });
  const q = await clientOf(page, 80, 350);
  await page.mouse.click(q.x, q.y);
  const second = await liveMask(page);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(2);
  await expect(page.getByRole('alert').filter({ hasText: 'Could not save the project' })).toContainText('storage for this site is full');
  await expect(page.getByTestId('save-state')).toHaveText('not saved');

  // the earlier save is intact, and the mask IndexedDB refused comes back from the journal (localStorage)
  await page.reload();
  await ready(page);
  const after = await exportRle(page);
  expect(after.annotations[0]).toEqual(saved.annotations[0]);
  expect(after.annotations.map((a) => a.area)).toEqual([saved.annotations[0]!.area, second!.area]);
  expect(after.images).toEqual(saved.images);
  // and it is now stored: a second reload (the journal was cleared) still has it
  await expect(page.getByTestId('save-state')).toHaveText('saved');
  await page.reload();
  await ready(page);
  expect(stable(await exportRle(page))).toEqual(stable(after));
});

test('reloading while storage is full opens the saved project (no second project, no samples again), and an opened image is shown', async ({
  page,
}) => {
  await gotoApp(page);
  await openImages(page, [resolve(SAMPLES, 'coffee.png')]);
  await ready(page);
  const p = await clientOf(page, 300, 200);
  await page.mouse.click(p.x, p.y);
  await liveMask(page);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  await expect(page.getByTestId('save-state')).toHaveText('saved');
  const saved = await project(page);

  // from the next load on, every IndexedDB write fails as a full disk does (reads work)
  await page.addInitScript(() => {
    const fail = function (): never {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    IDBObjectStore.prototype.put = fail;
    IDBObjectStore.prototype.add = fail;
  });
  await page.reload();
  await ready(page);
  const reopened = await project(page);
  expect(reopened.images.map((im) => im.fileName)).toEqual(saved.images.map((im) => im.fileName));
  expect(reopened.annotations).toEqual(saved.annotations);
  await expect(page.getByRole('alert').filter({ hasText: 'new project was started' })).toHaveCount(0);
  // the samples are not added again, now or a little later
  await page.waitForTimeout(1500);
  expect((await project(page)).images.length).toBe(saved.images.length);

  // an image opened now is shown (and the failed save of its file is said)
  await openImages(page, [resolve(SAMPLES, 'chelsea.png')]);
  await expect.poll(async () => (await currentImage(page))?.fileName).toBe('chelsea.png');
  await expect(page.getByRole('alert').filter({ hasText: 'Could not save' }).first()).toContainText('storage for this site is full');
  await ready(page);
});
