/**
 * A video file's frames in Node (the CLI's `track --video FILE`), decoded by Debian's ffmpeg: ffprobe
 * reads the stream's facts and every packet's timestamp (the frame index of a frame is its timestamp's
 * place among them, as in the browser's video worker), ffmpeg decodes every frame once (no frame made
 * up or dropped for a constant rate: `-fps_mode passthrough`) to RGBA in a scratch file, and each
 * frame is read from there when it is needed (a few hundred 1080p frames would not fit in memory).
 * Frames that do not decode (damaged data) are named; the others keep their own indices.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../core/errors.ts';
import { clipDuration, clipFps, frameIndexByTimestamp, nearestFrame } from '../core/video/videoFile.ts';
import type { RgbaImage } from './image.ts';

export interface NodeVideo {
  width: number;
  height: number;
  /** frames the file has (packets of its video stream) */
  total: number;
  /** the frame index of each decoded frame, in order (damaged frames are missing) */
  frames: number[];
  /** frames that could not be decoded */
  damaged: number[];
  fps: number | null;
  codec: string;
  /** the i-th decoded frame's pixels (read from the scratch file) */
  read(i: number): RgbaImage;
  /** removes the scratch file */
  close(): void;
}

export interface VideoToolOptions {
  /** the ffmpeg and ffprobe commands (default: from PATH, or SAM_FFMPEG / SAM_FFPROBE) */
  ffmpeg?: string;
  ffprobe?: string;
  /** progress: frames decoded so far of all */
  onProgress?: (done: number, total: number) => void;
}

const NEEDS_FFMPEG_HINT =
  "Install Debian's ffmpeg (sudo apt-get install ffmpeg) or put ffmpeg and ffprobe on the PATH; or give the clip's frames as a folder with --frames DIR.";

function run(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new AppError('IMAGE_DECODE', `Reading a video file needs ${cmd}, which is not installed here.`, NEEDS_FFMPEG_HINT);
    throw new AppError('IMAGE_DECODE', `${what}: ${r.error.message}`, NEEDS_FFMPEG_HINT);
  }
  if (r.status !== 0) {
    const why = r.stderr.trim().split('\n').pop() ?? '';
    throw new AppError(
      'IMAGE_DECODE',
      `${what}: ${why || `${cmd} exited with ${r.status}`}.`,
      'Is it a video file? Re-encode it, or give its frames with --frames DIR.',
    );
  }
  return r.stdout;
}

interface Probe {
  streams?: { codec_name?: string; codec_long_name?: string; width?: number; height?: number }[];
  format?: { duration?: string; format_name?: string };
}

/** Opens `path`: its facts and packet timestamps read, every frame decoded into a scratch file. */
export async function openVideoFile(path: string, o: VideoToolOptions = {}): Promise<NodeVideo> {
  const ffmpeg = o.ffmpeg ?? process.env.SAM_FFMPEG ?? 'ffmpeg';
  const ffprobe = o.ffprobe ?? process.env.SAM_FFPROBE ?? 'ffprobe';
  if (!existsSync(path) || !statSync(path).isFile())
    throw new AppError('IMAGE_DECODE', `There is no file ${path}.`, 'Give a video file with --video FILE.');
  const probe = JSON.parse(
    run(
      ffprobe,
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=codec_name,codec_long_name,width,height:format=duration,format_name',
        '-of',
        'json',
        path,
      ],
      `${path} could not be read as a video`,
    ),
  ) as Probe;
  const stream = probe.streams?.[0];
  if (!stream?.width || !stream.height)
    throw new AppError(
      'IMAGE_DECODE',
      `${path} has no video track.`,
      'Give a file with video in it (an audio file or a picture is not a clip).',
    );
  const width = stream.width;
  const height = stream.height;
  // every packet's timestamp, in µs: the frame index of a frame is its timestamp's place
  const pts = run(
    ffprobe,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', path],
    `${path}'s frames could not be listed`,
  )
    .split('\n')
    .map((l) => Number.parseFloat(l))
    .filter((t) => Number.isFinite(t))
    .map((t) => Math.round(t * 1e6));
  const index = frameIndexByTimestamp(pts);
  const sorted = [...index.keys()];
  const total = sorted.length;
  if (total === 0)
    throw new AppError(
      'IMAGE_DECODE',
      `${path} has no frames that can be read (the file is damaged or incomplete).`,
      'Open the complete file, or re-encode it.',
    );
  const metaEnd = probe.format?.duration ? Number.parseFloat(probe.format.duration) : null;
  const fps = clipFps(total, clipDuration(sorted, metaEnd));
  const frameOf = (t: number): number => index.get(t) ?? nearestFrame(sorted, t);

  const dir = mkdtempSync(join(tmpdir(), 'sam-video-'));
  const raw = join(dir, 'frames.rgba');
  const decodedPts: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const p = spawn(ffmpeg, [
        '-v',
        'info',
        '-nostats',
        '-nostdin',
        '-i',
        path,
        '-map',
        '0:v:0',
        '-fps_mode',
        'passthrough',
        '-vf',
        'showinfo',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgba',
        '-y',
        raw,
      ]);
      let buf = '';
      let tail = '';
      p.stderr.setEncoding('utf8');
      p.stderr.on('data', (chunk: string) => {
        buf += chunk;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const line of lines) {
          const m = /Parsed_showinfo.*\bn:\s*\d+.*\bpts_time:\s*(-?[\d.]+)/.exec(line);
          if (m) {
            decodedPts.push(Math.round(Number.parseFloat(m[1]!) * 1e6));
            if (decodedPts.length % 10 === 0) o.onProgress?.(decodedPts.length, total);
          } else if (line.trim()) tail = line.trim();
        }
      });
      p.on('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'ENOENT'
            ? new AppError('IMAGE_DECODE', `Reading a video file needs ${ffmpeg}, which is not installed here.`, NEEDS_FFMPEG_HINT)
            : e,
        ),
      );
      p.on('close', (code) => {
        // damaged data makes ffmpeg skip frames and still end well; a file it cannot decode at all fails
        if (code === 0 || decodedPts.length > 0) resolve();
        else
          reject(
            new AppError(
              'IMAGE_DECODE',
              `${path} could not be decoded: ${tail || `ffmpeg exited with ${code}`}.`,
              'Is its codec one ffmpeg decodes? Re-encode it, or give its frames with --frames DIR.',
            ),
          );
      });
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const frameBytes = width * height * 4;
  const written = Math.floor(statSync(raw).size / frameBytes);
  // each decoded frame's index (a frame decoded twice, as some damaged files make ffmpeg do, counts once)
  const seen = new Set<number>();
  const slots: number[] = [];
  const frames: number[] = [];
  decodedPts.slice(0, written).forEach((t, slot) => {
    const f = frameOf(t);
    if (seen.has(f)) return;
    seen.add(f);
    slots.push(slot);
    frames.push(f);
  });
  const order = frames.map((f, i) => [f, slots[i]!] as const).sort((a, b) => a[0] - b[0]);
  const damaged: number[] = [];
  for (let f = 0; f < total; f++) if (!seen.has(f)) damaged.push(f);
  o.onProgress?.(total - damaged.length, total);
  const fd = openSync(raw, 'r');
  return {
    width,
    height,
    total,
    frames: order.map(([f]) => f),
    damaged,
    fps,
    codec: stream.codec_long_name ?? stream.codec_name ?? 'unknown',
    read(i) {
      const data = new Uint8Array(frameBytes);
      readSync(fd, data, 0, frameBytes, order[i]![1] * frameBytes);
      return { width, height, data };
    },
    close() {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
