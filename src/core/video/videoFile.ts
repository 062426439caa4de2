/**
 * A video file opened as a clip (workers/video.worker.ts decodes it, the store's `addVideoFile` adds
 * its frames): which frames are annotated, their image names, the frame rate, whether the storage
 * left holds the clip, and the messages for a file that cannot be opened. Pure: no browser API.
 */
import { fileStem } from '../export/files.ts';

/** What the worker found in a video file before decoding it. */
export interface VideoInfo {
  /** the container ("MP4", "WebM", ...) */
  format: string;
  /** the codec as people say it ("H.264", "VP9", ...) */
  codec: string;
  /** the WebCodecs codec string ("avc1.64001e") */
  codecString: string;
  width: number;
  height: number;
  /** frames in the file (packets of its video track) */
  frames: number;
  /** seconds from the first frame's start to the last frame's end */
  duration: number;
  /** frames / duration, rounded to 3 decimals (null: unknown) */
  fps: number | null;
  /** every frame's start (µs), in frame order (presentation order: a frame's index is its place here) */
  timestamps: number[];
}

export type VideoReadResult =
  | {
      ok: true;
      info: VideoInfo;
      /** frames decoded (all, annotated or not) */
      decoded: number;
      /** annotated frames that could not be decoded (damaged), by frame index */
      damaged: number[];
      /** its data could not be read after a point (the frames after it are among `damaged`) */
      truncated: boolean;
      /** the frames stop before the end the file's header gives (seconds): an incomplete file (null: they do not) */
      endsEarly: { at: number; of: number } | null;
    }
  | {
      ok: false;
      /** not-video: no container this app reads; no-video: no video track; unsupported: the codec; damaged: unreadable; stopped: the store said no (storage) */
      kind: 'not-video' | 'no-video' | 'unsupported' | 'damaged' | 'stopped';
      message: string;
      hint: string;
    };

/** How the worker talks to the store while it decodes (every call awaited: back-pressure). */
export interface VideoSink {
  /** the file's facts, before decoding: false stops (nothing is decoded) */
  onInfo(info: VideoInfo): Promise<boolean>;
  /**
   * annotated frames that decode (their indices), in frame order; `done` of `total` frames checked so far; false
   * stops (another project was opened). Frames are decoded again on demand from the stored file.
   */
  onFrames(frames: number[], done: number, total: number): Promise<boolean>;
  /** progress between batches (not awaited) */
  onProgress(done: number, total: number): void;
}

/** Whether frame `frame` of `total` is annotated when every `every`-th is (the last one always is, as for a frames folder). */
export function isAnnotatedFrame(frame: number, total: number, every: number): boolean {
  const k = Math.max(1, Math.floor(every));
  return frame % k === 0 || frame === total - 1;
}

/** How many of `total` frames are annotated. */
export function annotatedFrameCount(total: number, every: number): number {
  if (total <= 0) return 0;
  const k = Math.max(1, Math.floor(every));
  const n = Math.ceil(total / k);
  return (total - 1) % k === 0 ? n : n + 1;
}

/** A frame image's name: `<video file stem>/<frame number padded to 5>.png` (dog.mp4, 7: `dog/00007.png`). */
export function frameImageName(videoName: string, frame: number): string {
  return `${fileStem(videoName)}/${String(frame).padStart(5, '0')}.png`;
}

/** Frames per second of a clip: frames / duration, rounded to 3 decimals (variable frame rate: the mean); null when unknown. */
export function clipFps(frames: number, duration: number): number | null {
  if (!(frames > 0) || !(duration > 0) || !Number.isFinite(duration)) return null;
  return Math.round((frames / duration) * 1000) / 1000;
}

/**
 * A clip's duration in seconds from its frames' sorted start times (µs): the duration the file's header
 * gives (its end, `metaEnd` s, less the first start) where it agrees with the frames within a frame,
 * else the mean frame interval times the frames (timestamps in whole ms, as WebM's, make 1/24 s
 * 41 or 42 ms; the last frame's own duration is often rounded).
 */
export function clipDuration(sortedUs: readonly number[], metaEnd: number | null): number {
  const n = sortedUs.length;
  if (n === 0) return 0;
  const first = sortedUs[0]!;
  const span = n > 1 ? ((sortedUs[n - 1]! - first) / (n - 1)) * n * 1e-6 : 0;
  const meta = metaEnd !== null && Number.isFinite(metaEnd) ? metaEnd - first * 1e-6 : null;
  if (meta !== null && meta > 0 && (n === 1 || Math.abs(meta - span) <= span / n)) return meta;
  return span;
}

/**
 * Frame index of each timestamp (any unit): the place of the timestamp among all of them in order
 * (presentation order, whatever order the packets are stored in; a repeated timestamp counts once).
 */
export function frameIndexByTimestamp(timestamps: readonly number[]): Map<number, number> {
  const sorted = [...new Set(timestamps)].sort((a, b) => a - b);
  return new Map(sorted.map((t, i) => [t, i]));
}

/**
 * The frame a decoded frame's timestamp belongs to: its place among the clip's sorted frame starts (`sortedUs`,
 * unique, ascending), the nearest start when it matches none exactly (decoders and tools round timestamps).
 */
export function nearestFrame(sortedUs: readonly number[], t: number): number {
  let lo = 0;
  let hi = sortedUs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedUs[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && t - sortedUs[lo - 1]! < sortedUs[lo]! - t ? lo - 1 : lo;
}

const size = (n: number) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(1)} GB`
    : n >= 1e7
      ? `${Math.round(n / 1e6)} MB`
      : n >= 1e6
        ? `${(n / 1e6).toFixed(1)} MB`
        : `${Math.max(1, Math.round(n / 1e3))} KB`;

/**
 * Why a clip is refused before the file is copied (the storage left is smaller than the file, which is stored once
 * and decoded on demand), or null when it fits or the space is unknown.
 */
export function storageRefusal(
  name: string,
  fileBytes: number,
  storage: { quota: number; usage: number } | null,
): { message: string; hint: string } | null {
  if (!storage || !(storage.quota > 0)) return null;
  const left = Math.max(0, storage.quota - storage.usage);
  if (fileBytes <= left) return null;
  return {
    message: `${name} was not opened: the file takes ${size(fileBytes)}, and the browser's storage for this app has ${size(left)} left.`,
    hint: 'Open a shorter clip (cut it, e.g. with ffmpeg), or free space: delete projects you no longer need, or export and close this one.',
  };
}

/**
 * Where a frame is decoded from: a time inside it (seconds), halfway to the next frame's start (a decoder asked
 * for a time gets the frame that starts at or before it; the start itself, rounded to µs, may fall just before).
 */
export function frameSeekTime(sortedUs: readonly number[], frame: number): number {
  const t = sortedUs[frame]!;
  const next = sortedUs[frame + 1];
  return (next !== undefined ? (t + next) / 2 : t + 1000) / 1e6;
}

/** A video file stored with its project (once; frames decoded from it on demand): what is needed to decode a frame. */
export interface StoredVideoMeta {
  /** the file's name as opened */
  name: string;
  /** every frame's start (µs), in frame order (a frame's index is its place here) */
  timestamps: number[];
  width: number;
  height: number;
  fps: number | null;
  bytes: number;
}

/** WebCodecs codec strings of common codecs, to ask the browser which it decodes. */
export const COMMON_CODECS: readonly { name: string; codec: string }[] = [
  { name: 'H.264', codec: 'avc1.64001f' },
  { name: 'H.265/HEVC', codec: 'hvc1.1.6.L93.B0' },
  { name: 'VP8', codec: 'vp8' },
  { name: 'VP9', codec: 'vp09.00.10.08' },
  { name: 'AV1', codec: 'av01.0.04M.08' },
];

const CODEC_NAMES: Record<string, string> = {
  avc: 'H.264',
  hevc: 'H.265/HEVC',
  vp8: 'VP8',
  vp9: 'VP9',
  av1: 'AV1',
  prores: 'ProRes',
};

/** A codec as people say it (mediabunny's id: "avc" -> "H.264"); an unknown one by its id in the file. */
export function codecName(codec: string | null, internalId?: string | null): string {
  if (codec && CODEC_NAMES[codec]) return CODEC_NAMES[codec];
  return codec ?? (internalId ? `an unknown codec ("${internalId}")` : 'an unknown codec');
}

/** The message for a video whose codec the browser cannot decode, naming the codecs it can. */
export function unsupportedCodecMessage(
  name: string,
  codec: string,
  codecString: string | null,
  decodable: readonly string[],
): { message: string; hint: string } {
  const can = decodable.length
    ? `This browser decodes ${decodable.join(', ')} video.`
    : 'This browser decodes none of H.264, VP8, VP9, AV1.';
  // the codec is one the browser decodes, but not this profile (e.g. H.264 4:4:4, 10-bit)
  if (decodable.includes(codec))
    return {
      message: `${name} was not opened: its video is ${codec}${codecString ? ` (${codecString})` : ''} in a profile or level this browser cannot decode.`,
      hint: `${can} Re-encode it in a common profile (e.g. ffmpeg -i "${name}" -c:v libx264 -pix_fmt yuv420p out.mp4), or open its frames as a frames folder.`,
    };
  return {
    message: `${name} was not opened: its video is ${codec}${codecString ? ` (${codecString})` : ''}, which this browser cannot decode.`,
    hint: `${can} Convert the video to one of those (e.g. ffmpeg -i "${name}" -c:v libvpx-vp9 out.webm), or open its frames as a frames folder.`,
  };
}

/** Frame indices as short ranges: [1,2,3,7,9,10] -> "1-3, 7, 9-10" (at most `max` ranges, then "…"). */
export function frameRanges(frames: readonly number[], max = 8): string {
  const s = [...new Set(frames)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return parts.length > max ? `${parts.slice(0, max).join(', ')}, …` : parts.join(', ');
}

/** Whether frames ending at `end` seconds stop short of the duration `meta` a file's header gives (by more than a frame and 0.1 s). */
export function endsEarly(end: number, meta: number | null, fps: number | null): { at: number; of: number } | null {
  if (meta === null || !Number.isFinite(meta) || !(meta > 0)) return null;
  const frame = fps ? 1 / fps : 0;
  return meta - end > Math.max(0.1, 1.5 * frame) ? { at: end, of: meta } : null;
}

/** The warning for a file whose frames stop before its header's end. */
export function endsEarlyWarning(name: string, at: number, of: number, kept: number): { message: string; hint: string } {
  return {
    message: `${name} ends early: its frames stop at ${at.toFixed(2)} s of its ${of.toFixed(2)} s (the file is incomplete or damaged after that). The ${kept} frame(s) before were opened.`,
    hint: 'Open the complete file (a download or copy that did not finish?) to get the rest.',
  };
}

/** The warning for a clip opened with damaged frames (missing from the clip), or null when none is. */
export function damagedWarning(
  name: string,
  damaged: readonly number[],
  kept: number,
  truncated: boolean,
): { message: string; hint: string } | null {
  if (damaged.length === 0) return null;
  const what = truncated ? 'the file ends early or is damaged after a point' : 'their data is damaged';
  return {
    message: `${name}: ${damaged.length} frame(s) could not be decoded (${what}): frame(s) ${frameRanges(damaged)}. The other ${kept} frame(s) were opened.`,
    hint: 'The clip has gaps there: propagation steps over them. For every frame, re-encode or repair the file (e.g. with ffmpeg) and open it again.',
  };
}
