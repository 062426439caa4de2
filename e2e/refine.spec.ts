import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { CocoDataset } from '../src/core/coco/export.ts';
import { maskFromRle, type CocoRle } from '../src/core/mask/rle.ts';
import { clientOf, editorState, gotoApp, liveMask, openImages, project, ready, SAMPLES } from './helpers.ts';

const CAT = resolve(SAMPLES, 'chelsea.png');
const W = 451;
const H = 300;

/** Pixels whose centre is within r of the polyline: the stroke geometry, computed independently here. */
function strokePixels(points: number[], r: number): Set<number> {
  const out = new Set<number>();
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      for (let i = 0; i + 1 < points.length; i += 2) {
        const ax = points[i]!;
        const ay = points[i + 1]!;
        const bx = points[i + 2] ?? ax;
        const by = points[i + 3] ?? ay;
        const dx = bx - ax;
        const dy = by - ay;
        const l2 = dx * dx + dy * dy;
        const t = l2 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / l2)) : 0;
        if ((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2 <= r * r) {
          out.add(y * W + x);
          break;
        }
      }
    }
  }
  return out;
}

async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const a = await clientOf(page, from[0], from[1]);
  const b = await clientOf(page, to[0], to[1]);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 12 });
  await page.mouse.up();
}

async function liveOrNull(page: Page): Promise<Uint8Array | null> {
  const m = await liveMask(page);
  return m ? maskFromRle(m.rle) : null;
}

function same(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (!a || !b) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

test('brush outside and eraser inside a SAM mask: exported exactly as (SAM ∪ brush) ∖ eraser; undo/redo restore each state', async ({
  page,
}) => {
  await gotoApp(page);
  await openImages(page, [CAT]);
  await ready(page);
  const p = await clientOf(page, 180, 170);
  await page.mouse.click(p.x, p.y);
  const sam = (await liveOrNull(page))!;
  expect(sam.reduce((a, b) => a + b, 0)).toBeGreaterThan(10_000);

  // brush: a stroke across the top-left corner, outside the cat
  await page.keyboard.press('d');
  await drag(page, [15, 15], [120, 25]);
  const afterBrush = (await liveOrNull(page))!;
  // eraser: a stroke through the middle of the cat
  await page.keyboard.press('e');
  await page.keyboard.press('[');
  await drag(page, [150, 160], [230, 175]);
  const afterEraser = (await liveOrNull(page))!;

  const st = await editorState(page);
  expect(st.strokes.map((s) => s.mode)).toEqual(['add', 'remove']);
  // the strokes run where they were drawn (the pointer lands within a pixel of the intended line)
  const [brush, eraser] = st.strokes;
  expect(Math.abs(brush!.points[0]! - 15)).toBeLessThan(1.5);
  expect(Math.abs(brush!.points.at(-2)! - 120)).toBeLessThan(1.5);
  expect(eraser!.radius).toBeCloseTo(brush!.radius / 1.25, 6);
  const add = strokePixels(brush!.points, brush!.radius);
  const remove = strokePixels(eraser!.points, eraser!.radius);
  expect(add.size).toBeGreaterThan(500);
  const expected = sam.map((v, i) => ((v || add.has(i)) && !remove.has(i) ? 1 : 0));
  // the brush added pixels outside the SAM mask and the eraser removed pixels inside it
  expect([...add].some((i) => !sam[i])).toBe(true);
  expect([...remove].some((i) => sam[i])).toBe(true);
  expect(same(afterEraser, expected)).toBe(true);

  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  const ann = (await project(page)).annotations[0]!;
  expect(ann).toMatchObject({ source: 'points+brush', strokes: 2, clicks: 1 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export COCO' }).click()]);
  const coco = JSON.parse(readFileSync(await download.path(), 'utf8')) as CocoDataset;
  const exported = coco.annotations.find((a) => a.id === ann.id)!;
  expect(same(maskFromRle(exported.segmentation as CocoRle), expected)).toBe(true);
  expect(exported.attributes).toMatchObject({ clicks: 1, strokes: 2, source: 'points+brush', over_budget: false });

  // undo: the accept, the eraser, the brush, the click; each restores its state exactly
  await page.keyboard.press('Control+z');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(0);
  expect(same(await liveOrNull(page), expected)).toBe(true);
  await page.keyboard.press('Control+z');
  expect(same(await liveOrNull(page), afterBrush)).toBe(true);
  await page.keyboard.press('Control+z');
  expect(same(await liveOrNull(page), sam)).toBe(true);
  await page.keyboard.press('Control+z');
  expect(await liveOrNull(page)).toBeNull();
  // redo all the way: the same annotation again
  for (let i = 0; i < 3; i++) await page.keyboard.press('Control+Shift+z');
  expect(same(await liveOrNull(page), expected)).toBe(true);
  await page.keyboard.press('Control+y');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  expect(same(maskFromRle((await project(page)).annotations[0]!.segmentation), expected)).toBe(true);
});

test('a purely manual mask, and editing an accepted annotation with the brush', async ({ page }) => {
  await gotoApp(page);
  await openImages(page, [CAT]);
  await ready(page);
  await page.keyboard.press('d');
  await drag(page, [40, 40], [100, 60]);
  const st = await editorState(page);
  const first = strokePixels(st.strokes[0]!.points, st.strokes[0]!.radius);
  const manual = (await liveOrNull(page))!;
  expect(manual.reduce((a, b) => a + b, 0)).toBe(first.size);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations.length).toBe(1);
  let ann = (await project(page)).annotations[0]!;
  expect(ann.source).toBe('brush');

  // select it, paint more onto it, accept again: the same annotation, updated (Enter went back to Points)
  expect((await editorState(page)).tool).toBe('points');
  await page.locator('ul.annotations li').first().click();
  await page.keyboard.press('d');
  await drag(page, [40, 120], [100, 120]);
  const st2 = await editorState(page);
  const second = strokePixels(st2.strokes[0]!.points, st2.strokes[0]!.radius);
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await project(page)).annotations[0]!.area).toBe(new Set([...first, ...second]).size);
  ann = (await project(page)).annotations[0]!;
  expect((await project(page)).annotations).toHaveLength(1);
  expect(ann.strokes).toBe(2);
});
