/**
 * A layout that holds (issue 28, items 2, 4 and 10): at 1280x720 and 1440x900 the image list stays in
 * reach in team mode with every section open, the toolbar keeps one row whatever its labels say, and the
 * selected mask's toolbar stays inside the canvas. Screenshots go to the test output for a person to look at.
 */
import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { clientOf, gotoApp, liveMask, openImages, project, ready, SAMPLES } from './helpers.ts';
import { server, startServer } from './serverHelpers.ts';

const PORT = 4198;
const SIZES = [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
];

/** The toolbar's items all sit on one row (the same top, give or take a few pixels). */
async function toolbarRows(page: Page): Promise<number> {
  return page.evaluate(() => {
    const tops = [...document.querySelectorAll('header.toolbar > *')]
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => Math.round(el.getBoundingClientRect().top));
    const rows: number[] = [];
    for (const t of tops) if (!rows.some((r) => Math.abs(r - t) <= 6)) rows.push(t);
    return rows.length;
  });
}

for (const size of SIZES) {
  test(`team mode at ${size.width}x${size.height}: with every section of the left panel open, the image list is in view and scrolls on its own`, async ({
    browser,
  }) => {
    const srv = await startServer(PORT, [['alice', 'alice-password', true]]);
    try {
      const ctx = await browser.newContext({ baseURL: srv.url, viewport: size });
      const page = await ctx.newPage();
      await gotoApp(page);
      await openImages(
        page,
        ['chelsea.png', 'coffee.png', 'astronaut.png'].map((f) => resolve(SAMPLES, f)),
      );
      await ready(page);
      await server(page).login('alice', 'alice-password');
      await server(page).upload();
      await expect(page.getByTestId('members-fold')).toBeVisible();
      // every folding section of the left panel open
      await page.locator('nav[aria-label=Images] details').evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
      const first = page.locator('[data-testid=image-list] li').first();
      await expect(first).toBeInViewport();
      const box = (await first.boundingBox())!;
      expect(box.y + box.height).toBeLessThanOrEqual(size.height);
      // the panel above the list scrolls on its own: its last part can be reached, and the list stays put
      const top = page.getByTestId('images-top');
      const scrollable = await top.evaluate((el) => el.scrollHeight > el.clientHeight);
      if (scrollable) {
        await top.hover();
        await page.mouse.wheel(0, 2000);
        await expect(page.getByTestId('members-fold')).toBeInViewport();
        await expect(first).toBeInViewport();
      }
      expect(await toolbarRows(page)).toBe(1);
      await page.screenshot({ path: test.info().outputPath(`team-${size.width}x${size.height}.png`) });
      await ctx.close();
    } finally {
      await srv.stop();
    }
  });

  test(`at ${size.width}x${size.height} the toolbar keeps one row and the canvas its size, however long the undo label; the selected mask's toolbar stays on the canvas by the right edge`, async ({
    browser,
  }) => {
    const ctx = await browser.newContext({ viewport: size });
    const page = await ctx.newPage();
    await gotoApp(page);
    await openImages(page, [resolve(SAMPLES, 'chelsea.png')]);
    await ready(page);
    expect(await toolbarRows(page)).toBe(1);
    // every button of it whole in the window, the last too
    for (const name of ['Open images', 'Undo', 'Export COCO', 'Models…'])
      await expect(page.locator('header.toolbar').getByText(name, { exact: false }).first()).toBeInViewport({ ratio: 1 });
    await expect(page.getByTestId('status').locator('.dot')).toBeInViewport({ ratio: 1 });
    const stage = page.getByTestId('stage');
    const before = (await stage.boundingBox())!;
    // a mask by the image's right edge (chelsea is 451 px wide: the image fills the canvas's width)
    const p = await clientOf(page, 440, 150);
    await page.mouse.click(p.x, p.y);
    await liveMask(page);
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
    // a long undo label: rename the category
    await page.getByRole('button', { name: 'Add category' }).click();
    await page.keyboard.press('Escape');
    expect(await toolbarRows(page)).toBe(1);
    expect(await stage.boundingBox()).toEqual(before);
    // select the mask: its toolbar is inside the canvas, not under the right panel
    await page.mouse.click(p.x, p.y);
    const handles = page.getByTestId('selection-handles');
    await expect(handles).toBeVisible();
    const h = (await handles.boundingBox())!;
    const s = (await stage.boundingBox())!;
    expect(h.x).toBeGreaterThanOrEqual(s.x);
    expect(h.x + h.width).toBeLessThanOrEqual(s.x + s.width);
    expect(h.y + h.height).toBeLessThanOrEqual(s.y + s.height);
    await expect(handles.getByRole('button', { name: 'Delete' })).toBeInViewport({ ratio: 1 });
    await page.screenshot({ path: test.info().outputPath(`handles-${size.width}x${size.height}.png`) });
    await ctx.close();
  });
}
