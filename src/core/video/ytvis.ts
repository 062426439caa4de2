/**
 * YouTube-VIS (video instance segmentation) JSON, as `pycocotools.ytvos` reads it: `videos` with
 * their frames' `file_names`, and one annotation per object track with a mask (RLE or null) for
 * every frame of its video. The export writes one video per clip and one annotation per track;
 * the import reads masks back (compressed or uncompressed RLE, or polygons) and matches frames to a
 * project's clips by name (see `trackImport.ts`).
 */
import { COCO_LIMITS } from '../coco/import.ts';
import { array, CocoFormatError, describe, field, integer, isObject, readRle, type Json } from '../coco/read.ts';
import { uniqueStems } from '../export/files.ts';
import { maskFromPolygons } from '../mask/polygon.ts';
import { rleArea, rleFromMask, type CocoRle } from '../mask/rle.ts';
import type { Annotation, Project, TrackRole } from '../project/types.ts';
import { clipsOf, tracksOf } from './clips.ts';
import { mergeTracksIntoProject, type TrackImport, type TrackMergeReport } from './trackImport.ts';

export interface YtvisVideo {
  id: number;
  width: number;
  height: number;
  length: number;
  /** "<video>/<frame file>", one per frame, in frame order */
  file_names: string[];
  /** the clip's name (not in the original dataset; readers ignore it) */
  name?: string;
}

export interface YtvisAnnotation {
  /** the track */
  id: number;
  video_id: number;
  category_id: number;
  iscrowd: 0;
  height: number;
  width: number;
  length: 1;
  /** one per frame of the video: the object's mask there, null where it has none */
  segmentations: (CocoRle | null)[];
  areas: (number | null)[];
  bboxes: ([number, number, number, number] | null)[];
  /** this app's: each mask's role (null where no mask), and propagation's flags where any is set */
  attributes: { track: (TrackRole | null)[]; flag?: (Annotation['flag'] | null)[] };
}

export interface YtvisDataset {
  info: { description: string; version: string; date_created: string };
  videos: YtvisVideo[];
  categories: { id: number; name: string; supercategory: string }[];
  annotations: YtvisAnnotation[];
}

/** The last part of a path. */
const baseName = (p: string) => p.replace(/\\/g, '/').split('/').pop() || p;

/**
 * YouTube-VIS JSON of a project's clips: one video per clip (its frames in frame order, named
 * "<clip name without extension>/<frame file name>"), one annotation per track (its id the track's)
 * with compressed RLE on the frames it has a mask on and null on the others. Images that are no
 * frame are left out. `keep` leaves out masks (e.g. unreviewed proposals).
 */
export function projectToYtvis(project: Project, options: { keep?: (a: Annotation) => boolean } = {}, now = new Date()): YtvisDataset {
  const clips = clipsOf(project.images);
  const folders = uniqueStems(clips.map((c) => c.name));
  const anns = options.keep ? project.annotations.filter(options.keep) : project.annotations;
  const tracks = tracksOf({ images: project.images, annotations: anns });
  const videos = clips.map((c, k) => ({
    id: c.id,
    width: c.width,
    height: c.height,
    length: c.frames.length,
    file_names: c.frames.map((f) => `${folders[k]}/${baseName(f.fileName)}`),
    name: c.name,
  }));
  const annotations: YtvisAnnotation[] = [];
  for (const t of tracks) {
    const clip = clips.find((c) => c.id === t.videoId);
    if (!clip) continue;
    const per = clip.frames.map((f) => t.byFrame.get(f.video!.frame) ?? null);
    const flags = per.map((a) => a?.flag ?? null);
    annotations.push({
      id: t.id,
      video_id: clip.id,
      category_id: t.categoryId,
      iscrowd: 0,
      height: clip.height,
      width: clip.width,
      length: 1,
      segmentations: per.map((a) => (a ? { size: [a.segmentation.size[0], a.segmentation.size[1]], counts: a.segmentation.counts } : null)),
      areas: per.map((a) => a?.area ?? null),
      bboxes: per.map((a) => (a ? [...a.bbox] : null)),
      attributes: {
        track: per.map((a) => (a ? (a.track ?? 'key') : null)),
        ...(flags.some((f) => f) ? { flag: flags } : {}),
      },
    });
  }
  return {
    info: { description: project.name, version: '1.0', date_created: now.toISOString() },
    videos,
    categories: project.categories.map((c) => ({ id: c.id, name: c.name, supercategory: '' })),
    annotations,
  };
}

export interface YtvisImportVideo {
  id: number;
  name: string | null;
  width: number;
  height: number;
  fileNames: string[];
}

export interface YtvisImportTrack {
  /** the file's annotation id */
  id: number;
  videoId: number;
  categoryId: number;
  /** one per frame of its video, compressed; null where it has no mask (or an empty one) */
  masks: (CocoRle | null)[];
  roles?: (TrackRole | null)[];
  flags?: (Annotation['flag'] | null)[];
}

export interface YtvisImport {
  videos: YtvisImportVideo[];
  categories: { id: number; name: string }[];
  tracks: YtvisImportTrack[];
}

const ROLES = new Set<unknown>(['key', 'propagated', 'interpolated']);
const FLAGS = new Set<unknown>(['lost', 'abrupt', 'uncertain']);

/** One entry of `segmentations`: null, an RLE object, or polygons (united); empty masks are null. */
function readMask(seg: Json, width: number, height: number, path: string): CocoRle | null {
  if (seg === null || seg === undefined) return null;
  let rle: CocoRle;
  if (isObject(seg)) rle = readRle(seg, width, height, path);
  else if (Array.isArray(seg)) {
    const polys = seg.map((p, j) => {
      const pp = `${path}[${j}]`;
      if (!Array.isArray(p) || p.length < 6 || p.length % 2 !== 0)
        throw new CocoFormatError(pp, `expected a polygon [x1, y1, x2, y2, ...] of at least 3 points, found ${describe(p)}`);
      return p.map((v, k) => {
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw new CocoFormatError(`${pp}[${k}]`, `expected a number, found ${describe(v)}`);
        const side = k % 2 === 0 ? width : height;
        if (v < -side || v > 2 * side) throw new CocoFormatError(`${pp}[${k}]`, `${v} is far outside the ${width}x${height} frame`);
        return v;
      });
    });
    rle = rleFromMask(maskFromPolygons(polys, width, height), width, height);
  } else throw new CocoFormatError(path, `expected an RLE object, polygons or null, found ${describe(seg)}`);
  return rleArea(rle) === 0 ? null : rle;
}

/** Per-frame values of this app's attributes, where they are an array of the video's length. */
function perFrame<T>(attrs: Json, key: string, n: number, ok: Set<unknown>): (T | null)[] | undefined {
  if (!isObject(attrs)) return undefined;
  const v = field(attrs, key);
  if (!Array.isArray(v) || v.length !== n) return undefined;
  return v.map((x) => (ok.has(x) ? (x as T) : null));
}

/**
 * Reads and checks a YouTube-VIS file (parsed JSON): every annotation names a video and a category
 * of the file and has one entry per frame of its video in `segmentations`, each null or a mask of the
 * video's size. Throws a {@link CocoFormatError} naming the first bad field.
 */
export function parseYtvis(data: Json): YtvisImport {
  if (!isObject(data))
    throw new CocoFormatError('(file)', `expected a YouTube-VIS object with videos, annotations and categories, found ${describe(data)}`);
  const rawVideos = array(data, 'videos', '');
  const rawCats = field(data, 'categories') === undefined ? [] : array(data, 'categories', '');
  const rawAnns = field(data, 'annotations') === undefined ? [] : array(data, 'annotations', '');
  const videos = new Map<number, YtvisImportVideo>();
  let frames = 0;
  rawVideos.forEach((v, i) => {
    const path = `videos[${i}]`;
    if (!isObject(v)) throw new CocoFormatError(path, `expected an object, found ${describe(v)}`);
    const id = integer(v, 'id', path);
    if (videos.has(id)) throw new CocoFormatError(`${path}.id`, `id ${id} is used by another video too`);
    const width = integer(v, 'width', path, 1);
    const height = integer(v, 'height', path, 1);
    if (width > COCO_LIMITS.maxImageSide || height > COCO_LIMITS.maxImageSide)
      throw new CocoFormatError(path, `frame size ${width}x${height} is not plausible`);
    const fileNames = array(v, 'file_names', path).map((f, k) => {
      if (typeof f !== 'string' || f.trim() === '')
        throw new CocoFormatError(`${path}.file_names[${k}]`, `expected a frame's file name, found ${describe(f)}`);
      return f;
    });
    const length = field(v, 'length');
    if (length !== undefined && length !== fileNames.length)
      throw new CocoFormatError(
        `${path}.length`,
        `${describe(length)}, but file_names lists ${fileNames.length} frames; length is the number of frames (one file name each)`,
      );
    frames += fileNames.length;
    if (frames > COCO_LIMITS.maxImages)
      throw new CocoFormatError(path, `more than ${COCO_LIMITS.maxImages} frames in all; split the file into several projects`);
    const name = field(v, 'name');
    videos.set(id, { id, name: typeof name === 'string' && name.trim() ? name.trim() : null, width, height, fileNames });
  });
  const categories = new Map<number, { id: number; name: string }>();
  rawCats.forEach((c, i) => {
    const path = `categories[${i}]`;
    if (!isObject(c)) throw new CocoFormatError(path, `expected an object, found ${describe(c)}`);
    const id = integer(c, 'id', path);
    const name = field(c, 'name');
    if (typeof name !== 'string' || name.trim() === '')
      throw new CocoFormatError(`${path}.name`, `expected a name, found ${describe(name)}`);
    if (categories.has(id)) throw new CocoFormatError(`${path}.id`, `id ${id} is used by another category too`);
    categories.set(id, { id, name: name.trim() });
  });
  const tracks: YtvisImportTrack[] = [];
  const seen = new Set<number>();
  let masks = 0;
  rawAnns.forEach((a, i) => {
    const path = `annotations[${i}]`;
    if (!isObject(a)) throw new CocoFormatError(path, `expected an object, found ${describe(a)}`);
    const id = integer(a, 'id', path);
    if (seen.has(id)) throw new CocoFormatError(`${path}.id`, `id ${id} is used by another annotation too`);
    seen.add(id);
    const videoId = integer(a, 'video_id', path);
    const video = videos.get(videoId);
    if (!video) throw new CocoFormatError(`${path}.video_id`, `no video has id ${videoId}`);
    const categoryId = integer(a, 'category_id', path);
    if (!categories.has(categoryId)) throw new CocoFormatError(`${path}.category_id`, `no category has id ${categoryId}`);
    const segs = array(a, 'segmentations', path);
    const n = video.fileNames.length;
    if (segs.length !== n)
      throw new CocoFormatError(
        `${path}.segmentations`,
        `${segs.length} entries, but video ${videoId} has ${n} frames; give one per frame (null where the object is not seen)`,
      );
    masks += n;
    if (masks > COCO_LIMITS.maxAnnotations)
      throw new CocoFormatError(path, `more than ${COCO_LIMITS.maxAnnotations} masks in all; split the file into several projects`);
    const track: YtvisImportTrack = {
      id,
      videoId,
      categoryId,
      masks: segs.map((s, k) => readMask(s, video.width, video.height, `${path}.segmentations[${k}]`)),
    };
    const attrs = field(a, 'attributes');
    const roles = perFrame<TrackRole>(attrs, 'track', n, ROLES);
    const flags = perFrame<NonNullable<Annotation['flag']>>(attrs, 'flag', n, FLAGS);
    if (roles) track.roles = roles;
    if (flags) track.flags = flags;
    tracks.push(track);
  });
  return { videos: [...videos.values()], categories: [...categories.values()], tracks };
}

/**
 * Adds a parsed YouTube-VIS file's tracks to a project whose clips hold its frames (matched by the
 * video's name or folder, then by frame file name; see `mergeTracksIntoProject`). Categories are
 * matched by name or created; every track becomes a new track of the project.
 */
export function mergeYtvisIntoProject(project: Project, imp: YtvisImport, now = Date.now()): TrackMergeReport {
  return mergeTracksIntoProject(project, ytvisTrackImport(imp), now);
}

/** A parsed YouTube-VIS file as tracks to add (see `mergeTracksIntoProject`). */
export function ytvisTrackImport(imp: YtvisImport): TrackImport {
  const index = new Map(imp.videos.map((v, i) => [v.id, i]));
  const catName = new Map(imp.categories.map((c) => [c.id, c.name]));
  return {
    clips: imp.videos.map((v) => ({ name: v.name, frames: v.fileNames })),
    tracks: imp.tracks.map((t) => ({
      clip: index.get(t.videoId)!,
      category: catName.get(t.categoryId) ?? null,
      masks: t.masks,
      ...(t.roles ? { roles: t.roles } : {}),
      ...(t.flags ? { flags: t.flags } : {}),
    })),
  };
}
