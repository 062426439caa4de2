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
}
process.stdout.write(`${coco.images.length} label maps (1/${f} resolution) in ${values.out}\n`);
