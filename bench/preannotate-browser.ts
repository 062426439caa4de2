/**
 * `npm run bench:preannotate`: throughput of the in-app pre-annotation batch in headless Chromium,
 * on the ground-truth boxes of the first `--images N` images (default 10) of coco-val2017-tiny:
 * masks from boxes (whole image, automatic crop), and segment everything at 16 and 32 points per side
 * on one image, and reviewing its proposals with Enter / Delete (key to next proposal drawn). Also the
 * longest main-thread task during the batch and the review (it must stay free). Prints one
 * JSON object per metric and a table; asserts nothing.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { print, summarize, type Metric } from './stats.ts';
import { maskIou } from '../src/core/mask/iou.ts';
import { maskFromRle, type CocoRle } from '../src/core/mask/rle.ts';
import { collectLongTasks, repoRoot, startPreviewServer, stopPreviewServer } from './server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium.config.ts';

const PORT = Number(process.env['BENCH_PORT'] ?? 4182);
const ROOT = repoRoot();
const COCO = resolve(ROOT, '../shared/datasets/coco-val2017-tiny');
const metrics: Metric[] = [];

function record(m: Metric): void {
  metrics.push(m);
  print(m);
}

async function freshPage(browser: import('playwright-core').Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.addInitScript(collectLongTasks);
  await page.goto(`http://127.0.0.1:${PORT}/`);
  await page.evaluate(() => window.annotator.ready());
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.waitForFunction(() => window.annotator.getProject().images.length === 0);
  return page;
}

interface AmgOut {
  point: [number, number];
  rle: CocoRle;
}

/** Segment everything on the page's shown image: seconds and the masks with their prompt points. */
async function everything(
  page: Page,
  file: string,
  pps: number,
  pointsPerBatch: number | undefined,
): Promise<{ s: number; masks: AmgOut[] }> {
  await page.locator('input[type=file][accept*="image/"][multiple]').setInputFiles([file]);
  await page.evaluate(() => window.annotator.ready());
  const p = await page.evaluate(
    ([k, b]) =>
      window.annotator.preannotate({
        mode: 'everything',
        scope: 'current',
        amg: { pointsPerSide: k },
        ...(b ? { pointsPerBatch: b } : {}),
      }),
    [pps, pointsPerBatch ?? 0] as const,
  );
  const masks = await page.evaluate(() =>
    window.annotator
      .getProject()
      .annotations.filter((a) => a.source === 'auto')
      .map((a) => ({ point: [a.prompts.points[0]!.x, a.prompts.points[0]!.y] as [number, number], rle: a.segmentation as CocoRle })),
  );
  return { s: p.imageMs[0]! / 1000, masks };
}

/** Masks of two runs matched by their prompt point: the lowest IoU of a pair, and masks without a pair. */
function agreement(a: AmgOut[], b: AmgOut[]): { minIou: number; unmatched: number } {
  const key = (m: AmgOut) => `${m.point[0].toFixed(2)},${m.point[1].toFixed(2)}`;
  const byPoint = new Map(b.map((m) => [key(m), m]));
  let minIou = 1;
  let unmatched = 0;
  for (const m of a) {
    const o = byPoint.get(key(m));
    if (!o) unmatched++;
    else minIou = Math.min(minIou, maskIou(maskFromRle(m.rle), maskFromRle(o.rle)));
    byPoint.delete(key(m));
  }
  return { minIou, unmatched: unmatched + byPoint.size };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '10' },
      parts: { type: 'string', default: 'box,auto-box,everything16,everything32,unbatched' },
    },
  });
  const parts = new Set(values.parts.split(','));
  const n = Number(values.images);
  const raw = JSON.parse(readFileSync(join(COCO, 'instances_val2017.json'), 'utf8')) as {
    images: { id: number; file_name: string }[];
    annotations: { image_id: number; iscrowd: number; segmentation?: unknown }[];
    categories: unknown[];
  };
  const images = raw.images.slice(0, n);
  const ids = new Set(images.map((im) => im.id));
  const annotations = raw.annotations.filter((a) => ids.has(a.image_id) && !a.iscrowd).map(({ segmentation: _s, ...a }) => a);
  const boxesFile = join(mkdtempSync(join(tmpdir(), 'bench-pre-')), 'boxes.json');
  writeFileSync(boxesFile, JSON.stringify({ images, categories: raw.categories, annotations }));
  const files = images.map((im) => join(COCO, 'images', im.file_name));

  const server = await startPreviewServer(PORT);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const boxRuns = (['box', 'auto-box'] as const).filter((m) => parts.has(m)).map((mode) => ({ mode, perBatch: 0, tag: '' }));
    // box mode with one decoder call per box, as before the batched decoder
    if (parts.has('box') && parts.has('unbatched')) boxRuns.unshift({ mode: 'box', perBatch: 1, tag: '_unbatched' });
    for (const { mode: m, perBatch, tag } of boxRuns) {
      const mode = `${m}${tag}`;
      const page = await freshPage(browser);
      await page.locator('input[type=file][accept*=".json"]').setInputFiles(boxesFile);
      await page.locator('input[type=file][accept*="image/"][multiple]').setInputFiles(files);
      await page.evaluate(() => window.annotator.ready());
      // the long tasks counted are the batch's, not the tail of opening the images (thumbnails, previews)
      await page.waitForTimeout(3000);
      await page.evaluate(() => (window.__longtasks.length = 0));
      const p = await page.evaluate(([md, b]) => window.annotator.preannotate({ mode: md, ...(b ? { pointsPerBatch: b } : {}) }), [
        m,
        perBatch,
      ] as const);
      const s = p.elapsedMs / 1000;
      record(summarize(`batch_${mode}_images_per_s`, 'images/s', [p.imagesDone / s]));
      record(summarize(`batch_${mode}_masks_per_s`, 'masks/s', [p.masks / s]));
      record(summarize(`batch_${mode}_seconds`, 's', [s]));
      const lt = await page.evaluate(() => window.__longtasks);
      record(summarize(`batch_${mode}_longtask_max_ms`, 'ms', [Math.max(0, ...lt)]));
      await page.close();
    }
    for (const pps of [16, 32].filter((k) => parts.has(`everything${k}`))) {
      // one call per grid point (as before the batched decoder), then the default batched calls, each on a fresh page
      let unbatched: { s: number; masks: AmgOut[] } | null = null;
      if (parts.has('unbatched')) {
        const page = await freshPage(browser);
        unbatched = await everything(page, files[0]!, pps, 1);
        record(summarize(`everything_${pps}pps_unbatched_s_per_image`, 's', [unbatched.s]));
        await page.close();
      }
      const page = await freshPage(browser);
      const batched = await everything(page, files[0]!, pps, undefined);
      record(summarize(`everything_${pps}pps_s_per_image`, 's', [batched.s]));
      record(summarize(`everything_${pps}pps_masks`, 'count', [batched.masks.length]));
      if (unbatched) {
        record(summarize(`amg_batched_speedup_${pps}pps`, 'x', [unbatched.s / batched.s]));
        const a = agreement(unbatched.masks, batched.masks);
        record(summarize(`everything_${pps}pps_batched_mask_iou_min`, 'IoU', [a.minIou]));
        record(summarize(`everything_${pps}pps_batched_masks_unmatched`, 'count', [a.unmatched]));
      }
      if (pps === 16) {
        // review at keyboard speed: key press -> the next proposal selected and the frame drawn
        await page.evaluate(() => (window.__longtasks.length = 0));
        const steps = await page.evaluate(async () => {
          const w = window;
          const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          const out: number[] = [];
          for (let k = 0; k < 20 && w.annotator.review().queue.length > 1; k++) {
            const before = w.annotator.review().selected;
            const t0 = performance.now();
            window.dispatchEvent(new KeyboardEvent('keydown', { key: k % 2 ? 'Delete' : 'Enter', bubbles: true }));
            while (w.annotator.review().selected === before) await new Promise((r) => setTimeout(r, 1));
            await frame();
            out.push(performance.now() - t0);
          }
          return out;
        });
        record(summarize('review_step_ms', 'ms', steps));
        const lt = await page.evaluate(() => window.__longtasks);
        record(summarize('review_longtask_max_ms', 'ms', [Math.max(0, ...lt)]));
      }
      await page.close();
    }
    process.stdout.write(`\n${n} images of coco-val2017-tiny\n\n| metric | unit | median | n |\n| --- | --- | --- | --- |\n`);
    for (const m of metrics) process.stdout.write(`| ${m.metric} | ${m.unit} | ${m.median} | ${m.n} |\n`);
  } finally {
    await browser.close();
    await stopPreviewServer(server);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
