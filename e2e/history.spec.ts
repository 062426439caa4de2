import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { maskFromRle } from '../src/core/mask/rle.ts';
import {
  clickImage,
  currentImage,
  editorState,
  gotoApp,
  liveMask,
  openImages,
  project,
  ready,
  referenceSequence,
  SAMPLES,
} from './helpers.ts';

const CAT = resolve(SAMPLES, 'chelsea.png');
const COFFEE = resolve(SAMPLES, 'coffee.png');

function sameMask(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

test('click, Enter, →, Ctrl+Z: the first image is shown again without its annotation, with its prompt and exactly its mask', async ({
  page,
}) => {
  await gotoApp(page);
  await openImages(page, [CAT, COFFEE]);
  await ready(page);
  const cat = (await currentImage(page))!;
  await clickImage(page, 180, 170);
  const shown = (await liveMask(page))!;
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => (await currentImage(page))?.fileName).toBe('coffee.png');
  const coffee = (await currentImage(page))!;

  await page.keyboard.press('Control+z');
  await expect.poll(async () => (await currentImage(page))?.id).toBe(cat.id);
  expect((await project(page)).annotations).toHaveLength(0);
  expect((await editorState(page)).strokes).toHaveLength(0);
  const st = await editorState(page);
  expect(st.prompts.points).toHaveLength(1);
  const back = (await liveMask(page))!;
  expect(sameMask(maskFromRle(back.rle), maskFromRle(shown.rle))).toBe(true);
  // the same mask as the model gives for that click (onnxruntime-node)
  const [ref] = await referenceSequence(CAT, [{ points: [{ x: 180, y: 170, positive: true }], box: null }]);
  expect(sameMask(maskFromRle(back.rle), ref!)).toBe(true);

  // redo: the annotation again, on the cat; the coffee image never got the prompt
  await page.keyboard.press('Control+Shift+z');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  expect((await project(page)).annotations[0]!.imageId).toBe(cat.id);
  expect((await project(page)).annotations.every((a) => a.imageId !== coffee.id)).toBe(true);
});

test('undo then redo of the second click gives back exactly the mask that was shown (mask feedback)', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [CAT]);
  await ready(page);
  await clickImage(page, 180, 170);
  await liveMask(page);
  await clickImage(page, 300, 60, 'right');
  const second = maskFromRle((await liveMask(page))!.rle);
  await clickImage(page, 120, 240);
  await liveMask(page);
  await page.keyboard.press('Control+z');
  const undone = maskFromRle((await liveMask(page))!.rle);
  expect(sameMask(undone, second)).toBe(true);
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+Shift+z');
  const redone = maskFromRle((await liveMask(page))!.rle);
  expect(sameMask(redone, second)).toBe(true);
  // and it is the model's mask for those two clicks with feedback (onnxruntime-node)
  const refs = await referenceSequence(CAT, [
    { points: [{ x: 180, y: 170, positive: true }], box: null },
    {
      points: [
        { x: 180, y: 170, positive: true },
        { x: 300, y: 60, positive: false },
      ],
      box: null,
    },
  ]);
  expect(sameMask(redone, refs[1]!)).toBe(true);
});

test('keys 1–9 and "Add category" while drafting recolour the mask and never change it; the category field shows what undo restored', async ({
  page,
}) => {
  await gotoApp(page);
  await openImages(page, [CAT]);
  await ready(page);
  await page.getByRole('button', { name: 'Add category' }).click();
  // the new name has the cursor: Enter gives the keys back
  await page.keyboard.press('Enter');
  await page.keyboard.press('1');
  await clickImage(page, 180, 170);
  await liveMask(page);
  await clickImage(page, 300, 60, 'right');
  const before = (await liveMask(page))!;
  await page.keyboard.press('2');
  await page.getByRole('button', { name: 'Add category' }).click();
  await page.keyboard.press('Enter');
  await page.keyboard.press('1');
  const after = (await liveMask(page))!;
  expect(after.rle).toEqual(before.rle);
  expect(after.score).toBe(before.score);
  await page.keyboard.press('Escape');

  // a rename typed in the field is one step; undo shows the old name in the field at once
  const field = page.getByRole('textbox', { name: 'Category name' }).nth(1);
  await field.click();
  await field.press('End');
  await field.pressSequentially('-x');
  await field.press('Enter');
  await expect(field).toHaveValue('category 2-x');
  await page.keyboard.press('Control+z');
  await expect(field).toHaveValue('category 2');
  expect((await project(page)).categories[1]!.name).toBe('category 2');
});

test('two tabs on one project: each accepts a mask on its own image, sees the other’s, and after both reload every mask is there', async ({
  context,
}) => {
  const a = await context.newPage();
  await gotoApp(a);
  await ready(a);
  const b = await context.newPage();
  await gotoApp(b);
  await ready(b);
  // the second tab says what is happening
  await expect(a.getByTestId('other-tabs')).toContainText('Also open in another tab');
  await expect(b.getByTestId('other-tabs')).toContainText('Also open in another tab');
  expect((await currentImage(b))?.fileName).toBe((await currentImage(a))?.fileName);
  await b.keyboard.press('ArrowRight');
  await ready(b);
  expect((await currentImage(b))?.fileName).toBe('chelsea.png');

  // both accept at about the same time
  await clickImage(a, 256, 200);
  await clickImage(b, 180, 170);
  await Promise.all([liveMask(a), liveMask(b)]);
  await Promise.all([a.keyboard.press('Enter'), b.keyboard.press('Enter')]);
  await expect.poll(async () => (await project(a)).annotations.length).toBe(2);
  await expect.poll(async () => (await project(b)).annotations.length).toBe(2);
  // a second round in the other order (Alt: a point even where an accepted mask is)
  for (const page of [b, a]) await page.keyboard.down('Alt');
  await clickImage(b, 100, 250);
  await clickImage(a, 60, 400);
  for (const page of [b, a]) await page.keyboard.up('Alt');
  await Promise.all([liveMask(a), liveMask(b)]);
  await Promise.all([b.keyboard.press('Enter'), a.keyboard.press('Enter')]);
  await expect.poll(async () => (await project(a)).annotations.length).toBe(4);
  await expect.poll(async () => (await project(b)).annotations.length).toBe(4);
  const ids = (await project(a)).annotations.map((x) => x.id);
  expect(new Set(ids).size).toBe(4);
  await expect(a.getByTestId('save-state')).toHaveText('saved');
  await expect(b.getByTestId('save-state')).toHaveText('saved');

  // each tab shows the other's masks as they are accepted, without a reload (checked above); now both reload
  await a.reload();
  await b.reload();
  await ready(a);
  await ready(b);
  for (const page of [a, b]) {
    const p = await project(page);
    expect(p.annotations.map((x) => x.id).sort()).toEqual([...ids].sort());
    const byImage = new Map(p.images.map((im) => [im.id, im.fileName]));
    expect(p.annotations.map((x) => byImage.get(x.imageId)).sort()).toEqual([
      'astronaut.png',
      'astronaut.png',
      'chelsea.png',
      'chelsea.png',
    ]);
  }
});
