/**
 * The automation contract's video part (`window.annotator.video`, see README): clips, tracks,
 * propagation and interpolation, as tests and scripts drive them.
 */
import type { CocoRle } from '../core/mask/rle.ts';
import type { TrackRole } from '../core/project/types.ts';
import { clipsOf, tracksOf } from '../core/video/clips.ts';
import { projectToYtvis } from '../core/video/ytvis.ts';
import { videoStats } from '../core/video/stats.ts';
import type { AppContext } from '../state/appContext.ts';
import type { PropagateRequest } from '../state/services/tracking.ts';
import type { OpenFramesOptions, TrackingState, VideoModelState } from '../state/store/slices/video.ts';

export interface ClipInfo {
  id: number;
  name: string;
  fps: number | null;
  width: number;
  height: number;
  /** the clip's frames in the project: frame index and image id */
  frames: { frame: number; imageId: number }[];
}

export interface TrackInfo {
  id: number;
  videoId: number;
  categoryId: number;
  /** its masks by frame, in frame order */
  masks: {
    frame: number;
    imageId: number;
    annotationId: number;
    role: TrackRole;
    flag: string | null;
    segmentation: CocoRle;
    area: number;
  }[];
}

export interface VideoApi {
  /** Opens frames as one clip (like the frames folder input); `files` as names and bytes. Resolves to the frames' image ids. */
  openFrames(files: { name: string; bytes: Uint8Array | number[]; type?: string }[], options?: OpenFramesOptions): Promise<number[]>;
  clips(): ClipInfo[];
  tracks(videoId?: number): TrackInfo[];
  selectedTrack(): number | null;
  selectTrack(id: number | null): void;
  /** Shows frame `frame` of the shown clip (or of `videoId`'s clip) and resolves to its image id. */
  showFrame(frame: number, videoId?: number): number | null;
  stepFrame(delta: number): void;
  /** Propagates and resolves with the final state (see README: from the shown frame, the selected track, forward, to the next keyframe). */
  propagate(req?: PropagateRequest): Promise<TrackingState | null>;
  /** Starts a propagation without waiting (see `progress`, `pause`, `resume`, `cancel`, `finished`). */
  startPropagate(req?: PropagateRequest): void;
  interpolate(trackId?: number): Promise<TrackingState | null>;
  progress(): TrackingState | null;
  pause(): void;
  resume(): void;
  cancel(): void;
  finished(): Promise<TrackingState | null>;
  /** SAM 2's video memory model (null: none; propagation then prompts each frame with the image model). */
  memoryModel(): VideoModelState | null;
  /** Loads SAM 2's video memory model from a folder URL or four comma-separated file URLs (as `?sam2video=`); resolves to whether it loaded. */
  loadMemoryModel(urls: string): Promise<boolean>;
  unloadMemoryModel(): void;
  /** Whether a flagged frame stops propagation (default true). */
  setStopOnFlag(on: boolean): void;
  /** Imports tracks (YouTube-VIS JSON, or palette PNGs with `instances.json`) as the tracks input does; resolves to the tracks added. */
  importTracks(files: { name: string; bytes: Uint8Array | number[] }[]): Promise<number>;
  /** The project's clips and tracks as YouTube-VIS JSON (what the export writes). */
  exportYtvis(): unknown;
  /** Per clip and per track: frames by how they came (keyframes, propagated, interpolated, flagged) and a person's active time (see README). */
  stats(): ReturnType<typeof videoStats>;
  /** The last propagation's cost per frame (ms): its encode (0: the embedding was cached) and the decoder step. */
  runTimings(): { frame: number; encodeMs: number; stepMs: number }[];
  deleteTrack(id: number): void;
  setTrackCategory(id: number, categoryId: number): void;
  /** Opens a video file as one clip (like the "Open video" input); resolves to the frames' image ids (none: not opened, see the notifications). */
  openVideo(bytes: number[] | Uint8Array, name: string, options?: { every?: number }): Promise<number[]>;
  /** The video file being decoded: name, frames decoded and all (null: none). */
  videoProgress(): { name: string; done: number; total: number } | null;
  /** An image's file as base64 (a video frame's PNG, decoded from the stored video), or null when the project does not have it. */
  imageFileBase64(imageId: number): Promise<string | null>;
  /** The video files stored with the open project (once each: frames are decoded from them on demand). */
  storedVideos(): Promise<{ videoId: number; name: string; bytes: number; frames: number }[]>;
  /** Bytes of decoded frames kept now (bounded: see README), and which frames of a clip are kept. */
  frameCache(videoId?: number): { bytes: number; maxBytes: number; frames: number[] };
}

export function videoAutomation(ctx: AppContext): VideoApi {
  const { store, tracking, videoModel } = ctx;
  const clips = () =>
    clipsOf(store.getState().project.images).map((c) => ({
      id: c.id,
      name: c.name,
      fps: c.fps,
      width: c.width,
      height: c.height,
      frames: c.frames.map((f) => ({ frame: f.video!.frame, imageId: f.id })),
    }));
  return {
    memoryModel: () => store.getState().videoModel,
    loadMemoryModel: (urls) => videoModel.loadUrl(urls),
    unloadMemoryModel: () => videoModel.unload(),
    async openFrames(files, options) {
      const blobs = files.map((f) => ({ name: f.name, blob: new Blob([Uint8Array.from(f.bytes)], { type: f.type ?? '' }) }));
      return store.getState().addFrames(blobs, options);
    },
    clips,
    tracks: (videoId) =>
      tracksOf(store.getState().project, videoId).map((t) => ({
        id: t.id,
        videoId: t.videoId,
        categoryId: t.categoryId,
        masks: [...t.byFrame.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([frame, a]) => ({
            frame,
            imageId: a.imageId,
            annotationId: a.id,
            role: a.track ?? 'key',
            flag: a.flag ?? null,
            segmentation: a.segmentation,
            area: a.area,
          })),
      })),
    selectedTrack: () => store.getState().selectedTrackId,
    selectTrack: (id) => store.getState().selectTrack(id),
    showFrame(frame, videoId) {
      const s = store.getState();
      const clip = videoId === undefined ? null : clipsOf(s.project.images).find((c) => c.id === videoId);
      if (clip) {
        let target = clip.frames[0]!;
        for (const f of clip.frames) if (f.video!.frame <= frame) target = f;
        s.showImage(target.id);
      } else s.showFrame(frame);
      return store.getState().currentImageId;
    },
    stepFrame: (delta) => store.getState().stepFrame(delta),
    async propagate(req) {
      await tracking.propagate(req);
      return store.getState().tracking;
    },
    startPropagate(req) {
      void tracking.propagate(req);
    },
    async interpolate(trackId) {
      await tracking.interpolate(trackId);
      return store.getState().tracking;
    },
    progress: () => store.getState().tracking,
    pause: () => tracking.pause(),
    resume: () => tracking.resume(),
    cancel: () => tracking.cancel(),
    finished: () => tracking.whenFinished(),
    setStopOnFlag: (on) => store.getState().setStopOnFlag(on),
    importTracks: (files) =>
      store.getState().importTracks(files.map((f) => ({ name: f.name, blob: new Blob([Uint8Array.from(f.bytes)]) }))),
    exportYtvis: () => projectToYtvis(store.getState().project),
    stats: () => videoStats(store.getState().project),
    runTimings: () => [...tracking.timings],
    deleteTrack: (id) => store.getState().deleteTrack(id),
    setTrackCategory: (id, categoryId) => store.getState().setTrackCategory(id, categoryId),
    openVideo: (bytes, name, options) => store.getState().addVideoFile(new Blob([Uint8Array.from(bytes)]), name, options),
    videoProgress: () => store.getState().videoDecoding,
    storedVideos: () => ctx.projects.storedVideos(),
    frameCache(videoId) {
      const source = videoId === undefined ? undefined : ctx.images.video(videoId);
      const frames = source ? [...Array(source.meta.timestamps.length).keys()].filter((f) => source.cached(f)) : [];
      return { ...ctx.images.frameCache(), frames };
    },
    async imageFileBase64(imageId) {
      const file = ctx.images.file(imageId);
      if (!file) return null;
      const bytes = new Uint8Array(await (await file.read()).arrayBuffer());
      let bin = '';
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(bin);
    },
  };
}
