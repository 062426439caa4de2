/**
 * `npm run eval -- --images DIR --masks DIR [--max-clicks 20] [--feedback on|off] [--init point|box] [--json out.json]`
 *
 * The click-robot evaluation of interactive segmentation papers (RITM / f-BRS protocol) on the
 * app's own pipeline: src/core preprocessing, prompt encoding and mask resizing, with the same model
 * files on onnxruntime-node. Prints NoC@85, NoC@90, NoF@90, mIoU after 1/3/5 clicks and seconds per click.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { extname, join, basename } from 'node:path';
import { parseArgs } from 'node:util';
import { groundTruthFromGray, iouWithIgnore, nextRobotClick, objectBox, summarizeRuns, type ImageResult } from '../core/eval/clicker.ts';
import type { Prompts } from '../core/sam/prompts.ts';
import { readGray, readRgbaImage } from '../node/image.ts';
import { NodeSam } from './sam-node.ts';

const IMAGE_EXT = /\.(png|jpe?g|bmp)$/i;

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: npm run eval -- --images DIR --masks DIR [--max-clicks 20] [--feedback on|off] [--init point|box] [--json out.json]\n`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string' },
      masks: { type: 'string' },
      'max-clicks': { type: 'string', default: '20' },
      feedback: { type: 'string', default: 'off' },
      init: { type: 'string', default: 'point' },
      json: { type: 'string' },
      limit: { type: 'string' },
    },
  });
  if (!values.images || !values.masks) usage('--images and --masks are required');
  const maxClicks = Number(values['max-clicks']);
  if (!Number.isInteger(maxClicks) || maxClicks < 1) usage('--max-clicks must be a positive integer');
  if (values.feedback !== 'on' && values.feedback !== 'off') usage('--feedback is on or off');
  if (values.init !== 'point' && values.init !== 'box') usage('--init is point or box');
  const feedback = values.feedback === 'on';
  const stems = new Map<string, string>();
  for (const f of readdirSync(values.masks)) if (IMAGE_EXT.test(f)) stems.set(basename(f, extname(f)), join(values.masks, f));
  let pairs = readdirSync(values.images)
    .filter((f) => IMAGE_EXT.test(f) && stems.has(basename(f, extname(f))))
    .sort()
    .map((f) => ({ name: f, image: join(values.images!, f), mask: stems.get(basename(f, extname(f)))! }));
  if (values.limit) pairs = pairs.slice(0, Number(values.limit));
  if (pairs.length === 0) usage(`no image in ${values.images} has a mask with the same stem in ${values.masks}`);

  const sam = await NodeSam.load();
  const results: ImageResult[] = [];
  for (const p of pairs) {
    const image = readRgbaImage(p.image);
    const g = readGray(p.mask);
    if (g.width !== image.width || g.height !== image.height) {
      process.stderr.write(`skipping ${p.name}: mask is ${g.width}x${g.height}, image ${image.width}x${image.height}\n`);
      continue;
    }
    const gt = groundTruthFromGray(g.gray, g.width, g.height);
    const embedding = await sam.embed(image);
    const prompts: Prompts = { points: [], box: null };
    const clicked = new Set<number>();
    const ious: number[] = [];
    const clicks: ImageResult['clicks'] = [];
    let pred: Uint8Array = new Uint8Array(image.width * image.height);
    let lowRes: Float32Array | null = null;
    let decodeSeconds = 0;
    for (let k = 0; k < maxClicks; k++) {
      if (k === 0 && values.init === 'box') {
        const b = objectBox(gt);
        if (!b) break;
        prompts.box = b;
      } else {
        const c = nextRobotClick(pred, gt, clicked);
        if (!c) {
          // nothing left to correct: the IoU stays
          ious.push(ious[ious.length - 1] ?? iouWithIgnore(pred, gt));
          continue;
        }
        clicked.add(c.y * image.width + c.x);
        clicks.push(c);
        // pixel centres, as the app places a click in the middle of the pixel under the cursor
        prompts.points.push({ x: c.x + 0.5, y: c.y + 0.5, positive: c.positive });
      }
      const t = performance.now();
      const r = await sam.decode(embedding, image, prompts, 'core', feedback ? lowRes : null);
      decodeSeconds += (performance.now() - t) / 1000;
      pred = r.mask;
      lowRes = r.lowRes;
      ious.push(iouWithIgnore(pred, gt));
    }
    const res: ImageResult = { name: p.name, ious, clicks, secondsPerClick: decodeSeconds / Math.max(1, ious.length) };
    results.push(res);
    process.stderr.write(`${p.name}: IoU@1 ${ious[0]?.toFixed(3)}  @5 ${ious[4]?.toFixed(3)}  best ${Math.max(...ious).toFixed(3)}\n`);
  }
  const s = summarizeRuns(results, maxClicks);
  const config = `init=${values.init} feedback=${values.feedback} max-clicks=${maxClicks}`;
  process.stdout.write(
    [
      `dataset: ${values.images} (${s.images} images), ${config}`,
      `NoC@85 ${s.noc85.toFixed(2)}  NoC@90 ${s.noc90.toFixed(2)}  NoF@90 ${s.nof90}`,
      `mIoU@1 ${s.miou1.toFixed(4)}  mIoU@3 ${s.miou3.toFixed(4)}  mIoU@5 ${s.miou5.toFixed(4)}`,
      `seconds per click (decoder, onnxruntime-node) ${s.secondsPerClick.toFixed(3)}`,
      '',
    ].join('\n'),
  );
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify({ config: { init: values.init, feedback, maxClicks }, summary: s, images: results }, null, 1),
    );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
