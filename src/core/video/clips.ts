/**
 * Clips and tracks in a project: a clip is the images whose `video.id` is the same (its frames, in
 * frame order); a track is the annotations whose `trackId` is the same (one object across the frames
 * of a clip, one mask per frame). Pure: the store, the exports and the CLI share these.
 */
import type { Annotation, ImageRecord } from '../project/types.ts';

export interface Clip {
  id: number;
  name: string;
  fps: number | null;
  /** its frames, by frame index */
  frames: ImageRecord[];
  width: number;
  height: number;
}

export interface Track {
  id: number;
  videoId: number;
  /** the category of its newest mask (a track has one category; changing it changes every mask) */
  categoryId: number;
  /** its masks by frame index */
  byFrame: Map<number, Annotation>;
}

/** Every clip of the project, in the order their first frames appear. */
export function clipsOf(images: readonly ImageRecord[]): Clip[] {
  const clips = new Map<number, Clip>();
  for (const im of images) {
    if (!im.video) continue;
    let c = clips.get(im.video.id);
    if (!c)
      clips.set(
        im.video.id,
        (c = { id: im.video.id, name: im.video.name, fps: im.video.fps, frames: [], width: im.width, height: im.height }),
      );
    c.frames.push(im);
  }
  for (const c of clips.values()) c.frames.sort((a, b) => a.video!.frame - b.video!.frame);
  return [...clips.values()];
}

/**
 * `clipsOf` kept for the images array it was made from: the store's arrays are never changed in place (a change
 * makes a new array), so a frame step asks for the clips without grouping and sorting every frame again. The clips
 * it gives are shared: not to be changed.
 */
export function clipsMemo(): (images: readonly ImageRecord[]) => readonly Clip[] {
  let last: readonly ImageRecord[] | null = null;
  let clips: Clip[] = [];
  return (images) => {
    if (images !== last) {
      last = images;
      clips = clipsOf(images);
    }
    return clips;
  };
}

/** The clip an image is a frame of, or null. */
export function clipOf(images: readonly ImageRecord[], imageId: number | null): Clip | null {
  if (imageId === null) return null;
  const im = images.find((i) => i.id === imageId);
  if (!im?.video) return null;
  return clipsOf(images).find((c) => c.id === im.video!.id) ?? null;
}

/** Every track of a clip (or of the project), by id. */
export function tracksOf(project: { images: readonly ImageRecord[]; annotations: readonly Annotation[] }, videoId?: number): Track[] {
  const frameOf = new Map<number, { video: number; frame: number }>();
  for (const im of project.images) if (im.video) frameOf.set(im.id, { video: im.video.id, frame: im.video.frame });
  const tracks = new Map<number, Track>();
  const newest = new Map<number, number>();
  for (const a of project.annotations) {
    if (a.trackId === undefined) continue;
    const f = frameOf.get(a.imageId);
    if (!f || (videoId !== undefined && f.video !== videoId)) continue;
    let t = tracks.get(a.trackId);
    if (!t) tracks.set(a.trackId, (t = { id: a.trackId, videoId: f.video, categoryId: a.categoryId, byFrame: new Map() }));
    const other = t.byFrame.get(f.frame);
    // one mask per frame; were there two (a merge of two users' work), the newer counts
    if (!other || other.createdAt <= a.createdAt) t.byFrame.set(f.frame, a);
    if (a.id >= (newest.get(t.id) ?? 0)) {
      newest.set(t.id, a.id);
      t.categoryId = a.categoryId;
    }
  }
  return [...tracks.values()].sort((a, b) => a.id - b.id);
}

/** The smallest track id no annotation uses. */
export function nextTrackId(annotations: readonly Annotation[]): number {
  let max = 0;
  for (const a of annotations) if (a.trackId !== undefined && a.trackId > max) max = a.trackId;
  return max + 1;
}

/** The smallest clip id no image uses. */
export function nextVideoId(images: readonly ImageRecord[]): number {
  let max = 0;
  for (const im of images) if (im.video && im.video.id > max) max = im.video.id;
  return max + 1;
}

/**
 * The frames propagation computes from the keyframe at `from` (an index into `clip.frames`) in a
 * direction: every frame after it up to the clip's end, or only up to the track's next person-made
 * keyframe (`untilKey`); never a keyframe itself (a person's mask is never overwritten).
 */
export function propagationFrames(clip: Clip, track: Track | null, from: number, direction: 1 | -1, untilKey = true): number[] {
  const out: number[] = [];
  for (let i = from + direction; i >= 0 && i < clip.frames.length; i += direction) {
    const a = track?.byFrame.get(clip.frames[i]!.video!.frame);
    if (a && (a.track ?? 'key') === 'key') {
      if (untilKey) break;
      continue;
    }
    out.push(i);
  }
  return out;
}

/** Frame index `i` of a clip as a time, "m:ss.ff" (frames within the second), or the frame number when the rate is unknown. */
export function frameTime(frame: number, fps: number | null): string {
  if (!fps) return `#${frame}`;
  const s = frame / fps;
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  return `${m}:${rest.toFixed(2).padStart(5, '0')}`;
}

/**
 * Files of a folder of numbered frames in frame order: by the last number in each name (so that
 * `frame_2.jpg` comes before `frame_10.jpg`), then by name. Their frame index is their place.
 */
export function sortFrameNames<T extends { name: string }>(files: readonly T[]): T[] {
  const num = (n: string) => {
    const m = /(\d+)(?!.*\d)/.exec(n);
    return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
  };
  return [...files].sort((a, b) => num(a.name) - num(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
