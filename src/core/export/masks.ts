import { encodePng } from '../image/png.ts';
import { maskFromRle } from '../mask/rle.ts';
import type { Project } from '../project/types.ts';
import { uniqueStems } from './files.ts';

export type ZipFiles = Record<string, Uint8Array>;

/**
 * Mask PNGs of a project: per annotation a binary PNG (0 / 255) at `masks/<image>/<id>_<category>.png`;
 * per image an instance-id PNG (`instances/<image>.png`, 0 = background, 1..N in annotation order, later
 * annotations on top; 16-bit when an image has more than 255) and a semantic PNG (`semantic/<image>.png`,
 * the category id; 16-bit above 255); `index.json` maps instance ids to annotations and categories.
 * `onImage` is told after each image (for progress) and may return false to stop.
 */
export function maskPngFiles(project: Project, onImage?: (done: number, total: number) => boolean | void): ZipFiles {
  const files: ZipFiles = {};
  for (const [name, data] of maskPngEntries(project, onImage)) files[name] = data;
  return files;
}

/**
 * The files of {@link maskPngFiles} one at a time, image by image (`index.json` last), so that a
 * large project's export is written as it is made (the server streams it into a zip).
 */
export function* maskPngEntries(
  project: Project,
  onImage?: (done: number, total: number) => boolean | void,
): Generator<[string, Uint8Array], void, undefined> {
  const stems = uniqueStems(project.images.map((im) => im.fileName));
  const catName = new Map(project.categories.map((c) => [c.id, c.name]));
  const index: Record<string, unknown>[] = [];
  const byImage = new Map<number, Project['annotations']>();
  for (const a of project.annotations) {
    const list = byImage.get(a.imageId) ?? [];
    list.push(a);
    byImage.set(a.imageId, list);
  }
  for (let k = 0; k < project.images.length; k++) {
    const im = project.images[k]!;
    const stem = stems[k]!;
    const anns = byImage.get(im.id) ?? [];
    const n = im.width * im.height;
    const wide = anns.length > 255 || project.categories.some((c) => c.id > 255);
    const instances = wide ? new Uint16Array(n) : new Uint8Array(n);
    const semantic = wide ? new Uint16Array(n) : new Uint8Array(n);
    const entries: Record<string, unknown>[] = [];
    for (let i = 0; i < anns.length; i++) {
      const a = anns[i]!;
      const mask = maskFromRle(a.segmentation);
      const bin = new Uint8Array(n);
      for (let p = 0; p < n; p++) {
        if (mask[p]) {
          bin[p] = 255;
          instances[p] = i + 1;
          semantic[p] = a.categoryId;
        }
      }
      const name = `masks/${stem}/${a.id}_${(catName.get(a.categoryId) ?? 'unknown').replace(/[^\w.-]+/g, '_')}.png`;
      yield [name, encodePng({ width: im.width, height: im.height, channels: 1, bitDepth: 8, data: bin })];
      entries.push({
        instance: i + 1,
        annotation_id: a.id,
        category_id: a.categoryId,
        category: catName.get(a.categoryId) ?? null,
        file: name,
      });
    }
    const depth = wide ? 16 : 8;
    yield [`instances/${stem}.png`, encodePng({ width: im.width, height: im.height, channels: 1, bitDepth: depth, data: instances })];
    yield [`semantic/${stem}.png`, encodePng({ width: im.width, height: im.height, channels: 1, bitDepth: depth, data: semantic })];
    index.push({
      image: im.fileName,
      width: im.width,
      height: im.height,
      instances: `instances/${stem}.png`,
      semantic: `semantic/${stem}.png`,
      annotations: entries,
    });
    if (onImage && onImage(k + 1, project.images.length) === false) throw new Error('cancelled');
  }
  yield [
    'index.json',
    new TextEncoder().encode(
      JSON.stringify({ categories: project.categories.map((c) => ({ id: c.id, name: c.name })), images: index }, null, 1),
    ),
  ];
}
