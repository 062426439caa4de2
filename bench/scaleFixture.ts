/**
 * A large project as a COCO file, generated (nothing of it is committed): `images` images of
 * 640x480 named `scale-NNNNN.jpg` (their files are not opened: "missing" in the app), each with
 * `perImage` rectangle masks as compressed RLE in 8 categories, plus one real photo (`real`, whose
 * file the test opens) with as many masks. Deterministic for a given size.
 */
import { writeFileSync } from 'node:fs';
import { rleStringFromCounts } from '../src/core/mask/rle.ts';

export interface ScaleFixture {
  path: string;
  images: number;
  annotations: number;
  bytes: number;
}

/** Run lengths of a w x h rectangle at (x, y) in an W x H image (COCO: column-major). */
function rectCounts(W: number, H: number, x: number, y: number, w: number, h: number): number[] {
  const counts = [x * H + y];
  for (let c = 0; c < w; c++) {
    counts.push(h);
    counts.push(c === w - 1 ? W * H - (x + w - 1) * H - y - h : H - h);
  }
  return counts;
}

export function writeScaleCoco(
  path: string,
  images: number,
  perImage: number,
  real: { fileName: string; width: number; height: number },
): ScaleFixture {
  let s = 7;
  const r = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const imgs = [{ id: 1, file_name: real.fileName, width: real.width, height: real.height }];
  for (let i = 2; i <= images; i++) imgs.push({ id: i, file_name: `scale-${String(i).padStart(5, '0')}.jpg`, width: 640, height: 480 });
  const anns: unknown[] = [];
  let id = 1;
  for (const im of imgs) {
    for (let k = 0; k < perImage; k++) {
      const w = 8 + Math.floor(r() * 60);
      const h = 8 + Math.floor(r() * 60);
      const x = Math.floor(r() * (im.width - w));
      const y = Math.floor(r() * (im.height - h));
      anns.push({
        id: id++,
        image_id: im.id,
        category_id: 1 + (k % 8),
        segmentation: { size: [im.height, im.width], counts: rleStringFromCounts(rectCounts(im.width, im.height, x, y, w, h)) },
        area: w * h,
        bbox: [x, y, w, h],
        iscrowd: 0,
      });
    }
  }
  const categories = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, name: `class ${i + 1}`, supercategory: '' }));
  const text = JSON.stringify({ images: imgs, annotations: anns, categories });
  writeFileSync(path, text);
  return { path, images: imgs.length, annotations: anns.length, bytes: text.length };
}
