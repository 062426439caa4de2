import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { clientOf, currentImage, gotoApp, liveMask, openImages, project, ready, SAMPLES } from './helpers.ts';
import type { Project } from '../src/core/project/types.ts';

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

  await gotoApp(page);
  await openImages(page, [zero, corrupt, text, huge, resolve(SAMPLES, 'chelsea.png')]);
  const alerts = page.getByRole('alert');
  await expect(alerts.filter({ hasText: 'zero.png is empty (0 bytes)' })).toBeVisible();
  await expect(alerts.filter({ hasText: 'corrupt.png could not be decoded' })).toBeVisible();
  await expect(alerts.filter({ hasText: 'notes.txt is not an image' })).toBeVisible();
  await expect(alerts.filter({ hasText: 'huge.png is 20000 x 15000 px' })).toBeVisible();

  // only the good file was added (besides the bundled samples), and it is shown and works
  await ready(page);
  expect(await currentImage(page)).toMatchObject({ fileName: 'chelsea.png', width: 451, height: 300 });
  const names = (await project<Project>(page)).images.map((i) => i.fileName);
  for (const bad of ['zero.png', 'corrupt.png', 'notes.txt', 'huge.png']) expect(names).not.toContain(bad);
  const p = await clientOf(page, 180, 170);
  await page.mouse.click(p.x, p.y);
  const m = await liveMask(page);
  expect(m?.area).toBeGreaterThan(10_000);
});

test('a model file with the wrong inputs is reported clearly and ready() rejects', async ({ page }) => {
  await gotoApp(page, '/?decoder=/models/encoder.onnx');
  const err = await page.evaluate(() =>
    (window as unknown as { annotator: { ready(): Promise<void> } }).annotator.ready().then(
      () => 'resolved',
      (e: Error) => e.message,
    ),
  );
  expect(err).toContain('is not a SAM decoder');
  expect(err).toContain('missing input(s) image_embeddings');
  await expect(page.getByRole('alert').filter({ hasText: 'encoder.onnx is not a SAM decoder' })).toBeVisible();
  await expect(page.getByTestId('status')).toContainText('Model failed to load');
});

test('a model URL that is not an ONNX file is reported clearly', async ({ page }) => {
  await gotoApp(page, '/?encoder=/samples/index.json');
  const err = await page.evaluate(() =>
    (window as unknown as { annotator: { ready(): Promise<void> } }).annotator.ready().then(
      () => 'resolved',
      (e: Error) => e.message,
    ),
  );
  expect(err).toContain('/samples/index.json could not be loaded as an ONNX model');
});
