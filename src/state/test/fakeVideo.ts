/**
 * The store tests' video files: a "video" is a blob of JSON `{ video: { width, height, frames, fps?,
 * damaged?, codec?, unsupported? } }`, read as the worker reads a file (the same core rules for which
 * frames are annotated), its frames handed over as fake image files (`WxH` text) in batches of 4.
 * Anything else is not a video.
 */
import {
  clipFps,
  isAnnotatedFrame,
  unsupportedCodecMessage,
  type StoredVideoMeta,
  type VideoReadResult,
  type VideoSink,
} from '../../core/video/videoFile.ts';
import type { StoreIo } from '../store/deps.ts';

export interface FakeVideo {
  width: number;
  height: number;
  frames: number;
  fps?: number;
  /** frames that cannot be decoded */
  damaged?: number[];
  codec?: string;
  /** the browser cannot decode its codec */
  unsupported?: boolean;
}

export function fakeVideoFile(video: FakeVideo): Blob {
  return new Blob([JSON.stringify({ video })]);
}

async function readFakeVideo(blob: Blob, name: string, every: number, sink: VideoSink): Promise<VideoReadResult> {
  let v: FakeVideo | undefined;
  try {
    v = (JSON.parse(await blob.text()) as { video?: FakeVideo }).video;
  } catch {
    v = undefined;
  }
  if (!v)
    return {
      ok: false,
      kind: 'not-video',
      message: `${name} was not opened: it is not a video file this app can read.`,
      hint: 'Open a video.',
    };
  const codec = v.codec ?? 'VP9';
  if (v.unsupported) return { ok: false, kind: 'unsupported', ...unsupportedCodecMessage(name, codec, null, ['VP8', 'VP9']) };
  const duration = v.frames / (v.fps ?? 24);
  const timestamps = Array.from({ length: v.frames }, (_, f) => Math.round((f * 1e6) / (v.fps ?? 24)));
  const info = {
    timestamps,
    format: 'WebM',
    codec,
    codecString: 'vp09.00.10.08',
    width: v.width,
    height: v.height,
    frames: v.frames,
    duration,
    fps: clipFps(v.frames, duration),
  };
  if (!(await sink.onInfo(info))) return { ok: false, kind: 'stopped', message: `${name} was not opened.`, hint: '' };
  const bad = new Set(v.damaged ?? []);
  let batch: number[] = [];
  let done = 0;
  for (let f = 0; f < v.frames; f++) {
    if (bad.has(f)) continue;
    done++;
    if (isAnnotatedFrame(f, v.frames, every)) batch.push(f);
    if (batch.length >= 4) {
      if (!(await sink.onFrames(batch, done, v.frames)))
        return { ok: false, kind: 'stopped', message: `${name} was not opened.`, hint: '' };
      batch = [];
    } else sink.onProgress(done, v.frames);
  }
  if (batch.length && !(await sink.onFrames(batch, done, v.frames)))
    return { ok: false, kind: 'stopped', message: `${name} was not opened.`, hint: '' };
  const damaged = [...bad].filter((f) => isAnnotatedFrame(f, v.frames, every)).sort((a, b) => a - b);
  return { ok: true, info, decoded: done, damaged, truncated: false, endsEarly: null };
}

/** The io's video part: fake files, stored in memory (`videos`), and no storage limit known (tests replace `storageEstimate`). */
export function fakeVideoIo(files: Map<number, string>): Pick<
  StoreIo,
  'readVideo' | 'storageEstimate' | 'storeVideo' | 'registerVideoFrame' | 'dropVideo'
> & {
  videos: Map<number, { file: Blob; meta: StoredVideoMeta }>;
} {
  const videos = new Map<number, { file: Blob; meta: StoredVideoMeta }>();
  return {
    videos,
    readVideo: readFakeVideo,
    storageEstimate: () => Promise.resolve(null),
    storeVideo: (videoId: number, file: Blob, meta: StoredVideoMeta) => {
      videos.set(videoId, { file, meta });
      return Promise.resolve(null);
    },
    dropVideo: (videoId: number) => void videos.delete(videoId),
    registerVideoFrame: (imageId: number, videoId: number, frame: number, name: string) => {
      if (videos.has(videoId)) files.set(imageId, `${name} (frame ${frame} of video ${videoId})`);
    },
  };
}
