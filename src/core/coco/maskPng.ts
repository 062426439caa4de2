import type { RawImage } from '../image/png.ts';
import { fileStem } from '../export/files.ts';

/**
 * Object masks of a mask PNG: binary (one object: every non-zero pixel) when it holds a single
 * non-zero value (255, 1, ...); otherwise instance ids (one object per non-zero value,
 * in increasing order). The first channel is read. Masks are row-major 0/1.
 */
export function masksFromPng(img: RawImage): { kind: 'binary' | 'instances'; objects: { value: number; mask: Uint8Array }[] } {
  const n = img.width * img.height;
  const ch = img.channels;
  const values = new Set<number>();
  for (let i = 0; i < n; i++) {
    const v = img.data[i * ch]!;
    if (v) values.add(v);
    if (values.size > 65535) break;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const binary = sorted.length <= 1;
  if (binary) {
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) mask[i] = img.data[i * ch] ? 1 : 0;
    return { kind: 'binary', objects: sorted.length ? [{ value: sorted[0]!, mask }] : [] };
  }
  const index = new Map(sorted.map((v, k) => [v, k]));
  const objects = sorted.map((value) => ({ value, mask: new Uint8Array(n) }));
  for (let i = 0; i < n; i++) {
    const v = img.data[i * ch]!;
    if (v) objects[index.get(v)!]!.mask[i] = 1;
  }
  return { kind: 'instances', objects };
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
