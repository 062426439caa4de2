import { coveredProposalIds } from '../project/review.ts';
import { maskIou } from '../mask/iou.ts';
import { maskFromPolygons, polygonsFromMask, transposeBack, type Polygon } from '../mask/polygon.ts';
import { maskCropTransposedFromRle, type CocoRle } from '../mask/rle.ts';
import type { Annotation, Project } from '../project/types.ts';
import { MASK_BUDGET_MS } from '../project/timer.ts';

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: CocoRle | Polygon[];
  area: number;
  bbox: [number, number, number, number];
  iscrowd: 0 | 1;
  score?: number;
  attributes: Record<string, unknown>;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
}

export interface CocoDataset {
  info: { description: string; version: string; date_created: string };
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

export interface CocoExportOptions {
  /** 'rle' (lossless, default) or 'polygon' */
  segmentation?: 'rle' | 'polygon';
  /** polygon simplification tolerance in px (default {@link DEFAULT_POLYGON_TOLERANCE}) */
  tolerance?: number;
  /** each annotation's polygons re-rasterize to at least this IoU with its mask; the tolerance is lowered where needed */
  minIou?: number;
  /**
   * Machine-made proposals not reviewed yet: 'include' (default; marked `attributes.review: "pending"`)
   * or 'exclude' (only what a person made or accepted). Proposals an accepted mask covers are never
   * exported: they were superseded.
   */
  proposals?: 'include' | 'exclude';
}

export const DEFAULT_POLYGON_TOLERANCE = 0.5;
export const DEFAULT_POLYGON_MIN_IOU = 0.98;

/**
 * Polygons of a mask (COCO convention, every part and hole kept) simplified with `tolerance` px,
 * the tolerance halved (down to the exact outline) until they re-rasterize to at least `minIou`
 * with the mask. Works on the mask's bounding box. Returns the polygons, their IoU and the tolerance used.
 */
export function fittedPolygons(rle: CocoRle, tolerance: number, minIou: number): { polygons: Polygon[]; iou: number; tolerance: number } {
  // transposed crop: the runs fill contiguous spans; polygons and the IoU check work on it as is
  const crop = maskCropTransposedFromRle(rle);
  if (crop.width === 0 || crop.height === 0) return { polygons: [], iou: 1, tolerance };
  let t = Math.max(0, tolerance);
  for (;;) {
    const polys = polygonsFromMask(crop.mask, crop.width, crop.height, { tolerance: t });
    // at tolerance 0 the outline is exact by construction
    const iou = t === 0 ? 1 : maskIou(maskFromPolygons(polys, crop.width, crop.height), crop.mask);
    if (iou >= minIou || t === 0) {
      return { polygons: polys.map((p) => transposeBack(p, crop.x, crop.y)), iou, tolerance: t };
    }
    t = t > 0.25 ? t / 2 : 0;
  }
}

/** Summary of a polygon export: how far the polygons deviate from the masks. */
export interface PolygonFidelity {
  minIou: number;
  meanIou: number;
  annotations: number;
}

function cocoAnnotation(a: Annotation, segmentation: CocoRle | Polygon[]): CocoAnnotation {
  return {
    id: a.id,
    image_id: a.imageId,
    category_id: a.categoryId,
    segmentation,
    area: a.area,
    bbox: [...a.bbox],
    iscrowd: a.iscrowd ? 1 : 0,
    ...(a.score !== null ? { score: a.score } : {}),
    attributes: {
      time_ms: a.timeMs ?? 0,
      clicks: a.clicks ?? a.prompts.points.length + (a.prompts.box ? 1 : 0),
      strokes: a.strokes ?? 0,
      source: a.source,
      ...(a.review ? { review: a.review } : {}),
      over_budget: (a.timeMs ?? 0) > MASK_BUDGET_MS,
      prompts: a.prompts,
    },
  };
}

/**
 * COCO instances JSON of a project. Segmentation as compressed RLE (lossless, default) or as
 * polygons (crowd regions stay RLE, as COCO does). Ordinary annotations are `iscrowd: 0`; area is
 * the mask's pixel count and bbox its tight box, in image px. With polygons, `fidelity` reports
 * their IoU with the masks.
 */
export function projectToCoco(
  project: Project,
  options: CocoExportOptions = {},
  now: Date = new Date(),
): CocoDataset & { fidelity?: PolygonFidelity } {
  const polygon = options.segmentation === 'polygon';
  const tolerance = options.tolerance ?? DEFAULT_POLYGON_TOLERANCE;
  const minIou = options.minIou ?? DEFAULT_POLYGON_MIN_IOU;
  let iouMin = 1;
  let iouSum = 0;
  let n = 0;
  const covered = coveredProposalIds(project.annotations);
  const exported = project.annotations.filter((a) => !covered.has(a.id) && !(options.proposals === 'exclude' && a.review === 'pending'));
  const annotations = exported.map((a) => {
    if (!polygon || a.iscrowd)
      return cocoAnnotation(a, { size: [a.segmentation.size[0], a.segmentation.size[1]], counts: a.segmentation.counts });
    const f = fittedPolygons(a.segmentation, tolerance, minIou);
    iouMin = Math.min(iouMin, f.iou);
    iouSum += f.iou;
    n++;
    return cocoAnnotation(a, f.polygons);
  });
  const coco: CocoDataset = {
    info: { description: project.name, version: '1.0', date_created: now.toISOString() },
    images: project.images.map((im) => ({ id: im.id, file_name: im.fileName, width: im.width, height: im.height })),
    annotations,
    categories: project.categories.map((c) => ({ id: c.id, name: c.name, supercategory: '' })),
  };
  return polygon ? { ...coco, fidelity: { minIou: iouMin, meanIou: n ? iouSum / n : 1, annotations: n } } : coco;
}
