import { nextId, type Annotation, type PendingBox, type Project } from '../project/types.ts';
import { categoryColor } from '../project/palette.ts';
import { fileMatchKey, type CocoImport } from './import.ts';

export interface MergeReport {
  project: Project;
  /** annotations (masks) added */
  masks: number;
  /** box-only annotations added as pending boxes */
  boxes: number;
  /** COCO images that were not in the project yet (added, waiting for their files) */
  newImages: string[];
  /** categories created (others were matched by name) */
  newCategories: string[];
  /** images whose size in the file differs from the opened image: their annotations were skipped */
  sizeMismatches: string[];
}

/**
 * Adds an imported COCO file to a project: images matched by file name (case and folder ignored)
 * or added, categories matched by name (case-insensitive) or created, masks as annotations, bbox-only
 * annotations as pending boxes. Pure: returns a new project.
 */
export function mergeCocoIntoProject(
  project: Project,
  imp: CocoImport,
  now = Date.now(),
  newId: (coll: 'images' | 'categories' | 'annotations' | 'pendingBoxes') => number = localCounter(project),
): MergeReport {
  const images = [...project.images];
  const categories = [...project.categories];
  const annotations = [...project.annotations];
  const pendingBoxes = [...project.pendingBoxes];
  const byKey = new Map(images.map((im) => [fileMatchKey(im.fileName), im]));
  const imageIdOf = new Map<number, number>();
  const newImages: string[] = [];
  const sizeMismatches: string[] = [];
  for (const im of imp.images) {
    const existing = byKey.get(fileMatchKey(im.fileName));
    if (existing) {
      if (existing.width !== im.width || existing.height !== im.height) {
        sizeMismatches.push(
          `${im.fileName} (file says ${im.width}x${im.height}, the opened image is ${existing.width}x${existing.height})`,
        );
        continue;
      }
      imageIdOf.set(im.cocoId, existing.id);
    } else {
      const rec = { id: newId('images'), fileName: im.fileName, width: im.width, height: im.height, cocoId: im.cocoId };
      images.push(rec);
      byKey.set(fileMatchKey(im.fileName), rec);
      imageIdOf.set(im.cocoId, rec.id);
      newImages.push(im.fileName);
    }
  }
  const catIdOf = new Map<number, number>();
  const newCategories: string[] = [];
  for (const c of imp.categories) {
    const existing = categories.find((x) => x.name.toLowerCase() === c.name.toLowerCase());
    if (existing) catIdOf.set(c.cocoId, existing.id);
    else {
      const id = newId('categories');
      categories.push({ id, name: c.name, color: categoryColor(id), cocoId: c.cocoId });
      catIdOf.set(c.cocoId, id);
      newCategories.push(c.name);
    }
  }
  let masks = 0;
  let boxes = 0;
  for (const a of imp.annotations) {
    const imageId = imageIdOf.get(a.imageCocoId);
    const categoryId = catIdOf.get(a.categoryCocoId);
    if (imageId === undefined || categoryId === undefined) continue;
    if (a.segmentation) {
      const ann: Annotation = {
        id: newId('annotations'),
        imageId,
        categoryId,
        segmentation: a.segmentation,
        area: a.area,
        bbox: a.bbox,
        score: a.score ?? null,
        prompts: { points: [], box: null },
        source: a.source ?? 'import',
        createdAt: now,
        coco: a.original,
        ...(a.iscrowd ? { iscrowd: true } : {}),
        // machine-made masks (this app's pre-annotation or its CLI) come in as proposals to review
        ...(isMachineSource(a.source) && !a.iscrowd ? { review: a.review ?? 'pending' } : {}),
        ...(a.model ? { model: a.model } : {}),
      };
      annotations.push(ann);
      masks++;
    } else {
      const box: PendingBox = { id: newId('pendingBoxes'), imageId, categoryId, bbox: a.bbox };
      pendingBoxes.push(box);
      boxes++;
    }
  }
  return { project: { ...project, images, categories, annotations, pendingBoxes }, masks, boxes, newImages, newCategories, sizeMismatches };
}

/** Whether an annotation source names a machine-made mask ("auto", "auto+brush", ...). */
export function isMachineSource(source: string | undefined): boolean {
  return !!source && source.split('+')[0] === 'auto';
}

/** Ids above the project's own, per collection. */
function localCounter(project: Project): (coll: 'images' | 'categories' | 'annotations' | 'pendingBoxes') => number {
  const next = new Map<string, number>();
  return (coll) => {
    const id = next.get(coll) ?? nextId(project[coll]);
    next.set(coll, id + 1);
    return id;
  };
}
