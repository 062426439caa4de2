/**
 * The video fields of a COCO file (the "COCO video" layout of TAO and mmtracking's CocoVID): a
 * `videos` list, each frame image's `video_id` and `frame_index`, each tracked annotation's
 * `track_id`, and this app's `attributes.track` (how the mask came to be) and `attributes.flag`.
 * What the export writes and the import reads and checks.
 */
import type { Annotation, ImageRecord, TrackRole } from '../project/types.ts';
import { clipsOf } from '../video/clips.ts';
import { CocoFormatError, describe, field, isObject, type Json } from './read.ts';

/** A video as the export writes it: `length` counts its frames (images); `fps` is left out when not known. */
export interface CocoVideo {
  id: number;
  name: string;
  width: number;
  height: number;
  length: number;
  fps?: number;
}

/** The `videos` of a project's export, one per clip (in the order their first frames appear). */
export function cocoVideosOf(images: readonly ImageRecord[]): CocoVideo[] {
  return clipsOf(images).map((c) => ({
    id: c.id,
    name: c.name,
    width: c.width,
    height: c.height,
    length: c.frames.length,
    ...(typeof c.fps === 'number' ? { fps: c.fps } : {}),
  }));
}

/** The attributes a tracked annotation's export adds: its role (a keyframe where unset) and its flag. */
export function trackAttributes(a: Annotation): { track: TrackRole; flag?: Annotation['flag'] } {
  return { track: a.track ?? 'key', ...(a.flag ? { flag: a.flag } : {}) };
}

export interface ImportedVideo {
  cocoId: number;
  name: string;
  fps: number | null;
}

/** Where an imported image sits: its video (the file's id) and its frame index there. */
export interface ImportedFrameOf {
  videoCocoId: number;
  frame: number;
}

/** A file's `videos`, checked: ids unique, names text, frame rates positive numbers (or absent/null). */
export function readVideos(raw: Json[]): Map<number, ImportedVideo> {
  const videos = new Map<number, ImportedVideo>();
  raw.forEach((v, i) => {
    const path = `videos[${i}]`;
    if (!isObject(v)) throw new CocoFormatError(path, `expected an object, found ${describe(v)}`);
    const id = field(v, 'id');
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      throw new CocoFormatError(`${path}.id`, `expected an integer ≥ 0, found ${describe(id)}`);
    if (videos.has(id)) throw new CocoFormatError(`${path}.id`, `id ${id} is used by another video too`);
    const name = field(v, 'name');
    if (name !== undefined && (typeof name !== 'string' || name.trim() === ''))
      throw new CocoFormatError(`${path}.name`, `expected the video's name (its file or folder), found ${describe(name)}`);
    const fps = field(v, 'fps');
    if (fps !== undefined && fps !== null && (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0))
      throw new CocoFormatError(`${path}.fps`, `expected frames per second (a positive number) or null, found ${describe(fps)}`);
    videos.set(id, { cocoId: id, name: typeof name === 'string' ? name.trim() : `video ${id}`, fps: typeof fps === 'number' ? fps : null });
  });
  return videos;
}

/**
 * The video fields of a file's images and annotations, checked as they are read: every `video_id`
 * names a video, no two images are the same frame of a video, a track stays in one video and has one
 * mask per frame.
 */
export class VideoReader {
  /** "video:frame" → the image's path */
  private readonly frames = new Map<string, string>();
  /** track id → its video and the path of its first annotation */
  private readonly tracks = new Map<number, { video: number; path: string }>();
  /** "track:frame" → the annotation's path */
  private readonly trackFrames = new Map<string, string>();

  constructor(readonly videos: Map<number, ImportedVideo> | null) {}

  /** The frame an image is (undefined: not a frame). */
  image(im: Record<string, Json>, path: string): ImportedFrameOf | undefined {
    const vid = field(im, 'video_id');
    if (vid === undefined || vid === null) return undefined;
    if (typeof vid !== 'number' || !Number.isInteger(vid) || vid < 0)
      throw new CocoFormatError(`${path}.video_id`, `expected an integer ≥ 0, found ${describe(vid)}`);
    if (!this.videos?.has(vid))
      throw new CocoFormatError(
        `${path}.video_id`,
        `no video has id ${vid}; list the video in "videos" (id, name) or remove the image's video_id`,
      );
    const key = field(im, 'frame_index') !== undefined ? 'frame_index' : field(im, 'frame_id') !== undefined ? 'frame_id' : 'frame_index';
    const frame = field(im, key);
    if (typeof frame !== 'number' || !Number.isInteger(frame) || frame < 0)
      throw new CocoFormatError(`${path}.${key}`, `expected the frame's index in video ${vid} (an integer ≥ 0), found ${describe(frame)}`);
    const at = `${vid}:${frame}`;
    const other = this.frames.get(at);
    if (other !== undefined)
      throw new CocoFormatError(
        `${path}.${key}`,
        `frame ${frame} of video ${vid} is ${other} too; each frame of a video is one image (give one of them another frame_index)`,
      );
    this.frames.set(at, path);
    return { videoCocoId: vid, frame };
  }

  /**
   * The track fields of an annotation on `image` (undefined where it has no `track_id`). An
   * annotation on an image that is no frame keeps its `track_id` as a field of its own, unless the
   * file has videos: there it is a mistake.
   */
  annotation(
    a: Record<string, Json>,
    path: string,
    imageCocoId: number,
    frameOf: ImportedFrameOf | undefined,
  ): { trackId: number; track?: TrackRole; flag?: Annotation['flag'] } | undefined {
    const tid = field(a, 'track_id');
    if (tid === undefined || tid === null) return undefined;
    if (!frameOf) {
      if (!this.videos?.size) return undefined;
      throw new CocoFormatError(
        `${path}.track_id`,
        `image ${imageCocoId} is not a frame of a video (it has no video_id), so nothing can be tracked on it; give the image its video_id and frame_index, or remove the track_id`,
      );
    }
    if (typeof tid !== 'number' || !Number.isInteger(tid) || tid < 0)
      throw new CocoFormatError(`${path}.track_id`, `expected an integer ≥ 0, found ${describe(tid)}`);
    const { videoCocoId: video, frame } = frameOf;
    const t = this.tracks.get(tid);
    if (!t) this.tracks.set(tid, { video, path });
    else if (t.video !== video)
      throw new CocoFormatError(
        `${path}.track_id`,
        `track ${tid} is in video ${t.video} (${t.path}) and in video ${video}; a track is one object in one video: give the object in video ${video} another track_id`,
      );
    const at = `${tid}:${frame}`;
    const other = this.trackFrames.get(at);
    if (other !== undefined)
      throw new CocoFormatError(
        `${path}.track_id`,
        `track ${tid} has two annotations on frame ${frame} of video ${video} (${other} and ${path}); a track has one mask per frame: keep one`,
      );
    this.trackFrames.set(at, path);
    const out: { trackId: number; track?: TrackRole; flag?: Annotation['flag'] } = { trackId: tid };
    // this app's attributes, read leniently like its others
    const attrs = field(a, 'attributes');
    if (isObject(attrs)) {
      const role = field(attrs, 'track');
      if (role === 'key' || role === 'keyframe') out.track = 'key';
      else if (role === 'propagated' || role === 'interpolated') out.track = role;
      const flag = field(attrs, 'flag');
      if (flag === 'lost' || flag === 'abrupt' || flag === 'uncertain') out.flag = flag;
    }
    return out;
  }
}
