/**
 * `npm run track -- --frames DIR (--masks FIRST.png | --click X,Y) --out out.json [options]`
 *
 * Video propagation in Node (onnxruntime-node), the app's method (src/core/video/propagate.ts through
 * src/node/track-node.ts, the same math as the browser's decoder worker): the objects on the start
 * frame, from a mask PNG (0/255: one object; grayscale or palette ids, as DAVIS and YouTube-VOS write
 * them: one object per id) or from a click, followed frame after frame to the end of the clip (or to
 * its start with `--direction backward`). Writes the app's exports: COCO with `videos`, `video_id`,
 * `frame_index` and `track_id` (`--out`), and where asked YouTube-VIS JSON (`--ytvis`) and palette PNGs
 * per frame (`--palette DIR`). With `--sam2-video DIR` the objects are followed by SAM 2's memory instead
 * (src/node/sam2-video-node.ts: the start frame a conditioning frame, every later frame from the memory bank).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { projectToCoco } from '../core/coco/export.ts';
import { AppError } from '../core/errors.ts';
import { labelMapFromPng } from '../core/image/png.ts';
import { rleFromMask } from '../core/mask/rle.ts';
import { maskAreaAndBbox } from '../core/sam/postprocess.ts';
import { EMPTY_PROMPTS, type Prompts } from '../core/sam/prompts.ts';
import { categoryColor } from '../core/project/palette.ts';
import type { Annotation, ImageRecord, Project } from '../core/project/types.ts';
import { sortFrameNames } from '../core/video/clips.ts';
import { palettePngFiles } from '../core/video/palettePng.ts';
import { damagedWarning, frameImageName } from '../core/video/videoFile.ts';
import { sam2ObjectProbability } from '../core/video/sam2Memory.ts';
import { projectToYtvis } from '../core/video/ytvis.ts';
import { readRgbaImage, type RgbaImage } from '../node/image.ts';
import { openVideoFile, type NodeVideo } from '../node/videoFile.ts';
import { NodeSam } from '../node/sam-node.ts';
import { NodeSam2Video, type Sam2VideoTrack } from '../node/sam2-video-node.ts';
import { nodeTrackStep } from '../node/track-node.ts';
import { ProgressBar } from './progress.ts';

const USAGE = `usage: npm run track -- (--frames DIR | --video FILE) (--masks FIRST.png | --click X,Y[;X,Y...]) --out out.json
  [--start N (the start frame's index, default 0)] [--direction forward|backward] [--frames-limit N]
  [--category NAME] [--name CLIP] [--stop-on-flag] [--ytvis out.json] [--palette DIR] [--encoder E.onnx --decoder D.onnx] [--sam2-video DIR] [--threads N]
DIR holds the clip's numbered frames (PNG or JPEG; in number order). --video FILE: a video file, decoded by ffmpeg
(Debian's ffmpeg package; any codec it decodes), frames named as the app names them (dog.mp4's frame 7: dog/00007.png). --masks: the start frame's objects
(0/255: one object; grayscale or palette ids: one object per id). --click: a foreground click (image px) on the start frame.
--sam2-video DIR: follow the objects with SAM 2's memory, DIR holding SAM 2's video graphs as pagarcia/sam2-onnx-cpp
exports them (image_encoder, image_decoder, memory_attention, memory_encoder .onnx; told apart by their names).`;

function usage(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

/** The clip's frames: a folder of numbered images, or a decoded video file (src/node/videoFile.ts). */
export interface FrameSource {
  /** the clip's name */
  name: string;
  /** frames there are (decoded ones: a video's damaged frames are missing) */
  count: number;
  /** the i-th frame's index in the clip (a folder: i; a video: its place by timestamp) */
  frameOf(i: number): number;
  /** the i-th frame's image name in the export */
  fileName(i: number): string;
  read(i: number): RgbaImage;
  fps: number | null;
}

/** A folder of numbered frames (PNG, JPEG or BMP) as a clip, in number order. */
export function folderFrames(dir: string, name?: string): FrameSource {
  const names = sortFrameNames(
    readdirSync(dir)
      .filter((f) => /\.(png|jpe?g|bmp)$/i.test(f))
      .map((n) => ({ name: n })),
  ).map((f) => f.name);
  if (names.length === 0) throw new Error(`${dir} holds no frames (PNG or JPEG files).`);
  const clip = name ?? clipNameOf(dir);
  return {
    name: clip,
    count: names.length,
    frameOf: (i) => i,
    fileName: (i) => `${clip}/${names[i]}`,
    read: (i) => readRgbaImage(join(dir, names[i]!)),
    fps: null,
  };
}

/** A decoded video file as a clip: frame images named as the app names them (`dog/00007.png`), so both exports agree. */
export function videoFrames(video: NodeVideo, fileName: string, name?: string): FrameSource {
  const clip = name ?? basename(fileName);
  return {
    name: clip,
    count: video.frames.length,
    frameOf: (i) => video.frames[i]!,
    fileName: (i) => frameImageName(basename(fileName), video.frames[i]!),
    read: (i) => video.read(i),
    fps: video.fps,
  };
}

export interface TrackOptions {
  /** the clip's frames folder (or `source`) */
  frames?: string;
  source?: FrameSource;
  /** the start frame's objects: one mask per object (row-major 0/1), or clicks */
  start: { masks: Uint8Array[] } | { clicks: { x: number; y: number }[] };
  /** the start frame's index in the clip */
  startFrame: number;
  direction: 1 | -1;
  limit: number;
  category: string;
  stopOnFlag: boolean;
  /** the clip's name (default: the folder's, or its parent's for a DAVIS-style "frames" / "JPEGImages" folder; a video: the file's name) */
  name?: string;
  /** single-image propagation's model (src/core/video/propagate.ts) */
  sam?: NodeSam;
  /** SAM 2's video graphs: when given, the objects are followed by SAM 2's memory instead (src/node/sam2-video-node.ts) */
  sam2Video?: NodeSam2Video;
  onFrame?: (done: number, total: number) => void;
}

/** Follows the start frame's objects through the clip; resolves to the project (one clip, a track per object). */
export async function trackFrames(o: TrackOptions): Promise<{ project: Project; flagged: number }> {
  const src = o.source ?? (o.frames !== undefined ? folderFrames(o.frames, o.name) : null);
  if (!src) throw new Error('trackFrames needs the frames: a folder (frames) or a source.');
  const count = Math.min(src.count, o.limit);
  const last = count - 1;
  // positions in the source (a video's damaged frames are missing): the start is the frame of that index
  const startAt = Array.from({ length: count }, (_, i) => src.frameOf(i)).indexOf(o.startFrame);
  if (startAt < 0)
    throw new Error(
      o.startFrame >= 0 && o.startFrame <= src.frameOf(last)
        ? `--start ${o.startFrame} is a frame that could not be decoded: start on another.`
        : `--start ${o.startFrame} is outside the clip's frames ${src.frameOf(0)}..${src.frameOf(last)}.`,
    );
  const clipName = src.name;
  const first = src.read(0);
  const size = { width: first.width, height: first.height };
  const images: ImageRecord[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    fileName: src.fileName(i),
    width: size.width,
    height: size.height,
    video: { id: 1, name: clipName, frame: src.frameOf(i), fps: src.fps },
  }));
  const annotations: Annotation[] = [];
  const put = (
    frame: number,
    track: number,
    mask: Uint8Array,
    role: 'key' | 'propagated',
    score: number | null,
    prompts: Prompts,
    flag: string | null,
  ) => {
    const { area, bbox } = maskAreaAndBbox(mask, size.width, size.height);
    const a: Annotation = {
      id: annotations.length + 1,
      imageId: frame + 1,
      categoryId: 1,
      segmentation: rleFromMask(mask, size.width, size.height),
      area,
      bbox,
      score,
      prompts,
      source: role === 'key' ? 'import' : 'propagate',
      createdAt: 0,
      trackId: track,
      track: role,
    };
    if (flag) a.flag = flag as NonNullable<Annotation['flag']>;
    annotations.push(a);
  };
  const read = (i: number) => (i === 0 ? first : src.read(i));
  const sam = (): NodeSam => {
    if (!o.sam) throw new Error('trackFrames needs a model: sam (single-image propagation) or sam2Video (the memory path).');
    return o.sam;
  };
  const embed = async (frame: number) => sam().embed(read(frame));
  // the start frame's objects
  let masks: Uint8Array[] = [];
  const clicks: Prompts | null = 'clicks' in o.start ? { points: o.start.clicks.map((c) => ({ ...c, positive: true })), box: null } : null;
  if ('masks' in o.start) {
    masks = o.start.masks;
    for (const m of masks)
      if (m.length !== size.width * size.height) throw new Error(`The start masks are not ${size.width}x${size.height} like the frames.`);
  }
  // SAM 2's memory path: one memory bank per object, the start frame a conditioning frame
  const video = o.sam2Video ?? null;
  const videoTracks: Sam2VideoTrack[] = [];
  if (video) {
    const enc = await video.encodeFrame(read(startAt));
    const starts: (Uint8Array | null)[] = clicks ? [null] : masks;
    masks = [];
    for (const m of starts) {
      const t = NodeSam2Video.track(last + 1, o.direction);
      videoTracks.push(t);
      masks.push((m ? await video.addMask(t, startAt, enc, m) : await video.addPrompts(t, startAt, enc, clicks!)).mask);
    }
  } else if (clicks) masks = [(await sam().decode(await embed(startAt), size, clicks, 'core')).mask];
  masks.forEach((m, i) => put(startAt, i + 1, m, 'key', null, EMPTY_PROMPTS, null));
  let flagged = 0;
  const stopped = new Set<number>();
  const total = o.direction === 1 ? last - startAt : startAt;
  let done = 0;
  for (let f = startAt + o.direction; f >= 0 && f <= last; f += o.direction) {
    if (stopped.size === masks.length) break;
    const frame = video ? await video.encodeFrame(read(f)) : null;
    const emb = video ? null : await embed(f);
    for (let t = 0; t < masks.length; t++) {
      if (stopped.has(t)) continue;
      if (video) {
        // the memory can find an object again: a lost frame stops the track only with --stop-on-flag
        const r = await video.propagate(videoTracks[t]!, f, frame!);
        put(f, t + 1, r.mask, 'propagated', sam2ObjectProbability(r.objectScore), EMPTY_PROMPTS, r.flag);
        if (r.flag) flagged++;
        if (r.flag && o.stopOnFlag) stopped.add(t);
        masks[t] = r.mask;
        continue;
      }
      const r = await nodeTrackStep(sam(), emb!, size, masks[t]!);
      put(f, t + 1, r.mask, 'propagated', r.score, r.prompts, r.flag);
      if (r.flag) flagged++;
      if (r.flag === 'lost' || (r.flag && o.stopOnFlag)) stopped.add(t);
      masks[t] = r.mask;
    }
    o.onFrame?.(++done, total);
  }
  const project: Project = {
    name: clipName,
    images,
    categories: [{ id: 1, name: o.category, color: categoryColor(1) }],
    annotations: annotations
      .sort((a, b) => a.imageId - b.imageId || (a.trackId ?? 0) - (b.trackId ?? 0))
      .map((a, i) => ({ ...a, id: i + 1 })),
    pendingBoxes: [],
    skipped: [],
  };
  return { project, flagged };
}

/** A clip's name from its frames folder: the folder's, or its parent's where the folder has a generic name. */
export function clipNameOf(dir: string): string {
  const full = resolve(dir);
  const name = basename(full);
  return /^(frames|jpegimages|images|rgb|img|imgs)$/i.test(name) ? basename(dirname(full)) : name;
}

/** The objects of a start mask PNG: 0/255 (or 0/1) one object, else one per distinct non-zero id. */
export function objectsOfMaskPng(bytes: Uint8Array): { width: number; height: number; masks: Uint8Array[] } {
  const { width, height, labels } = labelMapFromPng(bytes);
  const ids = [...new Set(labels)].filter((v) => v !== 0).sort((a, b) => a - b);
  if (ids.length === 0) throw new Error('The start mask PNG is empty: it holds no object (every pixel is 0).');
  return { width, height, masks: ids.map((id) => Uint8Array.from(labels, (v) => (v === id ? 1 : 0))) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      frames: { type: 'string' },
      video: { type: 'string' },
      masks: { type: 'string' },
      click: { type: 'string' },
      start: { type: 'string', default: '0' },
      direction: { type: 'string', default: 'forward' },
      'frames-limit': { type: 'string' },
      category: { type: 'string', default: 'object' },
      name: { type: 'string' },
      'stop-on-flag': { type: 'boolean', default: false },
      out: { type: 'string' },
      ytvis: { type: 'string' },
      palette: { type: 'string' },
      encoder: { type: 'string' },
      decoder: { type: 'string' },
      threads: { type: 'string' },
      'sam2-video': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.frames === !values.video)
    usage('Give the clip: its frames folder with --frames DIR, or a video file with --video FILE (one of them).');
  if (values.frames && !existsSync(values.frames)) usage(`There is no folder ${values.frames}.`);
  if (values.video && !existsSync(values.video)) usage(`There is no file ${values.video}.`);
  if (!values.out) usage('Give the COCO file to write with --out.');
  if (!values.masks === !values.click) usage("Give the start frame's objects: --masks FILE.png or --click X,Y (one of them).");
  if (values.direction !== 'forward' && values.direction !== 'backward') usage('--direction is forward or backward.');
  const startFrame = Number(values.start);
  if (!Number.isInteger(startFrame) || startFrame < 0) usage('--start is a frame index, 0 or more.');
  let start: TrackOptions['start'];
  if (values.masks) {
    if (!existsSync(values.masks)) usage(`There is no file ${values.masks}.`);
    start = { masks: objectsOfMaskPng(readFileSync(values.masks)).masks };
  } else {
    const clicks = values.click!.split(';').map((p) => p.split(',').map(Number));
    if (clicks.some((c) => c.length !== 2 || c.some((v) => !Number.isFinite(v)))) usage('--click is X,Y in image px (several: X,Y;X,Y).');
    start = { clicks: clicks.map(([x, y]) => ({ x: x!, y: y! })) };
  }
  const threads = values.threads ? { threads: Number(values.threads) } : {};
  const sam2Video = values['sam2-video'] ? await NodeSam2Video.fromDir(values['sam2-video'], threads) : undefined;
  const sam = sam2Video
    ? undefined
    : values.encoder && values.decoder
      ? await NodeSam.fromFiles(values.encoder, values.decoder, { family: 'auto', ...threads })
      : await NodeSam.load(undefined, { candidates: true, ...threads });
  const progress: { bar: ProgressBar | null } = { bar: null };
  let video: NodeVideo | null = null;
  if (values.video) {
    const bar: { b: ProgressBar | null } = { b: null };
    video = await openVideoFile(values.video, {
      onProgress: (done, total) => (bar.b ??= new ProgressBar(total, 'frames')).update(done, 'decoding'),
    });
    bar.b?.stop();
    const warning = damagedWarning(basename(values.video), video.damaged, video.frames.length, false);
    process.stdout.write(
      `${basename(values.video)}: ${video.total} frames of ${video.width}x${video.height} px (${video.codec}${video.fps ? `, ${video.fps} fps` : ''})\n`,
    );
    if (warning) process.stderr.write(`${warning.message}\n${warning.hint}\n`);
  }
  const result = await trackFrames({
    ...(video ? { source: videoFrames(video, values.video!, values.name) } : { frames: values.frames! }),
    start,
    startFrame,
    direction: values.direction === 'forward' ? 1 : -1,
    limit: values['frames-limit'] ? Number(values['frames-limit']) : Infinity,
    category: values.category,
    ...(values.name ? { name: values.name } : {}),
    stopOnFlag: values['stop-on-flag'],
    ...(sam ? { sam } : {}),
    ...(sam2Video ? { sam2Video } : {}),
    onFrame: (done, total) => (progress.bar ??= new ProgressBar(total, 'frames')).update(done, 'propagating'),
  }).finally(() => video?.close());
  const { project, flagged } = result;
  progress.bar?.stop();
  mkdirSync(dirname(resolve(values.out)), { recursive: true });
  writeFileSync(values.out, JSON.stringify(projectToCoco(project)));
  const tracks = new Set(project.annotations.map((a) => a.trackId)).size;
  process.stdout.write(
    `${project.annotations.length} masks of ${tracks} track(s) on ${project.images.length} frames (${flagged} flagged) -> ${values.out}\n`,
  );
  if (values.ytvis) {
    writeFileSync(values.ytvis, JSON.stringify(projectToYtvis(project)));
    process.stdout.write(`YouTube-VIS -> ${values.ytvis}\n`);
  }
  if (values.palette) {
    for (const [path, bytes] of Object.entries(palettePngFiles(project))) {
      mkdirSync(dirname(join(values.palette, path)), { recursive: true });
      writeFileSync(join(values.palette, path), bytes);
    }
    process.stdout.write(`palette PNGs -> ${values.palette}\n`);
  }
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url)
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}${e instanceof AppError && e.hint ? `\n${e.hint}` : ''}\n`);
    process.exit(1);
  });
