/**
 * `node dist-cli/coarse-labels.mjs --coco in.json --out DIR [--factor 8]`
 *
 * Stand-in for a coarse segmentation model's output, to measure `preannotate --mode coarse`: the
 * ground-truth masks of a COCO file painted into one semantic label PNG per image (value = category
 * id, larger objects first so small ones stay visible), then made coarse like a low-resolution model
 * output: sampled every `factor` px and blown back up (blocky edges, thin parts lost). `--report` prints how
 * well the coarse map's own components match the objects (the baseline for `preannotate --mode coarse`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCoco } from '../src/core/coco/import.ts';
import { fileStem } from '../src/core/export/files.ts';
import { encodePng } from '../src/core/image/png.ts';
import { maskFromRle } from '../src/core/mask/rle.ts';
import { maskIou } from '../src/core/mask/iou.ts';
import { labelComponents } from '../src/core/mask/polygon.ts';

const { values } = parseArgs({
  options: {
    coco: { type: 'string' },
    out: { type: 'string' },
    factor: { type: 'string', default: '8' },
    report: { type: 'boolean', default: false },
  },
});
if (!values.coco || !values.out) {
  process.stderr.write('usage: node dist-cli/coarse-labels.mjs --coco in.json --out DIR [--factor 8]\n');
  process.exit(2);
}
const f = Math.max(1, Number(values.factor));
const coco = parseCoco(JSON.parse(readFileSync(values.coco, 'utf8')));
mkdirSync(values.out, { recursive: true });
const groups: Record<string, number[]> = { small: [], medium: [], large: [], all: [] };
for (const im of coco.images) {
  const { width: w, height: h } = im;
  const fine = new Uint8Array(w * h);
  const anns = coco.annotations.filter((a) => a.imageCocoId === im.cocoId && !a.iscrowd && a.segmentation).sort((a, b) => b.area - a.area);
  for (const a of anns) {
    const m = maskFromRle(a.segmentation!);
    for (let i = 0; i < m.length; i++) if (m[i]) fine[i] = a.categoryCocoId;
  }
  const coarse = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.floor(y / f) * f + Math.floor(f / 2));
    for (let x = 0; x < w; x++) coarse[y * w + x] = fine[sy * w + Math.min(w - 1, Math.floor(x / f) * f + Math.floor(f / 2))]!;
  }
  writeFileSync(
    join(values.out, `${fileStem(im.fileName)}.png`),
    encodePng({ width: w, height: h, channels: 1, bitDepth: 8, data: coarse }),
  );
  if (values.report) {
    // the baseline SAM has to beat: each object's best IoU with a component of the coarse map itself
    const comps: Uint8Array[] = [];
    for (const v of new Set(coarse)) {
      if (!v) continue;
      const { labels, count } = labelComponents(
        coarse.map((x) => (x === v ? 1 : 0)),
        w,
        h,
      );
      for (let k = 1; k <= count; k++) {
        const m = Uint8Array.from(labels, (l) => (l === k ? 1 : 0));
        if (m.reduce((a, b) => a + b, 0) >= 100) comps.push(m);
      }
    }
    for (const a of anns) {
      const g = maskFromRle(a.segmentation!);
      const best = Math.max(0, ...comps.map((c) => maskIou(c, g)));
      const cls = a.area < 32 * 32 ? 'small' : a.area < 96 * 96 ? 'medium' : 'large';
      groups[cls]!.push(best);
      groups['all']!.push(best);
    }
  }
}
if (values.report) {
  process.stdout.write('the coarse map alone (components >= 100 px), best IoU with each ground-truth object:\n');
  for (const [k, v] of Object.entries(groups)) {
    const n = v.length;
    const share = (t: number) => ((v.filter((x) => x > t).length / Math.max(n, 1)) * 100).toFixed(1);
    const mean = v.reduce((x, y) => x + y, 0) / Math.max(n, 1);
    process.stdout.write(
      `${k.padEnd(6)} n=${String(n).padStart(3)}  mIoU ${mean.toFixed(4)}  >0.5 ${share(0.5)} %  >0.75 ${share(0.75)} %  >0.9 ${share(0.9)} %\n`,
    );
  }
}
process.stdout.write(`${coco.images.length} label maps (1/${f} resolution) in ${values.out}\n`);
