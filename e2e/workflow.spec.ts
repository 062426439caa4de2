import { expect, test } from '@playwright/test';
import { clientOf, currentImage, gotoApp, liveMask, project, ready } from './helpers.ts';

test('samples load at first start; keys drive images, categories, accept and delete', async ({ page }) => {
  await gotoApp(page);
  await ready(page);
  const first = await currentImage(page);
  expect(first?.fileName).toBe('astronaut.png');
  expect((await project(page)).images.map((i) => i.fileName)).toEqual(['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg']);
  await expect(page.getByTestId('backend')).toContainText(/WASM|WebGPU/);

  // the next image is encoded ahead of time while the user is idle
  await expect(page.locator('nav li', { hasText: 'chelsea.png' })).toHaveAttribute('data-embedding', 'ready', { timeout: 60_000 });
  await page.keyboard.press('ArrowRight');
  expect((await currentImage(page))?.fileName).toBe('chelsea.png');
  await ready(page);
  await page.keyboard.press('ArrowLeft');
  expect((await currentImage(page))?.fileName).toBe('astronaut.png');
  await ready(page);

  // a second category, chosen with key 2
  await page.getByRole('button', { name: 'Add category' }).click();
  const name = page.getByRole('textbox', { name: 'Category name' }).nth(1);
  await name.fill('helmet');
  await name.press('Enter');
  await page.keyboard.press('1');
  await page.keyboard.press('2');
  let proj = await project(page);
  expect(proj.categories.map((c) => c.name)).toEqual(['object', 'helmet']);

  // the helmet at the bottom right of the astronaut photo
  const p = await clientOf(page, 420, 420);
  await page.mouse.click(p.x, p.y);
  expect((await liveMask(page))?.area).toBeGreaterThan(1000);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  proj = await project(page);
  expect(proj.annotations[0]).toMatchObject({ categoryId: 2, imageId: first!.id, source: 'points' });
  expect(await liveMask(page)).toBeNull();

  // Enter with nothing to accept makes nothing
  await page.keyboard.press('Enter');
  expect((await project(page)).annotations).toHaveLength(1);

  // select in the list, delete with the Delete key
  await page.locator('ul.annotations li').first().click();
  await expect(page.locator('ul.annotations li.current')).toHaveCount(1);
  await page.keyboard.press('Delete');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(0);
});

test('wheel zooms at the cursor and imageToClient follows zoom and pan', async ({ page }) => {
  await gotoApp(page);
  await ready(page);
  const a = await clientOf(page, 256, 256);
  const b0 = await clientOf(page, 100, 100);
  await page.mouse.move(a.x, a.y);
  await page.mouse.wheel(0, -400);
  await expect.poll(async () => (await clientOf(page, 100, 100)).x).toBeLessThan(b0.x - 20);
  const a1 = await clientOf(page, 256, 256);
  expect(Math.abs(a1.x - a.x)).toBeLessThan(1);
  expect(Math.abs(a1.y - a.y)).toBeLessThan(1);
  // pan with the middle button
  await page.mouse.down({ button: 'middle' });
  await page.mouse.move(a.x + 50, a.y + 30, { steps: 3 });
  await page.mouse.up({ button: 'middle' });
  const a2 = await clientOf(page, 256, 256);
  expect(a2.x - a1.x).toBeCloseTo(50, 0);
  expect(a2.y - a1.y).toBeCloseTo(30, 0);
  // a click at the zoomed, panned position lands on the same image pixel: the mask contains it
  await page.mouse.click(a2.x, a2.y);
  const m = await liveMask(page);
  expect(m).not.toBeNull();
  const prompts = (await page.evaluate(() => document.querySelector('[data-testid=live-info]')?.textContent)) ?? '';
  expect(prompts).toContain('1 fg');
});

test('open a folder: its images are added (with their relative paths), other files skipped', async ({ page }) => {
  const { mkdtempSync, copyFileSync, writeFileSync, mkdirSync } = await import('node:fs');
  const { join, resolve } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const root = mkdtempSync(join(tmpdir(), 'folder-'));
  const dir = join(root, 'shoot1');
  mkdirSync(dir);
  copyFileSync(resolve(import.meta.dirname, '../public/samples/coffee.png'), join(dir, 'a_coffee.png'));
  copyFileSync(resolve(import.meta.dirname, '../public/samples/rocket.jpg'), join(dir, 'b_rocket.jpg'));
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
  await gotoApp(page);
  await page.getByTestId('folder-input').setInputFiles(dir);
  await ready(page);
  const cur = await currentImage(page);
  expect(cur?.fileName).toBe('shoot1/a_coffee.png');
  const names = (await project(page)).images.map((i) => i.fileName);
  expect(names).toContain('shoot1/b_rocket.jpg');
  expect(names.some((n) => n.includes('notes'))).toBe(false);
});
