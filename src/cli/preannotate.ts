/**
 * `npm run preannotate -- --images DIR [--coco in.json] [--masks DIR] --mode MODE --out out.json [options]`
 *
 * Pre-annotation with SAM on onnxruntime-node, on the app's core (src/core/sam: roi, coarse, amg):
 * - `box` / `box-crop` / `auto-box`: every non-crowd annotation of `--coco` becomes a mask from its
 *   bbox, on the whole image's embedding, on an encoded crop of the box plus a margin, or chosen by
 *   box size (small boxes cropped);
 * - `coarse`: a coarse model's label PNGs in `--masks` (semantic: class ids, or instance ids) ->
 *   connected components -> box (or box + points) prompts;
 * - `everything`: SAM's automatic mask generator.
 * Writes COCO with RLE and `attributes.source: "auto"`, which the app imports as proposals to review.
 * Resumable: images already in `out.json` are skipped. `--report` compares with the ground truth in
 * `--coco` (mean IoU, share above 0.75 / 0.9, by COCO object size).
 */
import { existsSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { fileMatchKey, parseCoco, type CocoImport, type ImportedAnnotation } from '../core/coco/import.ts';
import { maskPngImageKeys } from '../core/coco/maskPng.ts';
import { labelMapFromPng } from '../core/image/png.ts';
import { maskIou } from '../core/mask/iou.ts';
import { maskFromRle, rleArea, rleBbox, type CocoRle } from '../core/mask/rle.ts';
import { checkAmgParams, DEFAULT_AMG_PARAMS, type AmgParams } from '../core/sam/amg.ts';
import { preannotateImage, type PreannotateWork } from '../core/sam/preannotateImage.ts';
import { coarsePrompts, DEFAULT_COARSE_OPTIONS, type CoarseOptions } from '../core/sam/coarse.ts';
import { DEFAULT_BOX_PLAN, type BoxMode } from '../core/sam/roi.ts';
import { parseClassMap } from '../core/sam/classMap.ts';
import { readRgbaImage, type RgbaImage } from '../node/image.ts';
import { NodeSam, nodePreannotateBackend } from '../node/sam-node.ts';
import { ProgressBar } from './progress.ts';
import type { ModelFamily } from '../core/sam/families.ts';

type Mode = BoxMode | 'coarse' | 'everything';
const MODES: Mode[] = ['box', 'box-crop', 'auto-box', 'coarse', 'everything'];
const IMAGE_EXT = /\.(png|jpe?g|bmp)$/i;

interface OutAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  iscrowd: 0;
  score: number;
  attributes: Record<string, unknown> & { source: 'auto'; mode: string };
}
interface OutImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}
interface OutCategory {
  id: number;
  name: string;
  supercategory?: string;
}
interface OutFile {
  images: OutImage[];
  annotations: OutAnnotation[];
  categories: OutCategory[];
  info?: unknown;
}

const USAGE = `usage: npm run preannotate -- --images DIR --mode MODE --out out.json [options]
  --mode box|box-crop|auto-box   masks from the boxes of --coco in.json (required)
         coarse                  masks from a coarse model's label PNGs in --masks DIR
         everything              SAM's automatic mask generator
  --coco in.json       images, categories (and boxes) to start from; without it every image in DIR
  --margin 0.15        ROI crop margin (share of the box);  --min-crop 256  smallest crop side (px)
  --kind semantic|instance  --prompt box|box+points  --min-area 100  --find-point-times 20
  --classes "1=person,2=car" (or a JSON file {"1": "person"})  class ids -> category names
  --points-per-side 32 --pred-iou-thresh 0.88 --stability-score-thresh 0.95 --stability-score-offset 1
  --box-nms-thresh 0.7 --crop-n-layers 0 --crop-n-points-downscale-factor 1 --min-mask-region-area 0
  --points-per-batch 4  prompts per decoder call (segment everything's points, the boxes of an image); 1: one call each
  --limit N            only the first N images   --report  compare with the segmentations of --coco
  --encoder E.onnx --decoder D.onnx [--family sam|sam2|auto]  another SAM-family model (default: the bundled one;
                       auto tells SAM 1 style from SAM 2 / 2.1 by the files' inputs and outputs)`;

function usage(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

function sizeClass(area: number): 'small' | 'medium' | 'large' {
  return area < 32 * 32 ? 'small' : area < 96 * 96 ? 'medium' : 'large';
}

function num(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) usage(`--${name} ${v}: expected a number`);
  return n;
}

/** Image files of a folder (recursively), in natural order. */
function listImages(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (IMAGE_EXT.test(e.name)) out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/** Label PNGs of a folder by the image key they belong to. */
function maskFilesByKey(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/\.png$/i.test(e.name)) {
        const rel = relative(dir, join(d, e.name));
        for (const k of maskPngImageKeys(rel)) if (!out.has(k)) out.set(k, join(d, e.name));
      }
    }
  };
  walk(dir);
  return out;
}

function writeAtomically(path: string, data: OutFile): void {
  // written after every image (resumable); a crash mid-write must not destroy the previous file
  writeFileSync(`${path}.tmp`, JSON.stringify(data));
  renameSync(`${path}.tmp`, path);
}

/** The run's progress bar on stderr, once the images are being done. */
let progress: ProgressBar | null = null;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string' },
      coco: { type: 'string' },
      masks: { type: 'string' },
      mode: { type: 'string', default: 'auto-box' },
      out: { type: 'string' },
      margin: { type: 'string' },
      'min-crop': { type: 'string' },
      kind: { type: 'string', default: 'semantic' },
      prompt: { type: 'string', default: 'box' },
      'min-area': { type: 'string' },
      'find-point-times': { type: 'string' },
      classes: { type: 'string' },
      'points-per-side': { type: 'string' },
      'pred-iou-thresh': { type: 'string' },
      'stability-score-thresh': { type: 'string' },
      'stability-score-offset': { type: 'string' },
      'box-nms-thresh': { type: 'string' },
      'crop-n-layers': { type: 'string' },
      'crop-n-points-downscale-factor': { type: 'string' },
      'min-mask-region-area': { type: 'string' },
      'points-per-batch': { type: 'string' },
      limit: { type: 'string' },
      report: { type: 'boolean', default: false },
      encoder: { type: 'string' },
      decoder: { type: 'string' },
      family: { type: 'string', default: 'auto' },
    },
  });
  if (!values.images || !values.out) usage('--images and --out are required');
  const mode = values.mode as Mode;
  if (!MODES.includes(mode)) usage(`--mode ${values.mode}: expected ${MODES.join(', ')}`);
  const boxMode = mode === 'box' || mode === 'box-crop' || mode === 'auto-box';
  if (boxMode && !values.coco) usage(`--mode ${mode} needs --coco with the boxes`);
  if (mode === 'coarse' && !values.masks) usage('--mode coarse needs --masks DIR with the label PNGs');
  if (values.report && !values.coco) usage('--report needs --coco with the ground truth');
  if (!existsSync(values.images)) usage(`--images ${values.images}: no such folder`);
  const plan = {
    margin: num('margin', values.margin, DEFAULT_BOX_PLAN.margin),
    minCropSide: num('min-crop', values['min-crop'], DEFAULT_BOX_PLAN.minCropSide),
  };
  if (!(plan.margin >= 0)) usage('--margin must be a number ≥ 0');
  const amg: AmgParams = {
    ...DEFAULT_AMG_PARAMS,
    pointsPerSide: num('points-per-side', values['points-per-side'], DEFAULT_AMG_PARAMS.pointsPerSide),
    predIouThresh: num('pred-iou-thresh', values['pred-iou-thresh'], DEFAULT_AMG_PARAMS.predIouThresh),
    stabilityScoreThresh: num('stability-score-thresh', values['stability-score-thresh'], DEFAULT_AMG_PARAMS.stabilityScoreThresh),
    stabilityScoreOffset: num('stability-score-offset', values['stability-score-offset'], DEFAULT_AMG_PARAMS.stabilityScoreOffset),
    boxNmsThresh: num('box-nms-thresh', values['box-nms-thresh'], DEFAULT_AMG_PARAMS.boxNmsThresh),
    cropNLayers: num('crop-n-layers', values['crop-n-layers'], 0),
    cropNPointsDownscaleFactor: num('crop-n-points-downscale-factor', values['crop-n-points-downscale-factor'], 1),
    minMaskRegionArea: num('min-mask-region-area', values['min-mask-region-area'], 0),
  };
  try {
    checkAmgParams(amg);
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.kind !== 'semantic' && values.kind !== 'instance') usage(`--kind ${values.kind}: expected semantic or instance`);
  if (values.prompt !== 'box' && values.prompt !== 'box+points') usage(`--prompt ${values.prompt}: expected box or box+points`);
  const coarse: Partial<CoarseOptions> = {
    kind: values.kind,
    prompt: values.prompt,
    minArea: num('min-area', values['min-area'], DEFAULT_COARSE_OPTIONS.minArea),
    findPointTimes: num('find-point-times', values['find-point-times'], DEFAULT_COARSE_OPTIONS.findPointTimes),
  };
  let classNames = new Map<number, string>();
  if (values.classes) {
    try {
      classNames = parseClassMap(existsSync(values.classes) ? readFileSync(values.classes, 'utf8') : values.classes);
    } catch (e) {
      usage(`--classes: ${(e as Error).message}`);
    }
  }

  let input: CocoImport | null = null;
  if (values.coco) {
    try {
      input = parseCoco(JSON.parse(readFileSync(values.coco, 'utf8')));
    } catch (e) {
      usage(`${values.coco}: ${(e as Error).message}`);
    }
  }
  let out: OutFile;
  if (existsSync(values.out)) {
    try {
      out = JSON.parse(readFileSync(values.out, 'utf8')) as OutFile;
      if (!Array.isArray(out.images) || !Array.isArray(out.annotations) || !Array.isArray(out.categories))
        throw new Error('not a COCO file');
    } catch (e) {
      usage(`${values.out} exists but cannot be resumed (${(e as Error).message}); remove it or choose another --out`);
    }
  } else {
    out = {
      info: { description: `pre-annotated with SAM (${mode})`, date_created: new Date().toISOString() },
      images: [],
      annotations: [],
      categories: input ? input.categories.map((c) => ({ id: c.cocoId, name: c.name })) : [],
    };
  }
  // written after every image: a folder that cannot take it is said now, before the model loads and runs
  try {
    writeFileSync(`${values.out}.tmp`, '');
    unlinkSync(`${values.out}.tmp`);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    usage(
      `--out ${values.out}: cannot write there (${err.code ?? err.message}); choose a file in a folder you can write to (it is written after every image)`,
    );
  }
  // the images to work on: those of the COCO file, or every image file of the folder (an image already in
  // out.json keeps its id, so a resumed run over a folder that gained files stays consistent)
  const previousIds = new Map(out.images.map((im) => [fileMatchKey(im.file_name), im.id]));
  let nextImageId = out.images.reduce((m, im) => Math.max(m, im.id), 0) + 1;
  const images: OutImage[] = input
    ? input.images.map((im) => ({ id: im.cocoId, file_name: im.fileName, width: im.width, height: im.height }))
    : listImages(values.images).map((f) => ({ id: previousIds.get(fileMatchKey(f)) ?? nextImageId++, file_name: f, width: 0, height: 0 }));
  const categoryFor = (name: string): number => {
    const found = out.categories.find((c) => c.name === name);
    if (found) return found.id;
    const id = out.categories.reduce((m, c) => Math.max(m, c.id), 0) + 1;
    out.categories.push({ id, name });
    return id;
  };
  const categoryForValue = (v: number): number => {
    const name = classNames.get(v);
    if (name) return categoryFor(name);
    // a class id that is a category id of the COCO file (e.g. a model trained on it) keeps that category
    const byId = input && values.kind === 'semantic' ? out.categories.find((c) => c.id === v) : undefined;
    return byId ? byId.id : categoryFor(values.kind === 'instance' ? 'object' : `class ${v}`);
  };

  const done = new Set(out.images.map((im) => fileMatchKey(im.file_name)));
  const boxesByImage = new Map<number, ImportedAnnotation[]>();
  for (const a of input?.annotations ?? []) {
    if (a.iscrowd) continue;
    const list = boxesByImage.get(a.imageCocoId) ?? [];
    list.push(a);
    boxesByImage.set(a.imageCocoId, list);
  }
  const maskFiles = values.masks ? maskFilesByKey(values.masks) : null;
  let todo = images.filter((im) => !done.has(fileMatchKey(im.file_name)));
  if (boxMode) todo = todo.filter((im) => boxesByImage.has(im.id));
  if (values.limit) todo = todo.slice(0, Math.max(0, Math.trunc(num('limit', values.limit, todo.length)) - out.images.length));

  if (!!values.encoder !== !!values.decoder) usage('--encoder and --decoder go together (an encoder and a decoder of one model)');
  const family = values.family as ModelFamily | 'auto';
  if (!['auto', 'sam', 'sam2'].includes(family)) usage(`--family ${values.family}: expected sam, sam2 or auto`);
  const sam = values.encoder ? await NodeSam.fromFiles(values.encoder, values.decoder!, { family }) : await NodeSam.load();
  const perBatch = num('points-per-batch', values['points-per-batch'], sam.pointsPerBatch);
  if (!(Number.isInteger(perBatch) && perBatch >= 1 && perBatch <= 256)) usage('--points-per-batch must be an integer in 1..256');
  sam.pointsPerBatch = perBatch;
  const t0 = performance.now();
  let masks = 0;
  let imagesDone = 0;
  let nextId = out.annotations.reduce((m, a) => Math.max(m, a.id), 0) + 1;
  const everythingTimes: number[] = [];
  const push = (imageId: number, categoryId: number, rle: CocoRle, score: number, attributes: Record<string, unknown>) => {
    out.annotations.push({
      id: nextId++,
      image_id: imageId,
      category_id: categoryId,
      segmentation: rle,
      area: rleArea(rle),
      bbox: rleBbox(rle),
      iscrowd: 0,
      score,
      attributes: { source: 'auto', mode, model: sam.modelId, ...attributes },
    });
    masks++;
  };
  const run = new ProgressBar(todo.length, 'images');
  progress = run;
  const bar = (k: number, extra = '') => run.update(k, `${masks} masks`, extra);

  for (const im of todo) {
    bar(imagesDone);
    const path = join(values.images, im.file_name);
    let image: RgbaImage;
    try {
      image = readRgbaImage(existsSync(path) ? path : join(values.images, fileMatchKey(im.file_name)));
    } catch (e) {
      run.line(`skipping ${im.file_name}: ${(e as Error).message}`);
      continue;
    }
    if (im.width && (image.width !== im.width || image.height !== im.height)) {
      run.line(`skipping ${im.file_name}: it is ${image.width}x${image.height}, the COCO file says ${im.width}x${im.height}`);
      continue;
    }
    im.width = image.width;
    im.height = image.height;
    const te = performance.now();
    const backend = nodePreannotateBackend(sam, image, (done, total) => {
      if (mode === 'everything' && done % 16 === 0) bar(imagesDone, `(image ${imagesDone + 1}: ${done}/${total} points)`);
    });
    const work: PreannotateWork = { width: image.width, height: image.height };
    if (boxMode) {
      work.boxes = boxesByImage.get(im.id)!.map((a) => ({ id: a.cocoId, bbox: a.bbox, categoryId: a.categoryCocoId }));
    } else if (mode === 'coarse') {
      const file = maskPngImageKeys(im.file_name)
        .map((k) => maskFiles!.get(k))
        .find((f) => f);
      if (!file) {
        run.line(`no label PNG for ${im.file_name} in ${values.masks}: skipped`);
        continue;
      }
      let map;
      try {
        map = labelMapFromPng(readFileSync(file));
      } catch (e) {
        run.line(`${file}: ${(e as Error).message}; skipped`);
        continue;
      }
      if (map.width !== image.width || map.height !== image.height) {
        run.line(`${file} is ${map.width}x${map.height}, the image ${image.width}x${image.height}: skipped`);
        continue;
      }
      work.coarse = coarsePrompts(map.labels, map.width, map.height, coarse).map((c) => ({ ...c, categoryId: categoryForValue(c.value) }));
    }
    const produced = await preannotateImage(
      work,
      { mode, boxPlan: plan, amg, everythingCategoryId: mode === 'everything' ? categoryFor('object') : 0 },
      backend,
    );
    if (mode === 'everything') everythingTimes.push(performance.now() - te);
    for (const m of produced?.masks ?? []) push(im.id, m.categoryId, m.rle, m.score, m.attributes);
    out.images.push({ id: im.id, file_name: im.file_name, width: im.width, height: im.height });
    imagesDone++;
    writeAtomically(values.out, out);
    bar(imagesDone);
  }
  const seconds = (performance.now() - t0) / 1000;
  run.stop();
  process.stdout.write(
    `mode ${mode}: ${imagesDone} images, ${masks} masks in ${seconds.toFixed(1)} s (${(imagesDone / Math.max(seconds, 1e-9)).toFixed(3)} images/s, ${(masks / Math.max(seconds, 1e-9)).toFixed(2)} masks/s)\n`,
  );
  if (everythingTimes.length) {
    const sorted = [...everythingTimes].sort((a, b) => a - b);
    process.stdout.write(
      `segment everything, ${amg.pointsPerSide} points per side, ${amg.cropNLayers} crop layers: median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(1)} s per image (${sorted.length} images)\n`,
    );
  }
  if (values.report && input) report(input, out, boxMode);
}

/**
 * Quality against the ground truth. Box modes pair each mask with the annotation it came from; other
 * modes match every ground-truth object with the best-overlapping mask of its image (recall view).
 */
function report(input: CocoImport, out: OutFile, paired: boolean): void {
  const groups: Record<string, number[]> = { small: [], medium: [], large: [], all: [] };
  const add = (area: number, iou: number) => {
    groups[sizeClass(area)]!.push(iou);
    groups['all']!.push(iou);
  };
  const doneImages = new Set(out.images.map((im) => im.id));
  if (paired) {
    const gt = new Map(input.annotations.map((a) => [a.cocoId, a]));
    for (const a of out.annotations) {
      const g = gt.get(a.attributes['from_annotation'] as number);
      if (g?.segmentation) add(g.area, maskIou(maskFromRle(a.segmentation), maskFromRle(g.segmentation)));
    }
  } else {
    const byImage = new Map<number, Uint8Array[]>();
    for (const a of out.annotations) {
      const list = byImage.get(a.image_id) ?? [];
      list.push(maskFromRle(a.segmentation));
      byImage.set(a.image_id, list);
    }
    for (const g of input.annotations) {
      if (g.iscrowd || !g.segmentation || !doneImages.has(g.imageCocoId)) continue;
      const gm = maskFromRle(g.segmentation);
      let best = 0;
      for (const m of byImage.get(g.imageCocoId) ?? []) best = Math.max(best, maskIou(m, gm));
      add(g.area, best);
    }
  }
  process.stdout.write(paired ? 'IoU with the ground truth of each box:\n' : 'best IoU of a mask with each ground-truth object:\n');
  for (const [k, v] of Object.entries(groups)) {
    const n = v.length;
    const mean = n ? v.reduce((x, y) => x + y, 0) / n : 0;
    const share = (t: number) => ((v.filter((x) => x > t).length / Math.max(n, 1)) * 100).toFixed(1);
    process.stdout.write(
      `${k.padEnd(6)} n=${String(n).padStart(3)}  mIoU ${mean.toFixed(4)}  >0.5 ${share(0.5)} %  >0.75 ${share(0.75)} %  >0.9 ${share(0.9)} %\n`,
    );
  }
}

main().catch((e: unknown) => {
  // on a line of its own, never after the progress bar
  if (progress) progress.stop();
  else process.stderr.write('\n');
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
