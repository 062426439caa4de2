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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { images: { type: 'string', default: '10' }, parts: { type: 'string', default: 'box,auto-box,everything16,everything32' } },
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
    for (const mode of (['box', 'auto-box'] as const).filter((m) => parts.has(m))) {
      const page = await freshPage(browser);
      await page.locator('input[type=file][accept*=".json"]').setInputFiles(boxesFile);
      await page.locator('input[type=file][accept*="image/"][multiple]').setInputFiles(files);
      await page.evaluate(() => window.annotator.ready());
      // the long tasks counted are the batch's, not the tail of opening the images (thumbnails, previews)
      await page.waitForTimeout(3000);
      await page.evaluate(() => (window.__longtasks.length = 0));
      const p = await page.evaluate((m) => window.annotator.preannotate({ mode: m }), mode);
      const s = p.elapsedMs / 1000;
      record(summarize(`batch_${mode}_images_per_s`, 'images/s', [p.imagesDone / s]));
      record(summarize(`batch_${mode}_masks_per_s`, 'masks/s', [p.masks / s]));
      record(summarize(`batch_${mode}_seconds`, 's', [s]));
      const lt = await page.evaluate(() => window.__longtasks);
      record(summarize(`batch_${mode}_longtask_max_ms`, 'ms', [Math.max(0, ...lt)]));
      await page.close();
    }
    for (const pps of [16, 32].filter((k) => parts.has(`everything${k}`))) {
      const page = await freshPage(browser);
      await page.locator('input[type=file][accept*="image/"][multiple]').setInputFiles(files.slice(0, 1));
      await page.evaluate(() => window.annotator.ready());
      const p = await page.evaluate(
        (k) => window.annotator.preannotate({ mode: 'everything', scope: 'current', amg: { pointsPerSide: k } }),
        pps,
      );
      record(
        summarize(
          `everything_${pps}pps_s_per_image`,
          's',
          p.imageMs.map((ms) => ms / 1000),
        ),
      );
      record(summarize(`everything_${pps}pps_masks`, 'count', [p.masks]));
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
