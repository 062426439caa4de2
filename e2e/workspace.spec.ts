import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { rleFromMask } from '../src/core/mask/rle.ts';
import { clientOf, currentImage, editorState, gotoApp, openImages, project, ready, SAMPLES, SHARED } from './helpers.ts';

const CAT = resolve(SAMPLES, 'chelsea.png');
const W = 451;
const H = 300;

function rect(x0: number, y0: number, x1: number, y1: number) {
  const m = new Uint8Array(W * H);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 1;
  return { segmentation: rleFromMask(m, W, H), area: (x1 - x0) * (y1 - y0), bbox: [x0, y0, x1 - x0, y1 - y0] };
}

/** chelsea.png with three masks: a big one, a small one inside it, and another apart. */
async function threeMasks(page: Page): Promise<{ big: number; small: number; other: number }> {
  await gotoApp(page);
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await openImages(page, [CAT]);
  await ready(page);
  const coco = {
    images: [{ id: 1, file_name: 'chelsea.png', width: W, height: H }],
    categories: [
      { id: 1, name: 'big' },
      { id: 2, name: 'small' },
      { id: 3, name: 'other' },
    ],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, iscrowd: 0, ...rect(40, 40, 300, 260) },
      { id: 2, image_id: 1, category_id: 2, iscrowd: 0, ...rect(120, 100, 180, 160) },
      { id: 3, image_id: 1, category_id: 3, iscrowd: 0, ...rect(340, 180, 430, 280) },
    ],
  };
  await page
    .locator('input[type=file][accept*=".json"]')
    .setInputFiles({ name: 'three.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(coco)) });
  await expect.poll(async () => (await project(page)).annotations.length).toBe(3);
  const p = await project(page);
  const id = (name: string) => p.annotations.find((a) => p.categories.find((c) => c.id === a.categoryId)!.name === name)!.id;
  return { big: id('big'), small: id('small'), other: id('other') };
}

/** Moves the pointer to image pixel (x, y) until the stage reports what is under it. */
async function hoverExpect(page: Page, x: number, y: number, id: number | '') {
  await expect
    .poll(async () => {
      const p = await clientOf(page, x, y);
      await page.mouse.move(p.x + 1, p.y);
      await page.mouse.move(p.x, p.y);
      return page.getByTestId('stage').getAttribute('data-hovered');
    })
    .toBe(String(id));
}

async function selected(page: Page): Promise<number | null> {
  return page.evaluate(() => window.annotator.review().selected);
}

test('hovering a mask highlights it, a click selects exactly it, repeated clicks cycle through overlapping masks', async ({ page }) => {
  const ids = await threeMasks(page);
  await hoverExpect(page, 150, 130, ids.small);
  await hoverExpect(page, 60, 60, ids.big);
  await hoverExpect(page, 10, 10, '');
  await hoverExpect(page, 380, 220, ids.other);

  // where two overlap: the smaller first, then the one under it, then round again
  const p = await clientOf(page, 150, 130);
  const seen: (number | null)[] = [];
  for (let k = 0; k < 3; k++) {
    await page.mouse.click(p.x, p.y);
    seen.push(await selected(page));
  }
  expect(seen).toEqual([ids.small, ids.big, ids.small]);
  await expect(page.getByTestId('selection-handles')).toContainText(`#${ids.small}`);
  // a click on the other mask selects it and places no point
  const q = await clientOf(page, 380, 220);
  await page.mouse.click(q.x, q.y);
  expect(await selected(page)).toBe(ids.other);
  expect((await editorState(page)).prompts.points).toHaveLength(0);
  // the handles change its category
  await page.getByLabel('Category of the selected annotation').selectOption({ label: 'big' });
  const a = (await project(page)).annotations.find((x) => x.id === ids.other)!;
  expect((await project(page)).categories.find((c) => c.id === a.categoryId)!.name).toBe('big');
  // Alt+click places a point even over a mask
  await page.keyboard.down('Alt');
  await page.mouse.click(p.x, p.y);
  await page.keyboard.up('Alt');
  await expect.poll(async () => (await editorState(page)).prompts.points.length).toBe(1);
});

/** The stage's pixels (a screenshot of the canvas) at image pixel (x, y). */
async function stagePixels(page: Page, points: [number, number][]): Promise<number[][]> {
  const shot = PNG.sync.read(await page.getByTestId('stage').screenshot());
  const box = (await page.getByTestId('stage').boundingBox())!;
  const out: number[][] = [];
  for (const [x, y] of points) {
    const c = await clientOf(page, x + 0.5, y + 0.5);
    const px = Math.floor(c.x - box.x);
    const py = Math.floor(c.y - box.y);
    const i = (py * shot.width + px) * 4;
    out.push([shot.data[i]!, shot.data[i + 1]!, shot.data[i + 2]!]);
  }
  return out;
}

test('hiding a category hides its masks on the canvas and nothing else; the photo shows through', async ({ page }) => {
  await threeMasks(page);
  await page.mouse.move(0, 0);
  const points: [number, number][] = [
    [60, 240], // big only
    [150, 130], // small (over big)
    [400, 270], // other
    [440, 20], // no mask
  ];
  const photo = PNG.sync.read(readFileSync(CAT));
  const photoAt = ([x, y]: [number, number]) => [...photo.data.slice((y * W + x) * 4, (y * W + x) * 4 + 3)];
  const near = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) <= 12;
  // the imported masks are drawn by the worker after the import: wait until they are on the canvas
  let before: number[][] = [];
  await expect
    .poll(async () => {
      before = await stagePixels(page, points);
      return !near(before[0]!, photoAt(points[0]!)) && !near(before[2]!, photoAt(points[2]!));
    })
    .toBe(true);
  // masks are drawn where they are, nowhere else
  expect(near(before[0]!, photoAt(points[0]!))).toBe(false);
  expect(near(before[2]!, photoAt(points[2]!))).toBe(false);
  expect(near(before[3]!, photoAt(points[3]!))).toBe(true);

  await page.getByRole('button', { name: 'Hide big' }).click();
  await expect(page.getByRole('button', { name: 'Show big' })).toBeVisible();
  await expect.poll(async () => near((await stagePixels(page, [points[0]!]))[0]!, photoAt(points[0]!))).toBe(true);
  const after = await stagePixels(page, points);
  // the other masks are still drawn exactly as before
  expect(near(after[1]!, photoAt(points[1]!))).toBe(false);
  expect(after[2]).toEqual(before[2]);
  expect(after[3]).toEqual(before[3]);
  // a hidden mask cannot be selected on the canvas
  const p = await clientOf(page, 60, 240);
  await page.mouse.click(p.x, p.y);
  expect(await selected(page)).toBeNull();
});

test('the category picker finds the right category among 80 imported ones and relabels the selected annotation', async ({ page }) => {
  const ids = await threeMasks(page);
  await page.locator('input[type=file][accept*=".json"]').setInputFiles(join(SHARED, 'datasets/coco-val2017-tiny/instances_val2017.json'));
  await expect.poll(async () => (await project(page)).categories.length).toBeGreaterThanOrEqual(83);
  // the category list scrolls on its own: the annotation list stays on screen
  await expect(page.locator('ul.annotations')).toBeInViewport();
  await page.keyboard.press('c');
  const search = page.getByRole('textbox', { name: 'Category search' });
  await expect(search).toBeFocused();
  await search.fill('tooth');
  await expect(page.getByRole('listbox', { name: 'Categories' }).getByRole('option')).toHaveText(['toothbrush']);
  await page.keyboard.press('Enter');
  await expect(search).toBeHidden();
  const current = await page.locator('ul.categories li.current input.cat-name').inputValue();
  expect(current).toBe('toothbrush');

  // with a mask selected, the picker relabels it
  const q = await clientOf(page, 380, 220);
  await page.mouse.click(q.x, q.y);
  expect(await selected(page)).toBe(ids.other);
  await page.keyboard.press('c');
  await page.keyboard.type('hair d');
  await page.keyboard.press('Enter');
  const p = await project(page);
  const a = p.annotations.find((x) => x.id === ids.other)!;
  expect(p.categories.find((c) => c.id === a.categoryId)!.name).toBe('hair drier');
});

test('after Enter the tool is Points again (a setting keeps the tool)', async ({ page }) => {
  await gotoApp(page);
  await ready(page);
  expect((await currentImage(page))?.fileName).toBe('astronaut.png');
  await page.keyboard.press('d');
  const a = await clientOf(page, 100, 100);
  const b = await clientOf(page, 160, 120);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  expect((await editorState(page)).tool).toBe('points');

  await page.getByTestId('display-panel').locator('summary').click();
  await page.getByLabel('Back to Points after Enter').uncheck();
  await page.keyboard.press('e');
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.press('d');
  await page.mouse.move(b.x, b.y);
  await page.mouse.down();
  await page.mouse.move(a.x, a.y + 30, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(2);
  expect((await editorState(page)).tool).toBe('brush');
});

test('image list: status filters with counts list only the images in that state; Ctrl+Enter marks done and moves on', async ({ page }) => {
  await gotoApp(page);
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await openImages(page, [CAT, resolve(SAMPLES, 'coffee.png'), resolve(SAMPLES, 'rocket.jpg')]);
  await ready(page);
  // chelsea: one accepted mask (in progress)
  const p = await clientOf(page, 180, 170);
  await page.mouse.click(p.x, p.y);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  // coffee: marked done; the next image not done (rocket) is shown
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Control+Enter');
  await expect.poll(async () => (await currentImage(page))?.fileName).toBe('rocket.jpg');
  // an image an import names, whose file is not open
  const coco = { images: [{ id: 1, file_name: 'absent.png', width: 10, height: 10 }], categories: [], annotations: [] };
  await page
    .locator('input[type=file][accept*=".json"]')
    .setInputFiles({ name: 'a.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(coco)) });
  await expect.poll(async () => (await project(page)).images.length).toBe(4);

  const list = page.getByTestId('image-list').locator('li');
  const expectFilter = async (id: string, names: string[]) => {
    await page.getByTestId(`image-filter-${id}`).click();
    await expect(list.locator('.name')).toHaveText(names);
    await expect(page.getByTestId(`image-filter-${id}`).locator('.count')).toHaveText(String(names.length));
  };
  await expectFilter('in-progress', ['chelsea.png']);
  await expectFilter('done', ['coffee.png']);
  await expectFilter('not-started', ['rocket.jpg']);
  await expectFilter('missing', ['absent.png']);
  await expect(list.first()).toContainText('file missing');
  await expectFilter('all', ['chelsea.png', 'coffee.png', 'rocket.jpg', 'absent.png']);
  // search by name
  await page.getByLabel('Search images').fill('cof');
  await expect(list.locator('.name')).toHaveText(['coffee.png']);
  // Shift+→ skips the done image
  await page.getByLabel('Search images').fill('');
  await page.locator('nav li', { hasText: 'chelsea.png' }).click();
  await page.keyboard.press('Shift+ArrowRight');
  await expect.poll(async () => (await currentImage(page))?.fileName).toBe('rocket.jpg');
  // undo: coffee is not done any more
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('image-filter-done').locator('.count')).toHaveText('0');
});

test('the mask clock does not count the time the shown image is encoding, and says so', async ({ page }) => {
  await page.clock.install();
  await gotoApp(page);
  await ready(page);
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await openImages(page, [resolve(SAMPLES, 'coffee.png')]);
  await expect.poll(async () => (await currentImage(page))?.fileName).toBe('coffee.png');
  // a click while the image is still encoding starts the clock, which waits with the annotator
  await expect(page.getByTestId('busy')).toHaveAttribute('data-waiting', 'encoding');
  const p = await clientOf(page, 300, 200);
  await page.mouse.click(p.x, p.y);
  await expect(page.getByTestId('timer-paused')).toContainText('waiting for the model');
  await page.clock.fastForward(20_000);
  await ready(page);
  await expect(page.getByTestId('busy')).toBeHidden();
  await page.clock.fastForward(5_000);
  const elapsed = (await editorState(page)).timer.elapsedMs;
  // the 5 s after the image was ready (and the real seconds the test itself took), not the 20 s of waiting
  expect(elapsed).toBeGreaterThanOrEqual(5_000);
  expect(elapsed).toBeLessThan(15_000);
});
