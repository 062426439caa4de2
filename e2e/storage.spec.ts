import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { readRgbaImage } from '../src/node/image.ts';
import { clickImage, currentImage, editorState, gotoApp, liveMask, project, ready, SAMPLES } from './helpers.ts';

/** A project as version 1 of the app saved it: one JSON value per project, skipped objects without ids. */
async function writeV1Database(page: import('@playwright/test').Page): Promise<void> {
  await page.evaluate(async () => {
    const blob = await (await fetch('/samples/coffee.png')).blob();
    const bmp = await createImageBitmap(blob);
    const [w, h] = [bmp.width, bmp.height];
    // a 10x10 square at (5, 5), as COCO RLE counts (column-major runs)
    const counts: number[] = [];
    let last = 0;
    let run = 0;
    for (let x = 0; x < w; x++)
      for (let y = 0; y < h; y++) {
        const v = x >= 5 && x < 15 && y >= 5 && y < 15 ? 1 : 0;
        if (v !== last) {
          counts.push(run);
          run = 0;
          last = v;
        }
        run++;
      }
    counts.push(run);
    const project = {
      name: 'old work',
      images: [{ id: 1, fileName: 'coffee.png', width: w, height: h }],
      categories: [
        { id: 1, name: 'cup', color: '#e6194b' },
        { id: 2, name: 'spoon', color: '#3cb44b' },
      ],
      annotations: [
        {
          id: 1,
          imageId: 1,
          categoryId: 2,
          segmentation: { size: [h, w], counts },
          area: 100,
          bbox: [5, 5, 10, 10],
          score: null,
          prompts: { points: [], box: null },
          source: 'brush',
          createdAt: 1,
        },
      ],
      pendingBoxes: [],
      skipped: [{ imageId: 1, timeMs: 31000, clicks: 2, strokes: 0, at: 2 }],
    };
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open('sam-annotator', 1);
      req.onupgradeneeded = () => {
        const d = req.result;
        d.createObjectStore('projects', { keyPath: 'id' });
        d.createObjectStore('images', { keyPath: ['projectId', 'imageId'] }).createIndex('byProject', 'projectId');
        d.createObjectStore('meta');
      };
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const d = req.result;
        const tx = d.transaction(['projects', 'images', 'meta'], 'readwrite');
        tx.objectStore('projects').put({
          id: 'p-old',
          name: 'old work',
          updatedAt: 1,
          project,
          ui: { currentImageId: 1, currentCategoryId: 2, feedback: true, brushRadius: 8 },
        });
        tx.objectStore('images').put({ projectId: 'p-old', imageId: 1, name: 'coffee.png', blob });
        tx.objectStore('meta').put('p-old', 'current');
        tx.oncomplete = () => {
          d.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
    });
  });
}

test('a project saved by the previous version (one JSON per project) opens with everything, and new work is added to it', async ({
  page,
}) => {
  // a page of the app's origin that does not run the app, to write the old database first
  await page.goto('/samples/index.json');
  await writeV1Database(page);
  await gotoApp(page);
  await ready(page);
  const p = await project(page);
  expect(p.name).toBe('old work');
  expect(p.categories.map((c) => c.name)).toEqual(['cup', 'spoon']);
  expect(p.annotations).toHaveLength(1);
  expect(p.annotations[0]).toMatchObject({ id: 1, categoryId: 2, area: 100, bbox: [5, 5, 10, 10] });
  expect(p.skipped).toEqual([{ id: 1, imageId: 1, timeMs: 31000, clicks: 2, strokes: 0, at: 2 }]);
  expect((await currentImage(page))?.fileName).toBe('coffee.png');

  // new work gets new ids and survives a reload with the old
  await clickImage(page, 300, 200);
  await liveMask(page);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(2);
  const ids = (await project(page)).annotations.map((a) => a.id);
  expect(new Set(ids).size).toBe(2);
  await expect(page.getByTestId('save-state')).toHaveText('saved');
  await page.reload();
  await ready(page);
  expect((await project(page)).annotations.map((a) => a.id)).toEqual(ids);
});

test('a dialog takes the keyboard: keys do not reach the canvas behind it, Escape closes it', async ({ page }) => {
  await gotoApp(page);
  await ready(page);
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keys' });
  await expect(help).toBeVisible();
  // the list of keys is made from the action table
  await expect(help).toContainText('Undo your last step');
  await page.keyboard.press('d');
  await page.keyboard.press('ArrowRight');
  expect(await editorState(page)).toMatchObject({ tool: 'points' });
  expect((await currentImage(page))?.fileName).toBe('astronaut.png');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
  await page.keyboard.press('d');
  expect(await editorState(page)).toMatchObject({ tool: 'brush' });

  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export' });
  await expect(dialog).toBeVisible();
  await page.keyboard.press('e');
  expect(await editorState(page)).toMatchObject({ tool: 'brush' });
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

/** The photo layer's pixel at image pixel (x, y), and the image file's own pixel there. */
async function photoPixel(page: import('@playwright/test').Page, x: number, y: number) {
  return page.evaluate(
    async ([x, y]) => {
      const a = window.annotator;
      const p = a.imageToClient(x! + 0.5, y! + 0.5);
      const canvas = document.querySelector('[data-testid=stage] canvas') as HTMLCanvasElement;
      const r = canvas.getBoundingClientRect();
      const k = canvas.width / r.width;
      const d = canvas.getContext('2d')!.getImageData(Math.floor((p.x - r.left) * k), Math.floor((p.y - r.top) * k), 1, 1).data;
      return [d[0]!, d[1]!, d[2]!];
    },
    [x, y],
  );
}

test('a new project shows its own photo, not the previous project’s image with the same id', async ({ page }) => {
  await gotoApp(page);
  await ready(page);
  expect((await currentImage(page))?.fileName).toBe('astronaut.png');
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.locator('input[type=file][accept*="image/"]').setInputFiles([resolve(SAMPLES, 'coffee.png')]);
  await ready(page);
  expect((await currentImage(page))?.fileName).toBe('coffee.png');
  // coffee.png's own pixels (white saucer at the top left, dark coffee in the middle), not the astronaut's
  const ref = readRgbaImage(resolve(SAMPLES, 'coffee.png'));
  for (const [x, y] of [
    [20, 20],
    [200, 150],
    [500, 300],
  ] as const) {
    const want = [...ref.data.slice((y * ref.width + x) * 4, (y * ref.width + x) * 4 + 3)];
    await expect.poll(async () => Math.max(...(await photoPixel(page, x, y)).map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(24);
  }
});

test('"New" and a file opened at once while the app is still starting: the file lands in the new project, and the samples do not', async ({
  page,
}) => {
  await gotoApp(page);
  // no waiting for the start-up: as a quick user would
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.locator('input[type=file][accept*="image/"]').setInputFiles([resolve(SAMPLES, 'coffee.png')]);
  await ready(page);
  expect((await currentImage(page))?.fileName).toBe('coffee.png');
  const p = await project(page);
  expect(p.images.map((i) => i.fileName)).toEqual(['coffee.png']);
  // the start-up's own project got the samples (or nothing), never the new one
  await page.waitForTimeout(1500);
  expect((await project(page)).images.map((i) => i.fileName)).toEqual(['coffee.png']);
});

test('Enter then "New" at once: the accepted mask is saved in the project it was made in', async ({ page }) => {
  await gotoApp(page);
  await ready(page);
  await clickImage(page, 256, 200);
  await liveMask(page);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect.poll(async () => (await project(page)).images.length).toBe(0);
  // the stored annotation records of every project (the new one has none)
  const stored = async () =>
    page.evaluate(
      () =>
        new Promise<{ projectId: string; coll: string }[]>((resolve, reject) => {
          const req = indexedDB.open('sam-annotator');
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const get = req.result.transaction('records').objectStore('records').getAll();
            get.onsuccess = () => resolve((get.result as { projectId: string; coll: string }[]).filter((r) => r.coll === 'annotations'));
            get.onerror = () => reject(get.error);
          };
        }),
    );
  await expect.poll(async () => (await stored()).length).toBe(1);
});

test('a reload before the autosave lands still opens the image that was shown (the place is journaled)', async ({ page }) => {
  await gotoApp(page);
  await ready(page);
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('save-state')).toHaveText('saved');
  const before = (await currentImage(page))!.id;
  // a slow disk: another connection holds a write transaction on the projects' store, so the app's
  // next save (the shown image) waits behind it until the page goes
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('sam-annotator');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const store = req.result.transaction('projects', 'readwrite').objectStore('projects');
          const until = performance.now() + 20_000;
          const spin = () => {
            if (performance.now() < until) store.count().onsuccess = spin;
          };
          spin();
          resolve();
        };
      }),
  );
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => (await currentImage(page))!.id).not.toBe(before);
  const shown = (await currentImage(page))!.id;
  // past the 200 ms autosave delay: the write is queued, not landed
  await page.waitForTimeout(600);
  await expect(page.getByTestId('save-state')).not.toHaveText('saved');
  await page.reload();
  await ready(page);
  expect((await currentImage(page))!.id).toBe(shown);
});
