/**
 * Speed of the core export paths on a generated project (Node; run with `npm run bench:core`):
 * 1,000 images of 1920x1080 with 20 masks each (ellipses with holes, multi-part), exported as COCO
 * RLE and as COCO polygons, and the RLE encoder's throughput on 4000x3000 masks.
 * Prints one JSON object per metric (median of several runs) and nothing else is asserted.
 */
import { it } from 'vitest';
import { projectToCoco } from '../src/core/coco/export.ts';
import { rleArea, rleBbox, rleFromMask } from '../src/core/mask/rle.ts';
import { masksAt } from '../src/core/mask/hitTest.ts';
import { emptyProject, type Annotation, type Project } from '../src/core/project/types.ts';
import { print, summarize } from './stats.ts';

const IMAGES = Number(process.env['BENCH_IMAGES'] ?? 1000);
const PER_IMAGE = 20;
const W = 1920;
const H = 1080;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** An ellipse of random size and place, with a hole in some and a second part in others. */
function objectMask(r: () => number): Uint8Array {
  const m = new Uint8Array(W * H);
  const cx = 100 + r() * (W - 200);
  const cy = 100 + r() * (H - 200);
  const rx = 15 + r() * 140;
  const ry = 15 + r() * 140;
  const hole = r() < 0.3;
  const x0 = Math.max(0, Math.floor(cx - rx));
  const x1 = Math.min(W - 1, Math.ceil(cx + rx));
  const y0 = Math.max(0, Math.floor(cy - ry));
  const y1 = Math.min(H - 1, Math.ceil(cy + ry));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      if (d < 1 && !(hole && d < 0.2)) m[y * W + x] = 1;
    }
  }
  if (r() < 0.2) for (let y = 0; y < 20; y++) for (let x = 0; x < 30; x++) m[(y0 + y) * W + Math.max(0, x0 - 60) + x] = 1;
  return m;
}

function generate(): Project {
  const r = rng(42);
  // a pool of distinct masks reused across images keeps generation time reasonable
  const pool = Array.from({ length: 200 }, () => {
    const m = objectMask(r);
    return { rle: rleFromMask(m, W, H), area: m.reduce((a, b) => a + b, 0) };
  });
  const p = emptyProject('bench');
  const annotations: Annotation[] = [];
  const images = Array.from({ length: IMAGES }, (_, i) => ({ id: i + 1, fileName: `img_${i}.jpg`, width: W, height: H }));
  for (const im of images) {
    for (let k = 0; k < PER_IMAGE; k++) {
      const m = pool[Math.floor(r() * pool.length)]!;
      annotations.push({
        id: annotations.length + 1,
        imageId: im.id,
        categoryId: 1,
        segmentation: m.rle,
        area: m.area,
        bbox: [0, 0, 1, 1],
        score: null,
        prompts: { points: [], box: null },
        source: 'auto',
        createdAt: 0,
      });
    }
  }
  return { ...p, images, annotations };
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

it('core export benchmarks', () => {
  const project = generate();
  const rle: number[] = [];
  for (let i = 0; i < 3; i++) rle.push(time(() => JSON.stringify(projectToCoco(project, { segmentation: 'rle' }))) / 1000);
  print(summarize('export_coco_rle_s', 's', rle));
  const poly: number[] = [];
  for (let i = 0; i < 2; i++) poly.push(time(() => JSON.stringify(projectToCoco(project, { segmentation: 'polygon' }))) / 1000);
  print(summarize('export_coco_polygon_s', 's', poly));

  const big = new Uint8Array(4000 * 3000);
  const r = rng(3);
  for (let y = 0; y < 3000; y++)
    for (let x = 0; x < 4000; x++) big[y * 4000 + x] = Math.hypot(x - 2000, y - 1500) < 1200 + 200 * Math.sin(x / 50) + r() * 3 ? 1 : 0;
  const mpix: number[] = [];
  for (let i = 0; i < 5; i++) mpix.push(12 / (time(() => rleFromMask(big, 4000, 3000)) / 1000));
  print(summarize('rle_encode_mpix_s', 'Mpx/s', mpix));
}, 1_800_000);

it('hit-testing on the canvas: masks under the pointer among 500 masks of one image', () => {
  const r = rng(7);
  const items = Array.from({ length: 500 }, (_, i) => {
    const m = objectMask(r);
    const segmentation = rleFromMask(m, W, H);
    return { id: i + 1, segmentation, bbox: rleBbox(segmentation), area: rleArea(segmentation) };
  });
  masksAt(items, 0, 0); // the run indexes are built once per mask
  const per: number[] = [];
  for (let k = 0; k < 5; k++) {
    const n = 2000;
    const t = time(() => {
      for (let i = 0; i < n; i++) masksAt(items, r() * W, r() * H);
    });
    per.push((t / n) * 1000);
  }
  print(summarize('hit_test_500_masks_us', 'µs', per));
});
