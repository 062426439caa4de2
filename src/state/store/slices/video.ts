/**
 * Video: clips (a folder of numbered frames, every frame or every k-th), the selected track, the
 * frames a propagation or interpolation made (one undoable step per run), and track edits. A frame is
 * an image of the project (`video` on its record), so every image tool works on it; the propagation
 * itself runs in services/tracking.ts, which reports its progress here (`tracking`).
 */
import { DiffBuilder } from '../../../core/project/changes.ts';
import type { Annotation, ImageRecord, TrackRole } from '../../../core/project/types.ts';
import type { CocoRle } from '../../../core/mask/rle.ts';
import type { Prompts } from '../../../core/sam/prompts.ts';
import { clipsMemo, sortFrameNames, tracksOf } from '../../../core/video/clips.ts';
import type { SliceContext } from '../store.ts';
import { newClipId, videoFileOpener, type OpenVideoOptions, type VideoDecoding } from './videoFile.ts';

export interface TrackingState {
  trackId: number;
  /** 'propagate' forward (1) or backward (-1), or 'interpolate' */
  kind: 'propagate' | 'interpolate';
  /** how a propagation made its masks: 'sam' each frame prompted from the previous mask (the image model), 'sam2-video' SAM 2's video memory */
  method?: 'sam' | 'sam2-video';
  direction: 1 | -1;
  done: number;
  total: number;
  /** the frame being computed (its frame index) */
  frame: number | null;
  /** frames flagged so far */
  flagged: number;
  status: 'running' | 'paused' | 'waiting' | 'done' | 'stopped' | 'cancelled' | 'failed';
  /** why it stopped or failed */
  message?: string;
}

/** A mask a propagation or interpolation made for a frame of a track. */
export interface TrackFrameMask {
  imageId: number;
  rle: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  score: number | null;
  prompts: Prompts;
  flag: 'lost' | 'abrupt' | 'uncertain' | null;
  role: Exclude<TrackRole, 'key'>;
  /** the model that made it (default: the image model's id, for propagated masks) */
  model?: string;
}

export interface OpenFramesOptions {
  /** the clip's name (default: the folder's) */
  name?: string;
  /** annotate every k-th frame (1: every frame) */
  every?: number;
  /** frames per second, when known */
  fps?: number | null;
}

/** SAM 2's video memory model (apart from the image model): its four files and whether it is loaded. */
export interface VideoModelState {
  status: 'loading' | 'ready' | 'error';
  /** where it came from: the files' names, or the page's URL */
  source: string;
  /** which file is which graph (once loaded) */
  files?: { encoder: string; decoder: string; memoryAttention: string; memoryEncoder: string };
  /** what the masks it makes record as `model` (once loaded): `sam2-video:` and the graphs' folder (core sam2VideoModelId) */
  id?: string;
  error?: string;
  hint?: string;
}

export interface VideoSlice {
  selectedTrackId: number | null;
  /** the clip is playing (the timeline steps through its frames) */
  playing: boolean;
  setPlaying(on: boolean): void;
  /** the propagation or interpolation under way or last run (null: none yet) */
  tracking: TrackingState | null;
  /** a flagged frame (object lost, abrupt change) stops propagation (else it goes on and only marks it) */
  stopOnFlag: boolean;
  /** SAM 2's video memory model (null: none; propagation then uses the image model frame by frame) */
  videoModel: VideoModelState | null;
  setVideoModel(m: VideoModelState | null): void;
  /** Opens a folder of numbered frames as one clip (frames in number order); resolves to the frames' image ids. */
  addFrames(files: readonly { blob: Blob; name: string }[], options?: OpenFramesOptions): Promise<number[]>;
  selectTrack(id: number | null): void;
  setTracking(t: TrackingState | null): void;
  setStopOnFlag(on: boolean): void;
  /**
   * Puts masks made by propagation or interpolation on frames of a track: a frame's earlier machine-made
   * mask of the track is replaced, a person's keyframe never is; a track with no mask left (deleted) gets
   * none. Every call with the same `runKey` joins one undo step (the run's, wherever it is in the history; steps the
   * person makes meanwhile and their redo are kept); once that step is undone the run's masks are refused.
   * Resolves to whether it was applied.
   */
  putTrackMasks(trackId: number, masks: readonly TrackFrameMask[], runKey: string, categoryId?: number): boolean;
  /** Removes a track's machine-made masks on the given frames (image ids), keyframes kept. */
  clearTrackFrames(trackId: number, imageIds: readonly number[]): void;
  deleteTrack(trackId: number): void;
  setTrackCategory(trackId: number, categoryId: number): void;
  /** Shows frame `frame` of the shown clip (the nearest annotated frame at or before it). */
  showFrame(frame: number): void;
  /** Steps through the shown clip's frames (no-op outside a clip). */
  stepFrame(delta: number): void;
  /** the video file being decoded by `addVideoFile` (null: none) */
  videoDecoding: VideoDecoding | null;
  /**
   * Opens a video file as one clip (decoded in a worker; every frame or every k-th, the frame index its
   * place by timestamp), its frames added as PNG images named `<stem>/<frame 00000>.png` as they come.
   * Resolves to the frames' image ids (none when the file could not be opened: see the notifications).
   */
  addVideoFile(file: Blob, name: string, options?: OpenVideoOptions): Promise<number[]>;
}

const IMAGE_NAME = /\.(png|jpe?g|webp|bmp|gif|avif)$/i;

export function createVideoSlice(ctx: SliceContext): VideoSlice {
  const { get, set, ids } = ctx;

  // the clips of the project's images as they are now, grouped once per images array (not on every step)
  const clips = clipsMemo();
  const clipShown = () => {
    const s = get();
    const videoId = s.project.images.find((im) => im.id === s.currentImageId)?.video?.id;
    return videoId === undefined ? null : (clips(s.project.images).find((c) => c.id === videoId) ?? null);
  };

  return {
    selectedTrackId: null,
    playing: false,
    setPlaying(on) {
      if (get().playing !== on) set({ playing: on });
    },
    tracking: null,
    stopOnFlag: true,
    videoModel: null,
    setVideoModel(m) {
      set({ videoModel: m });
    },

    async addFrames(files, options = {}) {
      const frames = sortFrameNames(files.filter((f) => IMAGE_NAME.test(f.name)));
      const s = get();
      if (frames.length === 0) {
        s.notify(
          'error',
          'No frames were opened: the folder holds no images.',
          'Pick a folder of numbered frames (PNG or JPEG), e.g. 00000.jpg, 00001.jpg, ...',
        );
        return [];
      }
      const every = Math.max(1, Math.floor(options.every ?? 1));
      const first = frames[0]!.name;
      const folder = first.includes('/') ? first.slice(0, first.lastIndexOf('/')) : '';
      const name = options.name ?? (folder.split('/').pop() || 'frames');
      const id = newClipId(ids, s.project);
      const fps = options.fps ?? null;
      const items = frames
        .map((f, frame) => ({ ...f, video: { id, name, frame, fps } }))
        .filter((f) => f.video.frame % every === 0 || f.video.frame === frames.length - 1);
      return get().addImageBlobs(items, 'first');
    },

    selectTrack(id) {
      if (get().selectedTrackId !== id) set({ selectedTrackId: id });
    },

    setTracking(t) {
      set({ tracking: t });
    },

    setStopOnFlag(on) {
      set({ stopOnFlag: on });
    },

    putTrackMasks(trackId, masks, runKey, categoryId) {
      const s = get();
      const byImage = new Map<number, Annotation>();
      for (const a of s.project.annotations) if (a.trackId === trackId) byImage.set(a.imageId, a);
      // a track without masks was deleted (or undone) meanwhile: a run still going never brings it back
      if (byImage.size === 0) return false;
      const category = categoryId ?? [...byImage.values()].sort((a, b) => b.id - a.id)[0]?.categoryId ?? s.currentCategoryId;
      const b = new DiffBuilder(s.project);
      for (const m of masks) {
        const old = byImage.get(m.imageId);
        if (old && (old.track ?? 'key') === 'key') continue;
        const ann: Annotation = {
          id: old?.id ?? ids.next('annotations', b.project),
          imageId: m.imageId,
          categoryId: category,
          segmentation: m.rle,
          area: m.area,
          bbox: m.bbox,
          score: m.score,
          prompts: m.prompts,
          source: m.role === 'propagated' ? 'propagate' : 'interpolate',
          createdAt: Date.now(),
          trackId,
          track: m.role,
        };
        if (m.flag) ann.flag = m.flag;
        const model = m.model ?? (m.role === 'propagated' ? s.model.id : null);
        if (model) ann.model = model;
        if (old) b.update('annotations', old.id, () => ann);
        else b.add('annotations', ann);
      }
      return s.change(b.diff, 'run', {
        label: masks[0]?.role === 'interpolated' ? 'interpolate' : 'propagate',
        squashKey: runKey,
        imageId: masks[0]?.imageId ?? null,
      });
    },

    clearTrackFrames(trackId, imageIds) {
      const s = get();
      const on = new Set(imageIds);
      const b = new DiffBuilder(s.project);
      for (const a of s.project.annotations)
        if (a.trackId === trackId && on.has(a.imageId) && a.track && a.track !== 'key') b.remove('annotations', a.id);
      s.change(b.diff, 'record', { label: 'clear track frames' });
    },

    deleteTrack(trackId) {
      const s = get();
      const b = new DiffBuilder(s.project);
      for (const a of s.project.annotations) if (a.trackId === trackId) b.remove('annotations', a.id);
      if (s.change(b.diff, 'record', { label: 'delete track' }) && get().selectedTrackId === trackId) set({ selectedTrackId: null });
    },

    setTrackCategory(trackId, categoryId) {
      const s = get();
      if (!s.project.categories.some((c) => c.id === categoryId)) return;
      const b = new DiffBuilder(s.project);
      for (const a of s.project.annotations)
        if (a.trackId === trackId && a.categoryId !== categoryId) b.update('annotations', a.id, (x) => ({ ...x, categoryId }));
      s.change(b.diff, 'record', { label: 'track category' });
    },

    showFrame(frame) {
      const clip = clipShown();
      if (!clip) return;
      let target = clip.frames[0]!;
      for (const f of clip.frames) if (f.video!.frame <= frame) target = f;
      if (target.id !== get().currentImageId) get().showImage(target.id);
    },

    stepFrame(delta) {
      const s = get();
      const clip = clipShown();
      if (!clip) return;
      const i = clip.frames.findIndex((f) => f.id === s.currentImageId);
      const target = clip.frames[Math.min(clip.frames.length - 1, Math.max(0, i + delta))];
      if (target && target.id !== s.currentImageId) s.showImage(target.id);
    },

    videoDecoding: null,
    addVideoFile: videoFileOpener(ctx),
  };
}

/** The track an accepted mask on a frame joins: the edited mask's, else the selected track where it has no person's mask on this frame, else a new one. */
export function trackForAccept(
  s: { project: { images: readonly ImageRecord[]; annotations: readonly Annotation[] }; selectedTrackId: number | null },
  imageId: number,
  edited: Annotation | undefined,
  newId: number,
): { trackId: number; replaces: Annotation | null } | null {
  const im = s.project.images.find((i) => i.id === imageId);
  if (!im?.video) return null;
  if (edited?.trackId !== undefined) return { trackId: edited.trackId, replaces: null };
  if (edited) return { trackId: newId, replaces: null };
  const sel = s.selectedTrackId;
  if (sel !== null) {
    const track = tracksOf(s.project, im.video.id).find((t) => t.id === sel);
    const here = track?.byFrame.get(im.video.frame);
    if (track && (!here || (here.track ?? 'key') !== 'key')) return { trackId: sel, replaces: here ?? null };
  }
  return { trackId: newId, replaces: null };
}
