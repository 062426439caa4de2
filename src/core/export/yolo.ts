import { polygonsFromRle, type Polygon } from '../mask/polygon.ts';
import type { Project } from '../project/types.ts';
import { fileExtension, uniqueStems } from './files.ts';

/**
 * Joins the parts of a multi-part mask into one polygon by zero-width bridges between nearest
 * vertices (YOLO segmentation has one polygon per object, as Ultralytics' own COCO converter does).
 */
export function joinPolygons(parts: readonly Polygon[]): Polygon {
  if (parts.length === 0) return [];
  let out = [...parts[0]!];
  for (const part of parts.slice(1)) {
    let bi = 0;
    let bj = 0;
    let bd = Infinity;
    for (let i = 0; i < out.length; i += 2) {
      for (let j = 0; j < part.length; j += 2) {
        const d = (out[i]! - part[j]!) ** 2 + (out[i + 1]! - part[j + 1]!) ** 2;
        if (d < bd) {
          bd = d;
          bi = i;
          bj = j;
        }
      }
    }
    const rotated = [...part.slice(bj), ...part.slice(0, bj), part[bj]!, part[bj + 1]!];
    out = [...out.slice(0, bi + 2), ...rotated, out[bi]!, out[bi + 1]!, ...out.slice(bi + 2)];
  }
  return out;
}

/**
 * YOLO segmentation labels: `labels/<image>.txt` with one line per annotation,
 * `<class> x1 y1 x2 y2 ...` normalized to [0, 1] by the image size; class = the category's index
 * in the project (0-based); every image gets a label file (empty for an image with no objects).
 * `data.yaml` names the classes. The image files themselves are added by the caller (`images/`).
 */
export function yoloFiles(project: Project, tolerance = 0.5): { files: Record<string, string>; imageNames: Map<number, string> } {
  const files: Record<string, string> = {};
  for (const [name, text] of yoloEntries(project, tolerance)) files[name] = text;
  return { files, imageNames: yoloImageNames(project) };
}

/** Where each image's file goes in a YOLO export (`images/<stem><ext>`), by image id. */
export function yoloImageNames(project: Project): Map<number, string> {
  const stems = uniqueStems(project.images.map((im) => im.fileName));
  const imageNames = new Map<number, string>();
  project.images.forEach((im, k) => {
    const ext = fileExtension(im.fileName) ?? '.png';
    imageNames.set(im.id, `images/${stems[k]!}${ext}`);
  });
  return imageNames;
}

/** The label files of {@link yoloFiles} one at a time, image by image (`data.yaml` last). */
export function* yoloEntries(project: Project, tolerance = 0.5): Generator<[string, string], void, undefined> {
  const stems = uniqueStems(project.images.map((im) => im.fileName));
  const classOf = new Map(project.categories.map((c, i) => [c.id, i]));
  const byImage = new Map<number, Project['annotations']>();
  for (const a of project.annotations) {
    const list = byImage.get(a.imageId);
    if (list) list.push(a);
    else byImage.set(a.imageId, [a]);
  }
  for (let k = 0; k < project.images.length; k++) {
    const im = project.images[k]!;
    const lines: string[] = [];
    for (const a of byImage.get(im.id) ?? []) {
      const poly = joinPolygons(polygonsFromRle(a.segmentation, { tolerance }));
      if (poly.length < 6) continue;
      const coords = poly.map((v, i) => (i & 1 ? v / im.height : v / im.width)).map((v) => Math.min(1, Math.max(0, v)).toFixed(6));
      lines.push(`${classOf.get(a.categoryId) ?? 0} ${coords.join(' ')}`);
    }
    yield [`labels/${stems[k]!}.txt`, lines.length ? lines.join('\n') + '\n' : ''];
  }
  const names = project.categories.map((c, i) => `  ${i}: ${JSON.stringify(c.name)}`).join('\n');
  yield ['data.yaml', `# YOLO segmentation dataset exported by SAM Annotator\npath: .\ntrain: images\nval: images\nnames:\n${names}\n`];
}
