import { nextId, type Annotation, type ImageRecord, type PendingBox, type Project, type VideoFrame } from '../project/types.ts';
import { categoryColor } from '../project/palette.ts';
import { nextTrackId, nextVideoId } from '../video/clips.ts';
import { fileMatchKey, type CocoImport, type ImportedImage } from './import.ts';

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
  /** clips created (the file's videos none of whose frames was in the project yet) */
  newVideos: string[];
  /** tracks added */
  tracks: number;
}

/**
 * Adds an imported COCO file to a project: images matched by file name (case ignored; where the
 * path differs, by the video frame it is, or by its last part alone where no other image of the file
 * or the project has that last part) or added, categories matched by name (case-insensitive) or created, masks as annotations, bbox-only
 * annotations as pending boxes. Pure: returns a new project.
 *
 * A file with videos: a video whose frames are (some of them) frames of a clip already goes to that
 * clip, any other becomes a new clip (keeping the file's video id where no clip has it); images that
 * were not frames yet become frames (unless their clip has that frame already). Tracks keep the
 * file's track id where no annotation of the project has it, else get the next free one.
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
  const match = new ImageMatcher(images, imp);
  const imageIdOf = new Map<number, number>();
  const newImages: string[] = [];
  const sizeMismatches: string[] = [];
  const clips = videoTargets(project, imp, match);
  const frameOf = (v: { videoCocoId: number; frame: number } | undefined): VideoFrame | undefined => {
    const c = v && clips.of.get(v.videoCocoId);
    return c && v ? { ...c, frame: v.frame } : undefined;
  };
  const takenFrames = new Set(images.filter((im) => im.video).map((im) => `${im.video!.id}:${im.video!.frame}`));
  for (const im of imp.images) {
    const existing = match.find(im);
    if (existing) {
      if (existing.width !== im.width || existing.height !== im.height) {
        sizeMismatches.push(
          `${im.fileName} (file says ${im.width}x${im.height}, the opened image is ${existing.width}x${existing.height})`,
        );
        continue;
      }
      imageIdOf.set(im.cocoId, existing.id);
      const video = frameOf(im.video);
      if (!existing.video && video && !takenFrames.has(`${video.id}:${video.frame}`)) {
        // an image opened on its own becomes the frame the file says it is
        const rec = { ...existing, video };
        images[images.indexOf(existing)] = rec;
        match.replace(existing, rec);
        takenFrames.add(`${video.id}:${video.frame}`);
      }
    } else {
      const video = frameOf(im.video);
      const rec: ImageRecord = {
        id: newId('images'),
        fileName: im.fileName,
        width: im.width,
        height: im.height,
        cocoId: im.cocoId,
        ...(video ? { video } : {}),
      };
      if (video) takenFrames.add(`${video.id}:${video.frame}`);
      images.push(rec);
      match.add(rec);
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
  const frames = new Set(images.filter((im) => im.video).map((im) => im.id));
  const trackIdOf = new Map<number, number>();
  const projectTracks = new Set<number>();
  for (const a of annotations) if (a.trackId !== undefined) projectTracks.add(a.trackId);
  // a file's track keeps its id where the project has no such track; the others get ids neither uses
  const reserved = new Set(projectTracks);
  for (const a of imp.annotations) if (a.trackId !== undefined) reserved.add(a.trackId);
  let nextTrack = nextTrackId(annotations);
  const trackOf = (fileId: number): number => {
    let id = trackIdOf.get(fileId);
    if (id === undefined) {
      if (!projectTracks.has(fileId)) id = fileId;
      else {
        while (reserved.has(nextTrack)) nextTrack++;
        id = nextTrack;
        reserved.add(id);
      }
      trackIdOf.set(fileId, id);
    }
    return id;
  };
  for (const a of imp.annotations) {
    const imageId = imageIdOf.get(a.imageCocoId);
    const categoryId = catIdOf.get(a.categoryCocoId);
    if (imageId === undefined || categoryId === undefined) continue;
    if (a.segmentation) {
      const tracked = a.trackId !== undefined && frames.has(imageId);
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
        ...(tracked ? { trackId: trackOf(a.trackId!), ...(a.track ? { track: a.track } : {}), ...(a.flag ? { flag: a.flag } : {}) } : {}),
      };
      annotations.push(ann);
      masks++;
    } else {
      const box: PendingBox = { id: newId('pendingBoxes'), imageId, categoryId, bbox: a.bbox };
      pendingBoxes.push(box);
      boxes++;
    }
  }
  return {
    project: { ...project, images, categories, annotations, pendingBoxes },
    masks,
    boxes,
    newImages,
    newCategories,
    sizeMismatches,
    // a video none of whose frames came in (all of another size) made no clip
    newVideos: clips.created.filter((c) => images.some((im) => im.video?.id === c.id)).map((c) => c.name),
    tracks: trackIdOf.size,
  };
}

/**
 * The clip each video of the file goes to: the clip of the first of its frames that is a frame in
 * the project already, else a new clip (the file's id where no clip has it, else the next free one).
 */
function videoTargets(
  project: Project,
  imp: CocoImport,
  match: ImageMatcher,
): { of: Map<number, Omit<VideoFrame, 'frame'>>; created: { id: number; name: string }[] } {
  const of = new Map<number, Omit<VideoFrame, 'frame'>>();
  const created: { id: number; name: string }[] = [];
  if (!imp.videos?.length) return { of, created };
  for (const im of imp.images) {
    const v = match.find(im)?.video;
    if (im.video && v && !of.has(im.video.videoCocoId)) of.set(im.video.videoCocoId, { id: v.id, name: v.name, fps: v.fps });
  }
  const projectClips = new Set(project.images.filter((im) => im.video).map((im) => im.video!.id));
  // a new clip keeps the file's id where no clip has it; the others get ids neither uses
  const reserved = new Set([...projectClips, ...imp.videos.map((v) => v.cocoId)]);
  let next = nextVideoId(project.images);
  for (const v of imp.videos) {
    if (of.has(v.cocoId)) continue;
    let id = v.cocoId;
    if (projectClips.has(id)) {
      while (reserved.has(next)) next++;
      id = next;
      reserved.add(id);
    }
    of.set(v.cocoId, { id, name: v.name, fps: v.fps });
    created.push({ id, name: v.name });
  }
  return { of, created };
}

/** Path as compared: forward slashes, lower case. */
const pathKey = (name: string) => name.replace(/\\/g, '/').toLowerCase();

/**
 * Finds the project image a file's image is: the same path (case ignored); else, for a frame, the
 * frame of that index of the clip of that name; else the image with the same last part, where that
 * last part is the file's and the project's only one (clips' frames share names like 00000.jpg).
 */
class ImageMatcher {
  private readonly byPath = new Map<string, ImageRecord>();
  private readonly byLast = new Map<string, ImageRecord[]>();
  private readonly byFrame = new Map<string, ImageRecord>();
  private readonly fileLast = new Map<string, number>();
  private readonly videoName = new Map<number, string>();

  constructor(images: readonly ImageRecord[], imp: CocoImport) {
    for (const im of images) this.add(im);
    for (const im of imp.images) this.fileLast.set(fileMatchKey(im.fileName), (this.fileLast.get(fileMatchKey(im.fileName)) ?? 0) + 1);
    for (const v of imp.videos ?? []) this.videoName.set(v.cocoId, v.name.toLowerCase());
  }

  add(im: ImageRecord): void {
    if (!this.byPath.has(pathKey(im.fileName))) this.byPath.set(pathKey(im.fileName), im);
    const last = fileMatchKey(im.fileName);
    this.byLast.set(last, [...(this.byLast.get(last) ?? []), im]);
    if (im.video) {
      const k = `${im.video.name.toLowerCase()}:${im.video.frame}`;
      if (!this.byFrame.has(k)) this.byFrame.set(k, im);
    }
  }

  replace(old: ImageRecord, im: ImageRecord): void {
    if (this.byPath.get(pathKey(old.fileName)) === old) this.byPath.delete(pathKey(old.fileName));
    const last = fileMatchKey(old.fileName);
    this.byLast.set(
      last,
      (this.byLast.get(last) ?? []).filter((x) => x !== old),
    );
    this.add(im);
  }

  find(im: ImportedImage): ImageRecord | undefined {
    const exact = this.byPath.get(pathKey(im.fileName));
    if (exact) return exact;
    if (im.video) {
      const name = this.videoName.get(im.video.videoCocoId);
      const frame = name !== undefined ? this.byFrame.get(`${name}:${im.video.frame}`) : undefined;
      if (frame) return frame;
    }
    const last = fileMatchKey(im.fileName);
    const same = this.byLast.get(last);
    return same?.length === 1 && this.fileLast.get(last) === 1 ? same[0] : undefined;
  }
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
