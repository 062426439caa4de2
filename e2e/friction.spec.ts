/** Friction a team found in a day of use (issue 28), each reproduced first and then fixed. */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { clientOf, editorState, gotoApp, liveMask, openImages, project, ready, SAMPLES } from './helpers.ts';

test('a minute with no input is not counted: the clock stops at the last input, says it is paused, and the mask records active time only', async ({
  page,
}) => {
  await page.clock.install();
  await gotoApp(page);
  await openImages(page, [resolve(SAMPLES, 'chelsea.png')]);
  await ready(page);
  const p = await clientOf(page, 180, 170);
  await page.mouse.click(p.x, p.y);
  await liveMask(page);
  // the annotator leaves the mouse for 70 s
  await page.clock.fastForward(70_000);
  const idle = await editorState(page);
  expect(idle.timer.status).toBe('paused');
  expect(idle.timer.elapsedMs).toBeLessThan(2_000);
  await expect(page.getByTestId('timer-paused')).toContainText('no input for a minute');
  await expect(page.getByTestId('timer-elapsed')).toHaveText('0:00');
  // nothing is over budget
  await expect(page.getByTestId('timer')).not.toHaveClass(/over/);
  // back at work: a second click and 5 s more, then Enter
  const q = await clientOf(page, 200, 180);
  await page.mouse.click(q.x, q.y);
  await liveMask(page);
  await page.clock.fastForward(5_000);
  const back = await editorState(page);
  expect(back.timer.status).toBe('running');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  const timeMs = (await project(page)).annotations[0]!.timeMs!;
  expect(timeMs).toBeGreaterThanOrEqual(5_000);
  expect(timeMs).toBeLessThan(8_000);
});

test('the category picker creates the category typed when none matches, and chooses it', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [resolve(SAMPLES, 'chelsea.png')]);
  await ready(page);
  await page.keyboard.press('c');
  const search = page.getByRole('textbox', { name: 'Category search' });
  await search.fill('person');
  await expect(page.getByRole('option', { name: /Create “person”/ })).toBeVisible();
  await search.press('Enter');
  await expect(page.getByRole('dialog', { name: 'Choose a category' })).toBeHidden();
  const proj = await project(page);
  const person = proj.categories.find((c) => c.name === 'person');
  expect(person).toBeTruthy();
  expect((await editorState(page)).currentCategoryId).toBe(person!.id);
  // a name that matches is chosen, not made again
  await page.keyboard.press('c');
  await page.getByRole('textbox', { name: 'Category search' }).fill('pers');
  await page.getByRole('textbox', { name: 'Category search' }).press('Enter');
  expect((await project(page)).categories.filter((c) => c.name === 'person')).toHaveLength(1);
});

test('a page of `npm start` (no project server) logs no error: the server probe is answered, not a 404', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await gotoApp(page);
  await ready(page);
  await page.waitForTimeout(500);
  expect(errors.filter((e) => /404|api\/health/.test(e))).toEqual([]);
  // the app knows it has no server
  expect((await page.evaluate(() => window.annotator.server.status())).available).toBe(false);
});

test('long file names are cut in the middle: the end, where dataset names differ, stays visible in the image list', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'names-'));
  const prefix = 'an-annotation-team-dataset-with-long-names-000000';
  const files = ['005802.png', '005803.png'].map((end) => {
    const f = join(dir, prefix + end);
    copyFileSync(resolve(SAMPLES, 'chelsea.png'), f);
    return f;
  });
  await page.setViewportSize({ width: 1280, height: 720 });
  await gotoApp(page);
  await openImages(page, files);
  await ready(page);
  for (const end of ['005802.png', '005803.png']) {
    const row = page.locator('nav li', { hasText: end });
    await expect(row).toHaveCount(1);
    const tail = row.locator('.tail');
    await expect(tail).toBeVisible();
    expect(await tail.textContent()).toMatch(new RegExp(`${end.replace('.', '\\.')}$`));
    // the tail is inside the row's name box, not clipped away
    const box = (await row.locator('.name').boundingBox())!;
    const t = (await tail.boundingBox())!;
    expect(t.x + t.width).toBeLessThanOrEqual(box.x + box.width + 0.5);
    expect(t.width).toBeGreaterThan(40);
  }
  await page.screenshot({ path: test.info().outputPath('long-names.png') });
});

test('files dragged over the window are shown where they will land (a drop highlight), and it goes when they leave or drop', async ({
  page,
}) => {
  await gotoApp(page);
  await ready(page);
  const hint = page.getByTestId('drop-hint');
  await expect(hint).toBeHidden();
  const files = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['x'], 'photo.png', { type: 'image/png' }));
    return dt;
  });
  const stage = page.locator('main');
  await stage.dispatchEvent('dragenter', { dataTransfer: files });
  await stage.dispatchEvent('dragover', { dataTransfer: files });
  await expect(hint).toBeVisible();
  await expect(hint).toContainText('Drop');
  await stage.dispatchEvent('dragleave', { dataTransfer: files });
  await expect(hint).toBeHidden();
  // dragging text (not files) shows nothing
  const text = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.setData('text/plain', 'hello');
    return dt;
  });
  await stage.dispatchEvent('dragenter', { dataTransfer: text });
  await expect(hint).toBeHidden();
});

test('colours agree: with masks coloured by instance, the list shows each mask in the colour the canvas draws it', async ({ page }) => {
  const { instanceColor } = await import('../src/core/project/palette.ts');
  const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
  await gotoApp(page);
  await openImages(page, [resolve(SAMPLES, 'chelsea.png')]);
  await ready(page);
  for (const [x, y] of [
    [180, 170],
    [420, 40],
  ] as const) {
    const p = await clientOf(page, x, y);
    // Alt: a point even where an accepted mask is
    await page.keyboard.down('Alt');
    await page.mouse.click(p.x, p.y);
    await page.keyboard.up('Alt');
    await liveMask(page);
    await page.keyboard.press('Enter');
  }
  await expect.poll(async () => (await project(page)).annotations.length).toBe(2);
  for (const a of (await project(page)).annotations) {
    const swatch = page.locator('.annotations-panel li', { hasText: `#${a.id} ` }).locator('.swatch');
    await expect(swatch).toHaveCSS('background-color', rgb(instanceColor(a.id)));
  }
});

test('"Add category" puts the cursor in the new name, selected: typing names it, Enter goes back to the keys', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [resolve(SAMPLES, 'chelsea.png')]);
  await ready(page);
  await page.getByRole('button', { name: 'Add category' }).click();
  const field = page.getByRole('textbox', { name: 'Category name' }).nth(1);
  await expect(field).toBeFocused();
  await page.keyboard.type('helmet');
  await page.keyboard.press('Enter');
  await expect(field).not.toBeFocused();
  expect((await project(page)).categories.map((c) => c.name)).toEqual(['object', 'helmet']);
  // the keys work again: 1 chooses the first category
  await page.keyboard.press('1');
  expect((await editorState(page)).currentCategoryId).toBe((await project(page)).categories[0]!.id);
  // Escape leaves the name as it is
  await page.getByRole('button', { name: 'Add category' }).click();
  const third = page.getByRole('textbox', { name: 'Category name' }).nth(2);
  await expect(third).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(third).not.toBeFocused();
  expect((await project(page)).categories.map((c) => c.name)).toEqual(['object', 'helmet', 'category 3']);
});

test('"New" asks for the project’s name (the name field, selected) and never repeats a name in the switcher', async ({ page }) => {
  await gotoApp(page);
  await ready(page);
  const nameField = page.getByRole('textbox', { name: 'Project name' });
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect(nameField).toBeFocused();
  await page.keyboard.type('Street scenes');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).name).toBe('Street scenes');
  // a new project left unnamed, twice: each gets a name of its own
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect(nameField).toBeFocused();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.keyboard.press('Enter');
  const switcher = page.getByRole('combobox', { name: 'Open project' });
  await switcher.focus();
  await expect
    .poll(async () => {
      const names = (await switcher.locator('option').allTextContents()).map((t) => t.replace(/ \(\d+\)$/, ''));
      return names.length === new Set(names).size && names.includes('Street scenes') && names.length >= 4;
    })
    .toBe(true);
});
