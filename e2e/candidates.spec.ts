import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { maskIou } from '../src/core/mask/iou.ts';
import { maskFromRle } from '../src/core/mask/rle.ts';
import { DEFAULT_ZOOM_IN } from '../src/core/sam/zoomIn.ts';
import { clickImage, gotoApp, liveMask, openImages, ready, referenceRefiner, SAMPLES } from './helpers.ts';

const COFFEE = resolve(SAMPLES, 'coffee.png');

const state = (page: Page) => page.evaluate(() => window.annotator.editorState());
const browserMask = async (page: Page) => maskFromRle((await liveMask(page))!.rle);

test('one click shows SAM’s candidates; picking another shows exactly that candidate, and the next click refines it', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [COFFEE]);
  await ready(page);
  expect(await page.evaluate(() => window.annotator.hasCandidates())).toBe(true);
  // candidates alone (zoom-in has its own test)
  await page.getByTestId('zoom-in-toggle').uncheck();
  await clickImage(page, 300, 200);
  await liveMask(page);

  const ref = await referenceRefiner(COFFEE, null);
  ref.prompts.points.push({ x: 300, y: 200, positive: true });
  const first = await ref.decode();
  const st = await state(page);
  // the same three candidates in the same order (best predicted IoU first)
  expect(st.candidates.map((c) => c.token)).toEqual(first.candidates.map((c) => c.token));
  expect(st.candidates).toHaveLength(3);
  for (let i = 0; i < 3; i++) expect(st.candidates[i]!.predictedIou).toBeCloseTo(first.candidates[i]!.predictedIou, 2);
  expect(st.candidateShown).toBe(first.candidates[0]!.token);
  await expect(page.getByTestId('candidates').getByRole('radio')).toHaveCount(3);
  const shownFirst = await browserMask(page);
  expect(maskIou(shownFirst, first.mask)).toBeGreaterThanOrEqual(0.99);

  // the second-best candidate, by clicking its preview
  const second = first.candidates[1]!.token;
  await page.getByTestId(`candidate-${second}`).click();
  await expect(page.getByTestId(`candidate-${second}`)).toHaveAttribute('aria-checked', 'true');
  const chosen = await browserMask(page);
  const refChosen = await ref.choose(second);
  expect(maskIou(chosen, shownFirst)).toBeLessThan(0.8);
  expect(maskIou(chosen, refChosen)).toBeGreaterThanOrEqual(0.99);

  // the next click gets the chosen candidate's logits as mask_input: the reference fed with the other one differs
  await clickImage(page, 320, 220);
  const refined = await browserMask(page);
  ref.prompts.points.push({ x: 320, y: 220, positive: true });
  const refRefined = (await ref.decode()).mask;
  const other = await referenceRefiner(COFFEE, null);
  other.prompts.points.push({ x: 300, y: 200, positive: true });
  await other.decode();
  other.prompts.points.push({ x: 320, y: 220, positive: true });
  const refIfDefault = (await other.decode()).mask;
  expect(maskIou(refRefined, refIfDefault)).toBeLessThan(0.9);
  expect(maskIou(refined, refRefined)).toBeGreaterThanOrEqual(0.99);
  // two clicks are not ambiguous: no candidates
  expect((await state(page)).candidates).toEqual([]);

  // undo goes back to the chosen candidate; Tab goes through the candidates in order
  await page.keyboard.press('Control+z');
  expect(maskIou(await browserMask(page), refChosen)).toBeGreaterThanOrEqual(0.99);
  await page.keyboard.press('Tab');
  await liveMask(page);
  expect((await state(page)).candidateShown).toBe(first.candidates[2]!.token);
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await liveMask(page);
  expect((await state(page)).candidateShown).toBe(first.candidates[0]!.token);
  expect(maskIou(await browserMask(page), shownFirst)).toBe(1);
});

test('zoom-in: a second click after the crop is ready is decoded on it, as the Node pipeline with zoom-in does', async ({ page }) => {
  // the astronaut's hand and glove: a first mask that leaves room for a crop
  const image = resolve(SAMPLES, 'astronaut.png');
  await gotoApp(page);
  await openImages(page, [image]);
  await ready(page);
  await page.getByTestId('zoom-in-toggle').check();

  const ref = await referenceRefiner(image, DEFAULT_ZOOM_IN);
  ref.prompts.points.push({ x: 380, y: 400, positive: true });
  const step1 = await ref.decode();
  await clickImage(page, 380, 400);
  expect(maskIou(await browserMask(page), step1.mask)).toBeGreaterThanOrEqual(0.99);
  // the crop is encoded in the background; the app and the reference chose the same one
  expect(await page.evaluate(() => window.annotator.zoomReady())).toBe(true);
  await expect(page.getByTestId('zoom-status')).toHaveAttribute('data-state', 'ready');
  ref.prompts.points.push({ x: 400, y: 440, positive: true });
  const step2 = await ref.decode();
  expect(step2.crop).not.toBeNull();
  expect((await state(page)).zoom!.roi).toEqual(step2.crop);
  await clickImage(page, 400, 440);
  const m2 = await browserMask(page);
  expect((await state(page)).decodedOnCrop).toEqual(step2.crop);
  expect(maskIou(m2, step2.mask)).toBeGreaterThanOrEqual(0.99);
  // and it is not what the whole image gives for the same clicks
  const whole = await referenceRefiner(image, null);
  whole.prompts.points.push(ref.prompts.points[0]!);
  await whole.decode();
  whole.prompts.points.push(ref.prompts.points[1]!);
  expect(maskIou(m2, (await whole.decode()).mask)).toBeLessThan(0.98);
});

test('a decoder without candidate outputs: one mask per click, as before, and the app says so', async ({ page }) => {
  await gotoApp(page, '/?decoder=/models/sam.onnx');
  await openImages(page, [COFFEE]);
  await ready(page);
  expect(await page.evaluate(() => window.annotator.hasCandidates())).toBe(false);
  await expect(page.getByText('This decoder returns one mask per click').first()).toBeVisible();
  await page.getByTestId('zoom-in-toggle').uncheck();
  await clickImage(page, 300, 200);
  const m = await browserMask(page);
  const ref = await referenceRefiner(COFFEE, null);
  ref.prompts.points.push({ x: 300, y: 200, positive: true });
  expect(maskIou(m, (await ref.decode()).mask)).toBeGreaterThanOrEqual(0.99);
  expect((await state(page)).candidates).toEqual([]);
  await expect(page.getByTestId('candidates')).toHaveCount(0);
});
