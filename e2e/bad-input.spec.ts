import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { clientOf, currentImage, gotoApp, liveMask, openImages, project, ready, SAMPLES } from './helpers.ts';

/** What `annotator.ready()` rejects with ('resolved' if it does not). */
function readyError(page: Page): Promise<string> {
  return page.evaluate(() =>
    window.annotator.ready().then(
      () => 'resolved',
      (e: Error) => e.message,
    ),
  );
}

/** A PNG whose header claims `w` x `h` pixels (the rest is missing). */
function pngHeader(w: number, h: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'ascii');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  b[24] = 8;
  b[25] = 2;
  return b;
}

test('bad files get a message naming them and the session goes on', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'bad-input-'));
  const zero = join(dir, 'zero.png');
  const corrupt = join(dir, 'corrupt.png');
  const text = join(dir, 'notes.txt');
  const huge = join(dir, 'huge.png');
  writeFileSync(zero, Buffer.alloc(0));
  writeFileSync(corrupt, readFileSync(resolve(SAMPLES, 'chelsea.png')).subarray(0, 2000));
  writeFileSync(text, 'not an image');
  writeFileSync(huge, pngHeader(20000, 15000));
  const svg = join(dir, 'logo.svg');
  writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');

  await gotoApp(page);
  await openImages(page, [zero, corrupt, text, huge, svg, resolve(SAMPLES, 'chelsea.png')]);
  const alerts = page.getByRole('alert');
  await expect(alerts.filter({ hasText: 'zero.png is empty (0 bytes)' })).toBeVisible();
  await expect(alerts.filter({ hasText: 'corrupt.png could not be decoded' })).toBeVisible();
  await expect(alerts.filter({ hasText: 'notes.txt is not an image' })).toBeVisible();
  await expect(alerts.filter({ hasText: 'huge.png is 20000 x 15000 px' })).toBeVisible();
  await expect(alerts.filter({ hasText: 'logo.svg is an SVG (vector) drawing' })).toContainText('Render it to PNG');
  await expect(alerts.filter({ hasText: 'logo.svg' })).not.toContainText('corrupt');

  // only the good file was added (besides the bundled samples), and it is shown and works
  await ready(page);
  expect(await currentImage(page)).toMatchObject({ fileName: 'chelsea.png', width: 451, height: 300 });
  const names = (await project(page)).images.map((i) => i.fileName);
  for (const bad of ['zero.png', 'corrupt.png', 'notes.txt', 'huge.png', 'logo.svg']) expect(names).not.toContain(bad);
  const p = await clientOf(page, 180, 170);
  await page.mouse.click(p.x, p.y);
  const m = await liveMask(page);
  expect(m?.area).toBeGreaterThan(10_000);
});

test('a model file with the wrong inputs is reported clearly and ready() rejects', async ({ page }) => {
  await gotoApp(page, '/?decoder=/models/encoder.onnx');
  const err = await readyError(page);
  expect(err).toContain('is not a SAM decoder');
  expect(err).toContain('missing input(s) image_embeddings');
  await expect(page.getByRole('alert').filter({ hasText: 'encoder.onnx is not a SAM decoder' })).toBeVisible();
  await expect(page.getByTestId('status')).toContainText('Model failed to load');
});

test('a model URL that is not an ONNX file is reported clearly', async ({ page }) => {
  await gotoApp(page, '/?encoder=/samples/index.json');
  const err = await readyError(page);
  expect(err).toContain('/samples/index.json could not be loaded as an ONNX model');
});

test('a model URL that does not answer gives one message, with a hint for another server, and the status says it failed', async ({
  page,
}) => {
  // an image is open (the samples): its encode must not repeat the model's error under its name
  await gotoApp(page, '/?decoder=http://127.0.0.1:9/sam.onnx');
  const err = await readyError(page);
  expect(err).toContain('Could not download the model file http://127.0.0.1:9/sam.onnx');
  await expect(page.getByTestId('status')).toContainText('Model failed to load');
  const alerts = page.getByRole('alert').filter({ hasText: 'sam.onnx' });
  await expect(alerts).toHaveCount(1);
  await expect(alerts).toContainText('another server');
  await expect(alerts).not.toContainText('app server is running');
  // later progress of the other model file does not bring "Downloading model…" back
  await page.waitForTimeout(3000);
  await expect(page.getByTestId('status')).toContainText('Model failed to load');
  await expect(page.getByRole('alert').filter({ hasText: 'sam.onnx' })).toHaveCount(1);
});

test('a missing model file is "not found" (the server answers 404, not the app page)', async ({ page, request }) => {
  const r = await request.get('/models/missing.onnx');
  expect(r.status()).toBe(404);
  await gotoApp(page, '/?decoder=/models/missing.onnx');
  const err = await readyError(page);
  expect(err).toContain('HTTP 404');
  expect(err).not.toContain('protobuf');
});

test('the server sends a CSP, nosniff, the ONNX type, and 404 for what is not there', async ({ request }) => {
  const page = await request.get('/');
  expect(page.status()).toBe(200);
  const csp = page.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain("'unsafe-eval'");
  expect(page.headers()['x-content-type-options']).toBe('nosniff');
  expect(page.headers()['cross-origin-embedder-policy']).toBe('require-corp');
  const model = await request.head('/models/encoder.onnx');
  expect(model.status()).toBe(200);
  expect(model.headers()['content-type']).toBe('application/octet-stream');
  expect(model.headers()['x-content-type-options']).toBe('nosniff');
  for (const path of ['/nope.js', '/models/nope.onnx', '/samples/nope.png', '/some/route', '/assets/'])
    expect((await request.get(path)).status(), path).toBe(404);
});

test('a 16-bit mask PNG with 65,535 instance ids is refused with the count, nothing is saved, and clicks still work', async ({ page }) => {
  const rejections: string[] = [];
  page.on('pageerror', (e) => rejections.push(e.message));
  const dir = mkdtempSync(join(tmpdir(), 'bad-input-'));
  await gotoApp(page);
  await openImages(page, [resolve(SAMPLES, 'chelsea.png')]);
  await ready(page);
  // chelsea.png is 451 x 300 = 135,300 px: ids 1..65535, each on two pixels (the rest 0)
  const png = new PNG({ width: 451, height: 300, bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const data = new Uint16Array(451 * 300);
  for (let i = 0; i < 65535 * 2; i++) data[i] = (i >> 1) + 1;
  png.data = Buffer.from(data.buffer);
  const file = join(dir, 'chelsea.png');
  writeFileSync(file, PNG.sync.write(png, { bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false }));
  const before = await project(page);
  await page.locator('input[type=file][accept=".png"]').setInputFiles([file]);
  const alert = page.getByRole('alert').filter({ hasText: 'No masks were imported' });
  await expect(alert).toContainText('65535 different instance ids');
  await expect(alert).toContainText('at most 2000 objects');
  expect((await project(page)).annotations).toEqual(before.annotations);
  // the app still answers a click
  const p = await clientOf(page, 180, 170);
  await page.mouse.click(p.x, p.y);
  expect((await liveMask(page))?.area).toBeGreaterThan(10_000);
  // and nothing was saved: a reload has the same annotations and is ready
  await expect(page.getByTestId('save-state')).toHaveText('saved');
  await page.reload();
  await ready(page);
  expect((await project(page)).annotations).toEqual(before.annotations);
  expect(rejections).toEqual([]);
});

test('COCO numbers out of range are refused with the field named; the project is unchanged; no unhandled rejection', async ({ page }) => {
  const rejections: string[] = [];
  page.on('pageerror', (e) => rejections.push(e.message));
  const dir = mkdtempSync(join(tmpdir(), 'bad-input-'));
  await gotoApp(page);
  await ready(page);
  const before = await project(page);
  const image = { id: 1, file_name: 'chelsea.png', width: 451, height: 300 };
  const cases: [string, unknown, string][] = [
    ['huge-polygon.json', { segmentation: [[10, 10, 1e300, 10, 10, 50]] }, 'annotations[0].segmentation[0][2]: x = 1e+300 is far outside'],
    ['far-polygon.json', { segmentation: [[10, 10, 50, 10, 10, 4e8]] }, 'annotations[0].segmentation[0][5]: y = 400000000 is far outside'],
    ['huge-box.json', { bbox: [1e308, 0, 10, 10] }, 'annotations[0].bbox[0]: x = 1e+308 is far outside'],
    ['giant-box.json', { bbox: [0, 0, 1e9, 1e9] }, 'annotations[0].bbox[2]: x = 1000000000 is far outside'],
  ];
  for (const [name, ann, message] of cases) {
    const file = join(dir, name);
    writeFileSync(
      file,
      JSON.stringify({
        images: [image],
        categories: [{ id: 1, name: 'cat' }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, ...(ann as object) }],
      }),
    );
    await page.locator('input[type=file][accept*=".json"]').setInputFiles(file);
    const alert = page.getByRole('alert').filter({ hasText: `${name} is not a valid COCO file` });
    await expect(alert).toContainText(message);
    await expect(alert).toContainText('nothing was imported');
  }
  const after = await project(page);
  expect(after.annotations).toEqual(before.annotations);
  expect(after.pendingBoxes).toEqual(before.pendingBoxes);
  expect(after.categories).toEqual(before.categories);
  expect(rejections).toEqual([]);
});
