import type { RawImage } from '../image/png.ts';
import { fileStem } from '../export/files.ts';

/**
 * At most this many objects are read from one mask PNG. An instance-id PNG holds one object per
 * value; a 16-bit PNG can name 65,535, which as annotations would freeze the page and fill the
 * project with noise (often it is a class map or a depth image, not instances).
 */
export const MAX_MASK_PNG_OBJECTS = 2000;

/** A mask PNG with more instance ids than {@link MAX_MASK_PNG_OBJECTS}; nothing of it is read. */
export class TooManyObjectsError extends Error {
  constructor(readonly count: number) {
    super(
      `it holds ${count} different instance ids; at most ${MAX_MASK_PNG_OBJECTS} objects per mask PNG are imported. If it is a class map (one value per category), use Pre-annotate "from a coarse model's masks"; otherwise split it into several PNGs`,
    );
    this.name = 'TooManyObjectsError';
  }
}

/** One object of a mask PNG: its pixel value and its mask as COCO run lengths (column-major), area and bbox. */
export interface MaskPngObject {
  value: number;
  counts: number[];
  area: number;
  bbox: [number, number, number, number];
}

/**
 * Objects of a mask PNG: binary (one object: every non-zero pixel) when it holds a single non-zero
 * value (255, 1, ...); otherwise instance ids (one object per non-zero value, in increasing order).
 * The first channel is read. Each object comes as COCO run lengths, made in one column-major pass
 * (no image-sized buffer per object). More than {@link MAX_MASK_PNG_OBJECTS} values: a
 * {@link TooManyObjectsError}, found before any mask is made.
 */
export function masksFromPng(img: RawImage): { kind: 'binary' | 'instances'; objects: MaskPngObject[] } {
  const { width: w, height: h, channels: ch, data } = img;
  const values = new Set<number>();
  for (let i = 0, n = w * h; i < n; i++) {
    const v = data[i * ch]!;
    if (v) values.add(v);
  }
  if (values.size > MAX_MASK_PNG_OBJECTS) throw new TooManyObjectsError(values.size);
  const sorted = [...values].sort((a, b) => a - b);
  const binary = sorted.length <= 1;
  const index = new Map(sorted.map((v, k) => [v, k]));
  // per object: its runs so far, where its last run ends (column-major position), its bbox
  const objs = sorted.map((value) => ({ value, counts: [] as number[], end: 0, area: 0, x0: w, y0: h, x1: -1, y1: -1 }));
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = data[(y * w + x) * ch]!;
      if (!v) continue;
      const o = objs[binary ? 0 : index.get(v)!]!;
      const p = x * h + y;
      if (o.counts.length > 0 && o.end === p) o.counts[o.counts.length - 1]!++;
      else o.counts.push(p - o.end, 1);
      o.end = p + 1;
      o.area++;
      if (x < o.x0) o.x0 = x;
      if (x > o.x1) o.x1 = x;
      if (y < o.y0) o.y0 = y;
      if (y > o.y1) o.y1 = y;
    }
  }
  const objects = objs.map((o) => {
    const counts = o.counts;
    if (o.end < w * h) counts.push(w * h - o.end);
    return {
      value: o.value,
      counts,
      area: o.area,
      bbox: [o.x0, o.y0, o.x1 - o.x0 + 1, o.y1 - o.y0 + 1] as [number, number, number, number],
    };
  });
  return { kind: binary ? 'binary' : 'instances', objects };
}

/**
 * Which image a mask PNG belongs to, by name: `<stem>.png`, `<stem>_mask.png` (also `-mask`, `_masks`,
 * `_instances`, `_label`), or any file inside a folder named `<stem>` (as this app's mask export
 * writes `masks/<stem>/<id>_<category>.png`). Returns the image key (stem, lower case) to look up.
 */
export function maskPngImageKeys(path: string): string[] {
  const parts = path.replace(/\\/g, '/').split('/');
  const stem = fileStem(parts[parts.length - 1] ?? path).toLowerCase();
  const keys = [stem, stem.replace(/[-_.](mask|masks|instances|instance|label|labels|seg|semantic)$/, '')];
  if (parts.length > 1) keys.push(fileStem(parts[parts.length - 2]!).toLowerCase());
  return [...new Set(keys)];
}

/** The category named in this app's own mask export file names (`<id>_<category>.png`), if any. */
export function categoryFromMaskFileName(path: string): string | null {
  const base = path.replace(/\\/g, '/').split('/').pop() ?? path;
  const m = /^\d+_(.+)\.png$/i.exec(base);
  return m ? m[1]!.replace(/_/g, ' ') : null;
}
