import { coveredProposalIds } from '../project/review.ts';
import { polygonsFromMask, rleCountsFromPolygon, transposeBack, type Polygon } from '../mask/polygon.ts';
import { maskCropTransposedFromRle, rleCountsFromString, rleCountsIou, rleCountsUnion, type CocoRle } from '../mask/rle.ts';
import type { Annotation, Project } from '../project/types.ts';
import { MASK_BUDGET_MS } from '../project/timer.ts';
import { cocoVideosOf, trackAttributes, type CocoVideo } from './video.ts';

export type { CocoVideo } from './video.ts';

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
  /** a frame of a video: the video's id and the frame's index in it */
  video_id?: number;
  frame_index?: number;
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
  /** on a frame of a video: the track (one object across the video's frames) */
  track_id?: number;
  attributes: Record<string, unknown>;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
}

export interface CocoDataset {
  info: { description: string; version: string; date_created: string };
  /** only when the project has clips: one per clip */
  videos?: CocoVideo[];
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
  /** leaves out annotations for which this is false (the server: unreviewed work) */
  keep?: (a: Annotation) => boolean;
  /** attributes added to each annotation's (the server: who annotated and reviewed it) */
  attributes?: (a: Annotation) => Record<string, unknown>;
  /**
   * Attribute names only {@link attributes} may give (the server's audit record): a value a file or a
   * client put under one of them is exported apart, under `attributes.client_claimed`, never as the record.
   */
  auditKeys?: readonly string[];
}

export const DEFAULT_POLYGON_TOLERANCE = 0.5;
export const DEFAULT_POLYGON_MIN_IOU = 0.98;

/**
 * IoU of polygons (image px) with a mask, exactly as pycocotools computes it from the exported file:
 * each polygon rasterized on the whole image by the reference algorithm (`frPyObjects`), the parts
 * united (`merge`), compared with the mask's runs. Works on runs only: no image-sized buffer.
 */
export function polygonsIouWithMask(polygons: readonly Polygon[], rle: CocoRle): number {
  const [h, w] = rle.size;
  let union: number[] = [w * h];
  for (const p of polygons) union = rleCountsUnion(union, rleCountsFromPolygon(p, w, h), w * h);
  return rleCountsIou(union, rleCountsFromString(rle.counts), w * h);
}

/**
 * Polygons of a mask (COCO convention, every part and hole kept) simplified with `tolerance` px,
 * the tolerance halved (down to the exact outline) until they re-rasterize to at least `minIou`
 * with the mask, as pycocotools rasterizes them (see {@link polygonsIouWithMask}). Returns the
 * polygons, their IoU and the tolerance used.
 */
export function fittedPolygons(rle: CocoRle, tolerance: number, minIou: number): { polygons: Polygon[]; iou: number; tolerance: number } {
  // transposed crop: the runs fill contiguous spans, so tracing the outline is fast
  const crop = maskCropTransposedFromRle(rle);
  if (crop.width === 0 || crop.height === 0) return { polygons: [], iou: 1, tolerance };
  let t = Math.max(0, tolerance);
  for (;;) {
    const polys = polygonsFromMask(crop.mask, crop.width, crop.height, { tolerance: t }).map((p) => transposeBack(p, crop.x, crop.y));
    // the check is on the polygons as written (image px, the image's orientation), never on the crop
    const iou = polygonsIouWithMask(polys, rle);
    if (iou >= minIou || t === 0) return { polygons: polys, iou, tolerance: t };
    t = t > 0.25 ? t / 2 : 0;
  }
}

/** Summary of a polygon export: how far the polygons deviate from the masks. */
export interface PolygonFidelity {
  minIou: number;
  meanIou: number;
  annotations: number;
  /** annotations whose polygons needed a finer tolerance than the one asked for, to keep the IoU bound */
  tightened: number;
  /** the finest tolerance used (px) */
  finestTolerance: number;
}

/** Ids of the exported records, by project id: the file's own id for imported ones */
interface ExportIds {
  images: Map<number, number>;
  categories: Map<number, number>;
  annotations: Map<number, number>;
}

/**
 * The id each record is exported with: an imported record keeps the id it had in its file where no
 * other record claims it (the first one in project order wins); every other record keeps its project
 * id if that is free, else gets the next id above all others. Unique by construction.
 */
export function exportIdsOf<T extends { id: number }>(items: readonly T[], fileId: (t: T) => number | undefined): Map<number, number> {
  const out = new Map<number, number>();
  const used = new Set<number>();
  for (const t of items) {
    const f = fileId(t);
    if (f !== undefined && !used.has(f)) {
      out.set(t.id, f);
      used.add(f);
    }
  }
  let next = 1;
  for (const t of items) if (t.id >= next) next = t.id + 1;
  for (const v of used) if (v >= next) next = v + 1;
  for (const t of items) {
    if (out.has(t.id)) continue;
    const id = used.has(t.id) ? next++ : t.id;
    out.set(t.id, id);
    used.add(id);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function cocoAnnotation(
  a: Annotation,
  segmentation: CocoRle | Polygon[],
  ids: ExportIds,
  added?: (a: Annotation) => Record<string, unknown>,
  auditKeys: readonly string[] = [],
  frames?: ReadonlySet<number>,
): CocoAnnotation {
  const audit = added?.(a);
  // on a track (of a frame): its id and role are ours, whatever an imported file said
  const tracked = a.trackId !== undefined && !!frames?.has(a.imageId);
  const ours = {
    ...audit,
    time_ms: a.timeMs ?? 0,
    clicks: a.clicks ?? a.prompts.points.length + (a.prompts.box ? 1 : 0),
    strokes: a.strokes ?? 0,
    source: a.source,
    ...(a.review ? { review: a.review } : {}),
    ...(a.model ? { model: a.model } : {}),
    over_budget: (a.timeMs ?? 0) > MASK_BUDGET_MS,
    prompts: a.prompts,
    ...(tracked ? trackAttributes(a) : {}),
  };
  const { attributes: given, ...extra } = a.coco?.extra ?? {};
  // what a client says under the audit names is the client's claim, not the record
  let theirs = given;
  if (tracked && isRecord(theirs)) {
    const { track: _role, flag: _flag, ...rest } = theirs;
    theirs = rest;
  }
  let claimed: Record<string, unknown> | null = null;
  if (auditKeys.length && isRecord(given)) {
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(given))
      if (auditKeys.includes(k)) (claimed ??= {})[k] = v;
      else rest[k] = v;
    theirs = rest;
  }
  return {
    // fields of the file this app does not read come back as they were (ours below win a name clash)
    ...extra,
    id: ids.annotations.get(a.id) ?? a.id,
    image_id: ids.images.get(a.imageId) ?? a.imageId,
    category_id: ids.categories.get(a.categoryId) ?? a.categoryId,
    segmentation,
    // an imported mask nobody edited: the file's own area and bbox (a crowd region's area is not its pixel count)
    area: a.coco?.area ?? a.area,
    bbox: [...(a.coco?.bbox ?? a.bbox)],
    iscrowd: a.iscrowd ? 1 : 0,
    ...(a.score !== null ? { score: a.score } : {}),
    ...(tracked ? { track_id: a.trackId } : {}),
    // the file's own attributes are kept; ours are added where it has none of that name
    attributes: {
      ...(isRecord(theirs) ? { ...ours, ...theirs } : ours),
      ...(auditKeys.length ? audit : {}),
      ...(claimed ? { client_claimed: claimed } : {}),
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
  let tightened = 0;
  let finest = tolerance;
  const covered = coveredProposalIds(project.annotations);
  const exported = project.annotations.filter(
    (a) => !covered.has(a.id) && !(options.proposals === 'exclude' && a.review === 'pending') && (!options.keep || options.keep(a)),
  );
  const ids: ExportIds = {
    images: exportIdsOf(project.images, (im) => im.cocoId),
    categories: exportIdsOf(project.categories, (c) => c.cocoId),
    annotations: exportIdsOf(exported, (a) => a.coco?.id),
  };
  const videos = cocoVideosOf(project.images);
  const frames = videos.length ? new Set(project.images.filter((im) => im.video).map((im) => im.id)) : undefined;
  const annotations = exported.map((a) => {
    if (!polygon || a.iscrowd)
      return cocoAnnotation(
        a,
        { size: [a.segmentation.size[0], a.segmentation.size[1]], counts: a.segmentation.counts },
        ids,
        options.attributes,
        options.auditKeys,
        frames,
      );
    const f = fittedPolygons(a.segmentation, tolerance, minIou);
    iouMin = Math.min(iouMin, f.iou);
    iouSum += f.iou;
    n++;
    if (f.tolerance < tolerance) tightened++;
    finest = Math.min(finest, f.tolerance);
    return cocoAnnotation(a, f.polygons, ids, options.attributes, options.auditKeys, frames);
  });
  const coco: CocoDataset = {
    info: { description: project.name, version: '1.0', date_created: now.toISOString() },
    ...(videos.length ? { videos } : {}),
    images: project.images.map((im) => ({
      id: ids.images.get(im.id)!,
      file_name: im.fileName,
      width: im.width,
      height: im.height,
      ...(im.video ? { video_id: im.video.id, frame_index: im.video.frame } : {}),
    })),
    annotations,
    categories: project.categories.map((c) => ({ id: ids.categories.get(c.id)!, name: c.name, supercategory: '' })),
  };
  return polygon
    ? { ...coco, fidelity: { minIou: iouMin, meanIou: n ? iouSum / n : 1, annotations: n, tightened, finestTolerance: finest } }
    : coco;
}
