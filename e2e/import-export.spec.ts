import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { CocoDataset, CocoExportOptions } from '../src/core/coco/export.ts';
import { parseCoco } from '../src/core/coco/import.ts';
import { maskIou } from '../src/core/mask/iou.ts';
import { maskFromPolygons } from '../src/core/mask/polygon.ts';
import { maskFromRle, type CocoRle } from '../src/core/mask/rle.ts';
import { currentImage, gotoApp, openImages, project, ready, SHARED } from './helpers.ts';

const COCO_DIR = resolve(SHARED, 'datasets/coco-val2017-tiny');
const COCO_JSON = resolve(COCO_DIR, 'instances_val2017.json');
const raw = JSON.parse(readFileSync(COCO_JSON, 'utf8')) as {
  images: { id: number; file_name: string }[];
  annotations: { image_id: number }[];
};
const reference = parseCoco(raw);

async function exportCoco(page: Page, options: CocoExportOptions): Promise<CocoDataset> {
  return page.evaluate((o) => window.annotator.exportCoco(o), options);
}

test('COCO import before the images: annotations wait, attach when the files are opened, and export unchanged', async ({ page }) => {
  await gotoApp(page);
  await page.locator('input[type=file][accept*=".json"]').setInputFiles(COCO_JSON);
  await expect(page.getByRole('status').filter({ hasText: 'Imported 382 masks' })).toBeVisible();
  let proj = await project(page);
  expect(proj.annotations).toHaveLength(382);
  expect(proj.annotations.filter((a) => a.iscrowd)).toHaveLength(5);

  // open three of its images: they join their annotations (no duplicates in the list)
  const names = raw.images.slice(0, 3).map((im) => im.file_name);
  await page.locator('input[type=file][accept*="image/"]').setInputFiles(names.map((n) => resolve(COCO_DIR, 'images', n)));
  await ready(page);
  expect((await currentImage(page))?.fileName).toBe(names[0]);
  proj = await project(page);
  expect(proj.images.filter((im) => names.includes(im.fileName))).toHaveLength(3);

  // RLE export: every mask identical to the file's (rasterized by the reference rules)
  const coco = await exportCoco(page, { segmentation: 'rle' });
  expect(coco.annotations).toHaveLength(382);
  // the file's ids come back (annotations, images), so each is matched with its own reference
  const fileName = new Map(coco.images.map((im) => [im.id, im.file_name]));
  const refById = new Map(reference.annotations.map((a) => [a.cocoId, a]));
  for (const a of coco.annotations) {
    const seg = a.segmentation as CocoRle;
    const ref = refById.get(a.id);
    expect(ref, `annotation ${a.id}`).toBeDefined();
    expect(fileName.get(a.image_id)).toBe(reference.images.find((im) => im.cocoId === ref!.imageCocoId)!.fileName);
    expect(a.image_id).toBe(ref!.imageCocoId);
    expect(seg.counts).toBe(ref!.segmentation!.counts);
    expect(a.iscrowd).toBe(ref!.iscrowd ? 1 : 0);
  }

  // polygon export: every part and hole kept within IoU 0.98
  const poly = await exportCoco(page, { segmentation: 'polygon' });
  for (const a of poly.annotations) {
    if (!Array.isArray(a.segmentation)) continue;
    const im = poly.images.find((x) => x.id === a.image_id)!;
    const orig = coco.annotations.find((x) => x.id === a.id)!.segmentation as CocoRle;
    expect(maskIou(maskFromPolygons(a.segmentation, im.width, im.height), maskFromRle(orig))).toBeGreaterThanOrEqual(0.98);
  }
});

test('a malformed COCO file is refused with the field that is wrong, and nothing is imported', async ({ page }) => {
  const bad = JSON.parse(readFileSync(COCO_JSON, 'utf8')) as { annotations: Record<string, unknown>[] };
  bad.annotations[7]!['segmentation'] = { size: [10, 10], counts: 'abc' };
  const dir = mkdtempSync(join(tmpdir(), 'coco-'));
  const badFile = join(dir, 'broken.json');
  writeFileSync(badFile, JSON.stringify(bad));
  const notJson = join(dir, 'truncated.json');
  writeFileSync(notJson, readFileSync(COCO_JSON, 'utf8').slice(0, 1000));

  await gotoApp(page);
  await page.locator('input[type=file][accept*=".json"]').setInputFiles(badFile);
  await expect(
    page.getByRole('alert').filter({ hasText: 'broken.json is not a valid COCO file: annotations[7].segmentation.size: expected' }),
  ).toBeVisible();
  await page.locator('input[type=file][accept*=".json"]').setInputFiles(notJson);
  await expect(page.getByRole('alert').filter({ hasText: 'truncated.json is not valid JSON' })).toBeVisible();
  const proj = await project(page);
  expect(proj.annotations).toHaveLength(0);
  expect(proj.categories.map((c) => c.name)).toEqual(['object']);
});

test('export dialog: mask PNGs and YOLO zips hold the accepted mask; polygon fidelity is shown', async ({ page }) => {
  const { unzipSync } = await import('fflate');
  const { decodePng } = await import('../src/core/image/png.ts');
  await gotoApp(page);
  await ready(page);
  const { clientOf, liveMask } = await import('./helpers.ts');
  const p = await clientOf(page, 420, 420);
  await page.mouse.click(p.x, p.y);
  const live = await liveMask(page);
  const mask = maskFromRle(live!.rle);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);

  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export' });
  await dialog.getByLabel(/Mask PNGs/).check();
  let [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Export', exact: true }).click()]);
  let zip = unzipSync(readFileSync(await download.path()));
  const binary = Object.keys(zip).find((k) => k.startsWith('masks/astronaut/'))!;
  const png = decodePng(zip[binary]!);
  expect([png.width, png.height]).toEqual([512, 512]);
  expect([...png.data].map((v) => (v ? 1 : 0))).toEqual([...mask]);
  expect(Array.from(decodePng(zip['instances/astronaut.png']!).data).filter((v) => v === 1).length).toBe(live!.area);

  await page.getByRole('button', { name: 'Export…' }).click();
  await dialog.getByLabel(/YOLO/).check();
  await expect(dialog.getByTestId('fidelity')).toContainText('IoU ≥');
  [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Export', exact: true }).click()]);
  zip = unzipSync(readFileSync(await download.path()));
  expect(Object.keys(zip)).toEqual(
    expect.arrayContaining(['data.yaml', 'labels/astronaut.txt', 'images/astronaut.png', 'labels/chelsea.txt']),
  );
  expect(new TextDecoder().decode(zip['labels/chelsea.txt'])).toBe('');
  const line = new TextDecoder().decode(zip['labels/astronaut.txt']).trim().split(' ');
  expect(line[0]).toBe('0');
  const poly = line
    .slice(1)
    .map(Number)
    .map((v) => v * 512);
  expect(maskIou(maskFromPolygons([poly], 512, 512), mask)).toBeGreaterThan(0.97);
  expect(zip['images/astronaut.png']!.length).toBe(readFileSync(resolve(import.meta.dirname, '../public/samples/astronaut.png')).length);
});

test('mask PNGs import: an instance-id PNG written by the mask export gives back the same masks', async ({ page }) => {
  const { unzipSync } = await import('fflate');
  const { clientOf, liveMask } = await import('./helpers.ts');
  await gotoApp(page);
  await ready(page);
  const masks: Uint8Array[] = [];
  for (const [x, y] of [
    [420, 420],
    [256, 120],
  ]) {
    const p = await clientOf(page, x!, y!);
    await page.mouse.click(p.x, p.y);
    masks.push(maskFromRle((await liveMask(page))!.rle));
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await project(page)).annotations.length).toBe(masks.length);
  }
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export' });
  await dialog.getByLabel(/Mask PNGs/).check();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Export', exact: true }).click(),
  ]);
  const zip = unzipSync(readFileSync(await download.path()));
  const dir = mkdtempSync(join(tmpdir(), 'masks-'));
  const file = join(dir, 'astronaut_instances.png');
  writeFileSync(file, zip['instances/astronaut.png']!);
  const wrong = join(dir, 'nothing_like_it.png');
  writeFileSync(wrong, zip['instances/astronaut.png']!);

  // a new, empty project (the current one is kept in the browser), with the photo opened again
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect.poll(async () => (await project(page)).images.length).toBe(0);
  await openImages(page, [resolve(import.meta.dirname, '../public/samples/astronaut.png')]);
  await ready(page);
  // a file that matches no image: nothing is imported, and the message names it
  await page.locator('input[type=file][accept=".png"]').setInputFiles([file, wrong]);
  await expect(page.getByRole('alert').filter({ hasText: 'No masks were imported' })).toContainText('nothing_like_it.png');
  expect((await project(page)).annotations).toHaveLength(0);
  await page.locator('input[type=file][accept=".png"]').setInputFiles(file);
  await expect.poll(async () => (await project(page)).annotations.length).toBe(2);
  const anns = (await project(page)).annotations;
  // later annotations are drawn on top in an instance PNG: compare the visible parts
  const second = maskFromRle(anns[1]!.segmentation);
  expect(maskIou(second, masks[1]!)).toBe(1);
  const first = maskFromRle(anns[0]!.segmentation);
  const visibleFirst = masks[0]!.map((v, i) => (v && !masks[1]![i] ? 1 : 0));
  expect(maskIou(first, visibleFirst)).toBe(1);
  expect(anns.every((a) => a.source === 'import')).toBe(true);
});

test('bbox-only COCO annotations wait as boxes and become SAM proposals (source auto) on request', async ({ page }) => {
  const { referenceMask } = await import('./helpers.ts');
  const coffee = resolve(import.meta.dirname, '../public/samples/coffee.png');
  const dir = mkdtempSync(join(tmpdir(), 'boxes-'));
  const file = join(dir, 'boxes.json');
  writeFileSync(
    file,
    JSON.stringify({
      images: [{ id: 7, file_name: 'coffee.png', width: 600, height: 400 }],
      categories: [{ id: 3, name: 'cup' }],
      annotations: [{ id: 1, image_id: 7, category_id: 3, bbox: [90, 30, 380, 330], iscrowd: 0, area: 125400 }],
    }),
  );
  await gotoApp(page);
  await ready(page);
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect.poll(async () => (await project(page)).images.length).toBe(0);
  await page.locator('input[type=file][accept*=".json"]').setInputFiles(file);
  await expect(page.getByRole('status').filter({ hasText: '1 box waiting to become masks' })).toBeVisible();
  await openImages(page, [coffee]);
  await ready(page);
  await page.getByRole('button', { name: 'Masks from boxes (1)' }).click();
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  const proj = await project(page);
  expect(proj.pendingBoxes).toHaveLength(0);
  const ann = proj.annotations[0]!;
  expect(ann.source).toBe('auto');
  expect(ann.review).toBe('pending');
  expect(proj.categories.find((c) => c.id === ann.categoryId)?.name).toBe('cup');
  const ref = await referenceMask(coffee, { points: [], box: { x0: 90, y0: 30, x1: 470, y1: 360 } });
  expect(maskIou(maskFromRle(ann.segmentation), ref.mask)).toBeGreaterThanOrEqual(0.99);
  // the proposal is selected for review: Enter accepts it as it is
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations[0]!.review).toBe('accepted');
});
