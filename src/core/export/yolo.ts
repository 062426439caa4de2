import { polygonsFromRle, type Polygon } from '../mask/polygon.ts';
import type { Project } from '../project/types.ts';
import { uniqueStems } from './files.ts';

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
  const stems = uniqueStems(project.images.map((im) => im.fileName));
  const classOf = new Map(project.categories.map((c, i) => [c.id, i]));
  const imageNames = new Map<number, string>();
  project.images.forEach((im, k) => {
    const lines: string[] = [];
    for (const a of project.annotations) {
      if (a.imageId !== im.id) continue;
      const poly = joinPolygons(polygonsFromRle(a.segmentation, { tolerance }));
      if (poly.length < 6) continue;
      const coords = poly.map((v, i) => (i & 1 ? v / im.height : v / im.width)).map((v) => Math.min(1, Math.max(0, v)).toFixed(6));
      lines.push(`${classOf.get(a.categoryId) ?? 0} ${coords.join(' ')}`);
    }
    const stem = stems[k]!;
    files[`labels/${stem}.txt`] = lines.length ? lines.join('\n') + '\n' : '';
    const ext = im.fileName.includes('.') ? im.fileName.slice(im.fileName.lastIndexOf('.')).toLowerCase() : '.png';
    imageNames.set(im.id, `images/${stem}${ext}`);
  });
  const names = project.categories.map((c, i) => `  ${i}: ${JSON.stringify(c.name)}`).join('\n');
  files['data.yaml'] = `# YOLO segmentation dataset exported by SAM Annotator\npath: .\ntrain: images\nval: images\nnames:\n${names}\n`;
  return { files, imageNames };
}
