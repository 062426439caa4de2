import { maskFromPolygons, rleCountsFromPolygon } from '../mask/polygon.ts';
import type { Annotation, CocoOriginal, TrackRole } from '../project/types.ts';
import { rleArea, rleBbox, rleFromMask, rleStringFromCounts, type CocoRle } from '../mask/rle.ts';
import { array, CocoFormatError, describe, field, integer, isObject, readRle, type Json } from './read.ts';
import { readVideos, VideoReader, type ImportedFrameOf, type ImportedVideo } from './video.ts';

export { CocoFormatError } from './read.ts';

export interface ImportedImage {
  cocoId: number;
  fileName: string;
  width: number;
  height: number;
  /** a frame of a video: its `video_id` and `frame_index` */
  video?: ImportedFrameOf;
}

export interface ImportedCategory {
  cocoId: number;
  name: string;
}

/** An annotation as read: a mask (from polygons or RLE) or, with no segmentation, only a box. */
export interface ImportedAnnotation {
  cocoId: number;
  imageCocoId: number;
  categoryCocoId: number;
  iscrowd: boolean;
  /** compressed RLE of the mask, or null for a box-only annotation */
  segmentation: CocoRle | null;
  /** [x, y, w, h] in image px */
  bbox: [number, number, number, number];
  area: number;
  /** where the mask came from in the file */
  format: 'polygon' | 'rle' | 'box';
  /** `attributes.source` as written by this app or its CLI (e.g. "auto" for machine-made masks) */
  source?: string;
  /** `attributes.review` of a machine-made mask: "accepted" once a person accepted it */
  review?: 'pending' | 'accepted';
  /** `attributes.model`: the model that made the mask, as this app writes it */
  model?: string;
  /** `score` (the model's predicted IoU), if a number */
  score?: number;
  /**
   * The annotation as the file has it, kept so that an export of it unedited writes the same values:
   * its `area` and `bbox` (only if they are finite and sane) and every field this app does not read.
   */
  original: CocoOriginal;
  /** on a frame of a video: its `track_id`, and this app's `attributes.track` and `attributes.flag` */
  trackId?: number;
  track?: TrackRole;
  flag?: Annotation['flag'];
}

export interface CocoImport {
  images: ImportedImage[];
  categories: ImportedCategory[];
  annotations: ImportedAnnotation[];
  /** annotations left out because their mask covers no pixel of the image (their COCO ids) */
  emptyMasks: number[];
  /** the file's `videos` (present only when it has them, or frames) */
  videos?: ImportedVideo[];
}

/**
 * Limits against hostile input, and what one project in a browser tab is meant to hold (measured up
 * to 300,000 annotations: 126 MB of page heap, accepts without long tasks; BENCHMARKS.md, "Large
 * projects"). A million is a margin above that, not a measured limit.
 */
export const COCO_LIMITS = { maxImages: 100_000, maxAnnotations: 1_000_000, maxPolygonPoints: 1_000_000, maxImageSide: 100_000 };

function finiteNumber(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new CocoFormatError(path, `expected a number, found ${describe(v)}`);
  return v;
}

function readBbox(v: Json, path: string): [number, number, number, number] {
  if (!Array.isArray(v) || v.length !== 4) throw new CocoFormatError(path, `expected [x, y, width, height], found ${describe(v)}`);
  const b = v.map((x, i) => finiteNumber(x, `${path}[${i}]`)) as [number, number, number, number];
  if (b[2] < 0 || b[3] < 0) throw new CocoFormatError(path, `width and height must not be negative, found [${b.join(', ')}]`);
  return b;
}

/**
 * Coordinates may lie outside the image by up to one image size (COCO polygons and boxes sometimes
 * reach a little past the border; the rasterizer clips them). Farther out is not a mistake of a few
 * pixels but a broken file, and would make the rasterizer allocate for the whole range.
 */
function checkCoordinate(v: number, axis: 'x' | 'y', width: number, height: number, path: string): void {
  const side = axis === 'x' ? width : height;
  if (v < -side || v > 2 * side)
    throw new CocoFormatError(
      path,
      `${axis} = ${v} is far outside the ${width}x${height} image (coordinates must lie within ${-side}..${2 * side})`,
    );
}

/** A box-only annotation's box, clipped to the image; refused when it is far outside or covers none of it. */
function boxInImage(b: [number, number, number, number], width: number, height: number, path: string): [number, number, number, number] {
  checkCoordinate(b[0], 'x', width, height, `${path}[0]`);
  checkCoordinate(b[1], 'y', width, height, `${path}[1]`);
  checkCoordinate(b[0] + b[2], 'x', width, height, `${path}[2]`);
  checkCoordinate(b[1] + b[3], 'y', width, height, `${path}[3]`);
  const x0 = Math.max(0, b[0]);
  const y0 = Math.max(0, b[1]);
  const x1 = Math.min(width, b[0] + b[2]);
  const y1 = Math.min(height, b[1] + b[3]);
  if (x1 - x0 < 1 || y1 - y0 < 1)
    throw new CocoFormatError(path, `the box [${b.join(', ')}] covers less than one pixel of the ${width}x${height} image`);
  return [x0, y0, x1 - x0, y1 - y0];
}

/** The fields of an annotation this app reads; every other field is kept as it is for the export. */
const READ_FIELDS = new Set(['id', 'image_id', 'category_id', 'segmentation', 'area', 'bbox', 'iscrowd', 'score']);

function originalOf(a: Record<string, Json>, cocoId: number, tracked: boolean): CocoOriginal {
  const o: CocoOriginal = { id: cocoId };
  const area = field(a, 'area');
  if (typeof area === 'number' && Number.isFinite(area) && area >= 0) o.area = area;
  const bbox = field(a, 'bbox');
  if (
    Array.isArray(bbox) &&
    bbox.length === 4 &&
    bbox.every((v) => typeof v === 'number' && Number.isFinite(v)) &&
    bbox[2] >= 0 &&
    bbox[3] >= 0
  )
    o.bbox = bbox as [number, number, number, number];
  const extra: Record<string, unknown> = {};
  for (const k of Object.keys(a)) if (!READ_FIELDS.has(k) && k !== '__proto__' && !(tracked && k === 'track_id')) extra[k] = a[k];
  if (Object.keys(extra).length) o.extra = extra;
  return o;
}

/**
 * Reads and validates a COCO instances file (already parsed JSON). Polygons are rasterized as the
 * reference does and united per annotation; RLE may be compressed or uncompressed. Throws a
 * {@link CocoFormatError} naming the first bad field; nothing is returned half-way.
 */
export function parseCoco(data: Json, onProgress?: (done: number, total: number) => void): CocoImport {
  if (!isObject(data))
    throw new CocoFormatError('(file)', `expected a COCO object with images, annotations and categories, found ${describe(data)}`);
  const rawImages = array(data, 'images', '');
  const rawAnns = field(data, 'annotations') === undefined ? [] : array(data, 'annotations', '');
  const rawCats = field(data, 'categories') === undefined ? [] : array(data, 'categories', '');
  const n = (x: number) => x.toLocaleString('en');
  if (rawImages.length > COCO_LIMITS.maxImages)
    throw new CocoFormatError(
      'images',
      `${n(rawImages.length)} images, more than the ${n(COCO_LIMITS.maxImages)} one project can hold; split the file into several projects`,
    );
  if (rawAnns.length > COCO_LIMITS.maxAnnotations)
    throw new CocoFormatError(
      'annotations',
      `${n(rawAnns.length)} annotations, more than the ${n(COCO_LIMITS.maxAnnotations)} one project can hold; split the file (by image) into several projects`,
    );

  const rawVideos = field(data, 'videos');
  const videos = rawVideos === undefined || rawVideos === null ? null : readVideos(array(data, 'videos', ''));
  const video = new VideoReader(videos);
  const images = new Map<number, ImportedImage>();
  rawImages.forEach((im, i) => {
    const path = `images[${i}]`;
    if (!isObject(im)) throw new CocoFormatError(path, `expected an object, found ${describe(im)}`);
    const cocoId = integer(im, 'id', path);
    const fileName = field(im, 'file_name');
    if (typeof fileName !== 'string' || fileName.trim() === '')
      throw new CocoFormatError(`${path}.file_name`, `expected a file name, found ${describe(fileName)}`);
    const width = integer(im, 'width', path, 1);
    const height = integer(im, 'height', path, 1);
    if (width > COCO_LIMITS.maxImageSide || height > COCO_LIMITS.maxImageSide)
      throw new CocoFormatError(path, `image size ${width}x${height} is not plausible`);
    if (images.has(cocoId)) throw new CocoFormatError(`${path}.id`, `id ${cocoId} is used by another image too`);
    const frame = video.image(im, path);
    images.set(cocoId, { cocoId, fileName, width, height, ...(frame ? { video: frame } : {}) });
  });

  const categories = new Map<number, ImportedCategory>();
  rawCats.forEach((c, i) => {
    const path = `categories[${i}]`;
    if (!isObject(c)) throw new CocoFormatError(path, `expected an object, found ${describe(c)}`);
    const cocoId = integer(c, 'id', path);
    const name = field(c, 'name');
    if (typeof name !== 'string' || name.trim() === '')
      throw new CocoFormatError(`${path}.name`, `expected a name, found ${describe(name)}`);
    if (categories.has(cocoId)) throw new CocoFormatError(`${path}.id`, `id ${cocoId} is used by another category too`);
    categories.set(cocoId, { cocoId, name: name.trim() });
  });

  const annotations: ImportedAnnotation[] = [];
  const emptyMasks: number[] = [];
  const seen = new Set<number>();
  rawAnns.forEach((a, i) => {
    if (onProgress && i % 5000 === 0) onProgress(i, rawAnns.length);
    const path = `annotations[${i}]`;
    if (!isObject(a)) throw new CocoFormatError(path, `expected an object, found ${describe(a)}`);
    const cocoId = integer(a, 'id', path);
    if (seen.has(cocoId)) throw new CocoFormatError(`${path}.id`, `id ${cocoId} is used by another annotation too`);
    seen.add(cocoId);
    const imageCocoId = integer(a, 'image_id', path);
    const image = images.get(imageCocoId);
    if (!image) throw new CocoFormatError(`${path}.image_id`, `no image has id ${imageCocoId}`);
    const categoryCocoId = integer(a, 'category_id', path);
    if (!categories.has(categoryCocoId)) throw new CocoFormatError(`${path}.category_id`, `no category has id ${categoryCocoId}`);
    const crowd = field(a, 'iscrowd');
    if (crowd !== undefined && crowd !== 0 && crowd !== 1)
      throw new CocoFormatError(`${path}.iscrowd`, `expected 0 or 1, found ${describe(crowd)}`);
    const seg = field(a, 'segmentation');
    const { width, height } = image;
    let segmentation: CocoRle | null = null;
    let format: ImportedAnnotation['format'];
    if (seg === undefined || seg === null || (Array.isArray(seg) && seg.length === 0)) {
      format = 'box';
    } else if (Array.isArray(seg)) {
      format = 'polygon';
      let points = 0;
      const polys = seg.map((p, j) => {
        const pp = `${path}.segmentation[${j}]`;
        if (!Array.isArray(p)) throw new CocoFormatError(pp, `expected a polygon [x1, y1, x2, y2, ...], found ${describe(p)}`);
        if (p.length < 6 || p.length % 2 !== 0)
          throw new CocoFormatError(pp, `a polygon needs an even number of coordinates, at least 6; found ${p.length}`);
        points += p.length;
        if (points > COCO_LIMITS.maxPolygonPoints)
          throw new CocoFormatError(pp, `more than ${COCO_LIMITS.maxPolygonPoints} polygon coordinates`);
        return p.map((v, k) => {
          const n = finiteNumber(v, `${pp}[${k}]`);
          checkCoordinate(n, k % 2 === 0 ? 'x' : 'y', width, height, `${pp}[${k}]`);
          return n;
        });
      });
      segmentation =
        polys.length === 1
          ? { size: [height, width], counts: rleStringFromCounts(rleCountsFromPolygon(polys[0]!, width, height)) }
          : rleFromMask(maskFromPolygons(polys, width, height), width, height);
    } else if (isObject(seg)) {
      format = 'rle';
      segmentation = readRle(seg, width, height, `${path}.segmentation`);
    } else {
      throw new CocoFormatError(`${path}.segmentation`, `expected polygons, an RLE object or nothing, found ${describe(seg)}`);
    }
    let bbox: [number, number, number, number];
    let area: number;
    if (segmentation) {
      bbox = rleBbox(segmentation);
      area = rleArea(segmentation);
      // a mask of no pixel (e.g. a polygon entirely outside the image) is not an annotation: left out, and counted
      if (area === 0) {
        emptyMasks.push(cocoId);
        return;
      }
    } else {
      bbox = boxInImage(readBbox(field(a, 'bbox'), `${path}.bbox`), width, height, `${path}.bbox`);
      area = bbox[2] * bbox[3];
    }
    const track = video.annotation(a, path, imageCocoId, image.video);
    const ann: ImportedAnnotation = {
      cocoId,
      imageCocoId,
      categoryCocoId,
      iscrowd: crowd === 1,
      segmentation,
      bbox,
      area,
      format,
      original: originalOf(a, cocoId, !!track),
      ...track,
    };
    // extras other tools ignore; read leniently (a foreign `attributes` object is not an error)
    const attrs = field(a, 'attributes');
    if (isObject(attrs)) {
      const src = field(attrs, 'source');
      if (typeof src === 'string' && src.trim()) ann.source = src.trim();
      const rev = field(attrs, 'review');
      if (rev === 'pending' || rev === 'accepted') ann.review = rev;
      const model = field(attrs, 'model');
      if (typeof model === 'string' && model.trim()) ann.model = model.trim().slice(0, 200);
    }
    const score = field(a, 'score');
    if (typeof score === 'number' && Number.isFinite(score)) ann.score = score;
    annotations.push(ann);
  });
  const out: CocoImport = { images: [...images.values()], categories: [...categories.values()], annotations, emptyMasks };
  if (videos || out.images.some((im) => im.video)) out.videos = [...(videos?.values() ?? [])];
  return out;
}

/** The key a file name is matched by: its last path part, lower-cased (case and folder differences tolerated). */
export function fileMatchKey(name: string): string {
  const parts = name.replace(/\\/g, '/').split('/');
  return (parts[parts.length - 1] ?? name).toLowerCase();
}

/**
 * Which of the images waiting for their files (named by an imported COCO file) a file opened as `name`
 * is: the one with the same path (case ignored); else the one whose path ends with the file's, or the
 * file's with its (a folder above either); else, for a frame, the frame of that index of the clip of
 * that name; else the only one with that last part. Several that fit equally: `ambiguous` (which one is
 * left to the user: frames of clips share names like 00000.jpg).
 */
export function matchWaitingImage<T extends { fileName: string; video?: { name: string; frame: number } }>(
  waiting: readonly T[],
  name: string,
  video?: { name: string; frame: number },
): { image: T } | { ambiguous: T[] } | null {
  const key = (n: string) => n.replace(/\\/g, '/').toLowerCase();
  const last = fileMatchKey(name);
  const same = waiting.filter((im) => fileMatchKey(im.fileName) === last);
  if (same.length === 0) return null;
  const path = key(name);
  const exact = same.filter((im) => key(im.fileName) === path);
  if (exact.length === 1) return { image: exact[0]! };
  const nested = same.filter((im) => key(im.fileName).endsWith(`/${path}`) || path.endsWith(`/${key(im.fileName)}`));
  if (nested.length === 1) return { image: nested[0]! };
  if (video) {
    const frame = same.filter((im) => im.video?.name.toLowerCase() === video.name.toLowerCase() && im.video.frame === video.frame);
    if (frame.length === 1) return { image: frame[0]! };
  }
  if (same.length === 1) return { image: same[0]! };
  return { ambiguous: exact.length > 1 ? exact : nested.length > 1 ? nested : same };
}
