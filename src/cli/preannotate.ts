/**
 * `npm run preannotate -- --images DIR --coco in.json --mode box|box-crop|auto-box --out out.json [--margin 0.15] [--report]`
 *
 * Masks from existing boxes with SAM on onnxruntime-node, on the app's core: every non-crowd annotation
 * of the COCO file becomes a mask from its bbox, either on the whole image's embedding (`box`), on an
 * encoded crop of the box plus a margin (`box-crop`), or chosen by box size (`auto-box`: small boxes
 * are cropped). Writes COCO with RLE and `attributes.source: "auto"`, which the app imports.
 * Resumable: images already in `out.json` are skipped. `--report` compares the masks with the file's
 * own segmentations (mean IoU and the share above 0.75 / 0.9, by COCO object size).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileMatchKey, parseCoco, type ImportedAnnotation } from '../core/coco/import.ts';
import { maskIou } from '../core/mask/iou.ts';
import { maskFromRle, rleArea, rleBbox, rleFromMask, type CocoRle } from '../core/mask/rle.ts';
import { boxInRoi, cropRgba, DEFAULT_ROI_MARGIN, pasteMask, roiForBox, shouldCrop } from '../core/sam/roi.ts';
import { readRgbaImage } from './image.ts';
import { NodeSam } from './sam-node.ts';

type Mode = 'box' | 'box-crop' | 'auto-box';

interface OutAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  iscrowd: 0;
  score: number;
  attributes: { source: 'auto'; mode: string; from_annotation: number };
}

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: npm run preannotate -- --images DIR --coco in.json --mode box|box-crop|auto-box --out out.json [--margin 0.15] [--report]\n`,
  );
  process.exit(2);
}

function sizeClass(area: number): 'small' | 'medium' | 'large' {
  return area < 32 * 32 ? 'small' : area < 96 * 96 ? 'medium' : 'large';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string' },
      coco: { type: 'string' },
      mode: { type: 'string', default: 'auto-box' },
      out: { type: 'string' },
      margin: { type: 'string', default: String(DEFAULT_ROI_MARGIN) },
      report: { type: 'boolean', default: false },
    },
  });
  if (!values.images || !values.coco || !values.out) usage('--images, --coco and --out are required');
  const mode = values.mode as Mode;
  if (!['box', 'box-crop', 'auto-box'].includes(mode)) usage(`--mode ${values.mode}: expected box, box-crop or auto-box`);
  const margin = Number(values.margin);
  if (!(margin >= 0)) usage('--margin must be a number ≥ 0');
  let input;
  try {
    input = parseCoco(JSON.parse(readFileSync(values.coco, 'utf8')));
  } catch (e) {
    usage(`${values.coco}: ${(e as Error).message}`);
  }
  const raw = JSON.parse(readFileSync(values.coco, 'utf8')) as { categories: unknown[] };
  const out: { images: unknown[]; annotations: OutAnnotation[]; categories: unknown[] } = existsSync(values.out)
    ? (JSON.parse(readFileSync(values.out, 'utf8')) as { images: unknown[]; annotations: OutAnnotation[]; categories: unknown[] })
    : { images: [], annotations: [], categories: raw.categories };
  const done = new Set(out.images.map((im) => (im as { id: number }).id));
  const byImage = new Map<number, ImportedAnnotation[]>();
  for (const a of input.annotations) {
    if (a.iscrowd) continue;
    const list = byImage.get(a.imageCocoId) ?? [];
    list.push(a);
    byImage.set(a.imageCocoId, list);
  }
  const todo = input.images.filter((im) => !done.has(im.cocoId) && byImage.has(im.cocoId));
  const sam = await NodeSam.load();
  const t0 = performance.now();
  let masks = 0;
  let nextId = out.annotations.reduce((m, a) => Math.max(m, a.id), 0) + 1;
  for (const [k, im] of todo.entries()) {
    const path = join(values.images, im.fileName);
    const image = readRgbaImage(existsSync(path) ? path : join(values.images, fileMatchKey(im.fileName)));
    if (image.width !== im.width || image.height !== im.height) {
      process.stderr.write(`\nskipping ${im.fileName}: it is ${image.width}x${image.height}, the file says ${im.width}x${im.height}\n`);
      continue;
    }
    let whole: Float32Array | null = null;
    for (const a of byImage.get(im.cocoId)!) {
      const crop = mode === 'box-crop' || (mode === 'auto-box' && shouldCrop(a.bbox, image));
      let mask: Uint8Array;
      let score: number;
      if (crop) {
        const roi = roiForBox(a.bbox, image, margin);
        const size = { width: roi.x1 - roi.x0, height: roi.y1 - roi.y0 };
        const emb = await sam.embed({ ...size, data: cropRgba(image.data, image, roi) });
        const r = await sam.decode(emb, size, { points: [], box: boxInRoi(a.bbox, roi) }, 'core');
        mask = pasteMask(r.mask, roi, image);
        score = r.score;
      } else {
        whole ??= await sam.embed(image);
        const [x, y, w, h] = a.bbox;
        const r = await sam.decode(whole, image, { points: [], box: { x0: x, y0: y, x1: x + w, y1: y + h } }, 'core');
        mask = r.mask;
        score = r.score;
      }
      const rle = rleFromMask(mask, image.width, image.height);
      out.annotations.push({
        id: nextId++,
        image_id: im.cocoId,
        category_id: a.categoryCocoId,
        segmentation: rle,
        area: rleArea(rle),
        bbox: rleBbox(rle),
        iscrowd: 0,
        score,
        attributes: { source: 'auto', mode: crop ? 'box-crop' : 'box', from_annotation: a.cocoId },
      });
      masks++;
    }
    out.images.push({ id: im.cocoId, file_name: im.fileName, width: im.width, height: im.height });
    // written after every image: an interrupted run resumes where it stopped
    writeFileSync(values.out, JSON.stringify(out));
    const el = (performance.now() - t0) / 1000;
    const eta = (el / (k + 1)) * (todo.length - k - 1);
    process.stderr.write(
      `\r[${'#'.repeat(Math.round(((k + 1) / todo.length) * 30)).padEnd(30)}] ${k + 1}/${todo.length} images, ${masks} masks, ${el.toFixed(0)} s, ETA ${eta.toFixed(0)} s   `,
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stderr.write('\n');
  process.stdout.write(
    `mode ${mode}: ${todo.length} images, ${masks} masks in ${seconds.toFixed(1)} s (${(todo.length / Math.max(seconds, 1e-9)).toFixed(2)} images/s, ${(masks / Math.max(seconds, 1e-9)).toFixed(2)} masks/s)\n`,
  );
  if (values.report) {
    const gt = new Map(input.annotations.map((a) => [a.cocoId, a]));
    const groups: Record<string, number[]> = { small: [], medium: [], large: [], all: [] };
    for (const a of out.annotations) {
      const g = gt.get(a.attributes.from_annotation);
      if (!g?.segmentation) continue;
      const iou = maskIou(maskFromRle(a.segmentation), maskFromRle(g.segmentation));
      groups[sizeClass(g.area)]!.push(iou);
      groups['all']!.push(iou);
    }
    for (const [k, v] of Object.entries(groups)) {
      const n = v.length;
      const mean = n ? v.reduce((x, y) => x + y, 0) / n : 0;
      process.stdout.write(
        `${k.padEnd(6)} n=${String(n).padStart(3)}  mIoU ${mean.toFixed(4)}  >0.75 ${((v.filter((x) => x > 0.75).length / Math.max(n, 1)) * 100).toFixed(1)} %  >0.9 ${((v.filter((x) => x > 0.9).length / Math.max(n, 1)) * 100).toFixed(1)} %\n`,
      );
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
