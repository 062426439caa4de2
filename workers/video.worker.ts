/// <reference lib="webworker" />
/**
 * Video files: mediabunny demuxes them (MP4/MOV, WebM/MKV, ...), WebCodecs decodes them (mediabunny's
 * VideoSampleSink).
 * - `read` opens a file as a clip: its facts and every frame's timestamp, then one decoding pass that
 *   checks which frames decode (nothing is kept: the file is stored once and frames are decoded again on
 *   demand), handing the annotated frames' indices to the store in batches. A decoding error loses the
 *   frames up to the next key frame only (they are reported as damaged); the rest is kept.
 * - `frames` decodes frames on demand (the shown one and those around it): each drawn on an
 *   OffscreenCanvas and returned as a lossless PNG; the files opened are kept (a few) so that each call
 *   does not parse the file again.
 */
import * as Comlink from 'comlink';
import {
  ALL_FORMATS,
  BlobSource,
  EncodedPacketSink,
  Input,
  UnsupportedInputFormatError,
  VideoSampleSink,
  type EncodedPacket,
  type InputVideoTrack,
} from 'mediabunny';
import {
  clipDuration,
  clipFps,
  codecName,
  endsEarly,
  COMMON_CODECS,
  frameIndexByTimestamp,
  nearestFrame,
  isAnnotatedFrame,
  unsupportedCodecMessage,
  type VideoInfo,
  type VideoReadResult,
  type VideoSink,
} from '../src/core/video/videoFile.ts';
import type { VideoWorkerApi } from './protocol.ts';

/** Frames handed to the store per call (the first frame alone, so that it shows at once). */
const BATCH = 12;
const us = (seconds: number) => Math.round(seconds * 1e6);

async function decodableCodecs(): Promise<string[]> {
  const out: string[] = [];
  for (const c of COMMON_CODECS) {
    const ok = await VideoDecoder.isConfigSupported({ codec: c.codec, codedWidth: 640, codedHeight: 480 }).then(
      (r) => r.supported === true,
      () => false,
    );
    if (ok) out.push(c.name);
  }
  return out;
}

const fail = (kind: Extract<VideoReadResult, { ok: false }>['kind'], message: string, hint: string): VideoReadResult => ({
  ok: false,
  kind,
  message,
  hint,
});

/** Every packet's timestamp (µs) in the file (metadata only, nothing decoded); `truncated`: reading stopped at damaged data. */
async function packetTimestamps(track: InputVideoTrack): Promise<{ timestamps: number[]; end: number; truncated: boolean }> {
  const timestamps: number[] = [];
  let end = 0;
  try {
    for await (const p of new EncodedPacketSink(track).packets(undefined, undefined, { metadataOnly: true })) {
      timestamps.push(us(p.timestamp));
      end = Math.max(end, us(p.timestamp + p.duration));
    }
    return { timestamps, end, truncated: false };
  } catch {
    return { timestamps, end, truncated: true };
  }
}

async function read(blob: Blob, name: string, every: number, sink: VideoSink): Promise<VideoReadResult> {
  const input = new Input({ source: new BlobSource(blob), formats: ALL_FORMATS });
  try {
    let format: string;
    try {
      format = (await input.getFormat()).name;
    } catch (e) {
      if (e instanceof UnsupportedInputFormatError)
        return fail(
          'not-video',
          `${name} was not opened: it is not a video file this app can read.`,
          'Open an MP4/MOV, WebM/MKV, OGG or MPEG-TS video (H.264, VP8, VP9 or AV1), or a folder of its frames with "Open frames folder".',
        );
      throw e;
    }
    const track = await input.getPrimaryVideoTrack();
    if (!track && (await input.getTracks()).length === 0)
      return fail(
        'damaged',
        `${name} was not opened: no tracks could be read from it (${format}); the file is incomplete or damaged.`,
        'Open the complete file (a download, copy or recording that did not finish cannot be read: an MP4 keeps its index at the end).',
      );
    if (!track)
      return fail(
        'no-video',
        `${name} was not opened: it holds no video track (${format}, audio only?).`,
        'Open a file with video in it, or a folder of frames.',
      );
    const codec = await track.getCodec();
    const internal = await track.getInternalCodecId().catch(() => null);
    const label = codecName(codec, typeof internal === 'string' ? internal : null);
    const config = await track.getDecoderConfig().catch(() => null);
    const supported = config
      ? await VideoDecoder.isConfigSupported(config).then(
          (r) => r.supported === true,
          () => false,
        )
      : false;
    if (!config || !supported) {
      const m = unsupportedCodecMessage(name, label, config?.codec ?? null, await decodableCodecs());
      return fail('unsupported', m.message, m.hint);
    }

    const { timestamps, end, truncated: headTruncated } = await packetTimestamps(track);
    if (timestamps.length === 0)
      return fail(
        'damaged',
        `${name} was not opened: its video track has no frames that can be read (the file is damaged or incomplete).`,
        'Open the complete file, or re-encode it.',
      );
    const index = frameIndexByTimestamp(timestamps);
    const sorted = [...index.keys()];
    const total = sorted.length;
    const metaEnd = await track.getDurationFromMetadata().catch(() => null);
    const duration = total > 1 ? clipDuration(sorted, metaEnd) : (end - sorted[0]!) / 1e6;
    const width = await track.getDisplayWidth();
    const height = await track.getDisplayHeight();
    const info: VideoInfo = {
      format,
      codec: label,
      codecString: config.codec,
      width,
      height,
      frames: total,
      duration,
      fps: clipFps(total, duration),
      timestamps: sorted,
    };
    if (!(await sink.onInfo(info))) return fail('stopped', `${name} was not opened.`, '');

    // the frame index of a decoded frame: its timestamp's place (the nearest, against rounding)
    const frameOf = (t: number): number => index.get(t) ?? nearestFrame(sorted, t);

    const decoded = new Set<number>();
    let batch: number[] = [];
    // the store says false when the clip is no longer wanted (another project was opened): decoding stops
    let sending: Promise<boolean> = Promise.resolve(true);
    let sent = 0;
    const send = async (): Promise<boolean> => {
      if (!(await sending)) return false;
      const frames = batch;
      batch = [];
      sent += frames.length;
      sending = frames.length ? sink.onFrames(frames, decoded.size, total) : Promise.resolve(true);
      return true;
    };
    const stopped = () => fail('stopped', `${name} was not opened whole: another project was opened.`, '');

    const samples = new VideoSampleSink(track);
    const packets = new EncodedPacketSink(track);
    let start: number | undefined = undefined;
    let truncated = headTruncated;
    let lastProgress = 0;
    for (;;) {
      let lastTs: number = start ?? -Infinity;
      try {
        for await (const sample of samples.samples(start)) {
          const t = us(sample.timestamp);
          lastTs = Math.max(lastTs, sample.timestamp);
          const frame = frameOf(t);
          if (decoded.has(frame)) {
            sample.close();
            continue;
          }
          decoded.add(frame);
          sample.close();
          if (isAnnotatedFrame(frame, total, every)) {
            batch.push(frame);
            if ((batch.length >= BATCH || sent === 0) && !(await send())) return stopped();
          }
          if (decoded.size - lastProgress >= 5) {
            lastProgress = decoded.size;
            sink.onProgress(decoded.size, total);
          }
        }
        break;
      } catch {
        // damaged data: go on from the next key frame after the last good frame (what lies between is lost)
        const key: EncodedPacket | null = await (
          Number.isFinite(lastTs) ? packets.getKeyPacket(lastTs) : packets.getFirstKeyPacket()
        ).catch(() => null);
        const next: EncodedPacket | null = key ? await packets.getNextKeyPacket(key, { verifyKeyPackets: true }).catch(() => null) : null;
        if (!next || (start !== undefined && next.timestamp <= start)) {
          truncated = truncated || decoded.size < total;
          break;
        }
        start = next.timestamp;
      }
    }
    if (!(await send()) || !(await sending)) return stopped();
    const damaged: number[] = [];
    for (let f = 0; f < total; f++) if (!decoded.has(f) && isAnnotatedFrame(f, total, every)) damaged.push(f);
    return { ok: true, info, decoded: decoded.size, damaged, truncated, endsEarly: endsEarly(end / 1e6, metaEnd, info.fps) };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return fail(
      'damaged',
      `${name} could not be read: ${why}.`,
      'The file may be damaged or incomplete: open the complete file, or re-encode it.',
    );
  } finally {
    input.dispose();
  }
}

interface OpenFile {
  input: Input;
  sink: VideoSampleSink;
  width: number;
  height: number;
  /** `frames` calls using it now (it is closed only when none is) */
  users: number;
  /** forgotten or pushed out while in use: closed when the last user is done */
  dropped: boolean;
}

/** Files opened for `frames`, by key (the few last used), and the opens under way (one per key). */
const opened = new Map<string, OpenFile>();
const opening = new Map<string, Promise<OpenFile>>();
const OPEN_KEPT = 3;

function release(o: OpenFile): void {
  o.users--;
  if (o.dropped && o.users === 0) o.input.dispose();
}

function drop(key: string): void {
  const o = opened.get(key);
  opened.delete(key);
  if (!o) return;
  o.dropped = true;
  if (o.users === 0) o.input.dispose();
}

/** The file of `key`, opened once (calls at the same time share the open), taken for one `frames` call. */
async function take(key: string, blob: Blob): Promise<OpenFile> {
  let o = opened.get(key);
  if (!o) {
    let p = opening.get(key);
    if (!p) {
      p = (async () => {
        const input = new Input({ source: new BlobSource(blob), formats: ALL_FORMATS });
        const track = await input.getPrimaryVideoTrack();
        if (!track) {
          input.dispose();
          throw new Error('the stored file has no video track');
        }
        const f: OpenFile = {
          input,
          sink: new VideoSampleSink(track),
          width: await track.getDisplayWidth(),
          height: await track.getDisplayHeight(),
          users: 0,
          dropped: false,
        };
        opened.set(key, f);
        while (opened.size > OPEN_KEPT) drop(opened.keys().next().value as string);
        return f;
      })().finally(() => opening.delete(key));
      opening.set(key, p);
    }
    o = await p;
  } else {
    opened.delete(key);
    opened.set(key, o);
  }
  o.users++;
  return o;
}

/** Decodes the frames at `times` (seconds, ascending) of a file as lossless PNGs (null: that frame did not decode). */
async function frames(key: string, blob: Blob, times: number[]): Promise<(Blob | null)[]> {
  const o = await take(key, blob);
  const canvas = new OffscreenCanvas(o.width, o.height);
  const ctx = canvas.getContext('2d', { alpha: false })!;
  const out: (Blob | null)[] = [];
  try {
    for await (const sample of o.sink.samplesAtTimestamps(times)) {
      if (!sample) {
        out.push(null);
        continue;
      }
      ctx.clearRect(0, 0, o.width, o.height);
      sample.drawWithFit(ctx, { fit: 'fill' });
      sample.close();
      out.push(await canvas.convertToBlob({ type: 'image/png' }));
    }
  } catch {
    // damaged data: the frames not decoded are null (their images say so when shown)
  } finally {
    release(o);
  }
  while (out.length < times.length) out.push(null);
  return out;
}

/** Closes a file `frames` opened (once no call uses it); an open under way is closed when it lands. */
function forget(key: string): void {
  const p = opening.get(key);
  if (p) void p.then(() => drop(key)).catch(() => undefined);
  drop(key);
}

const api: VideoWorkerApi = { read, frames, forget };
Comlink.expose(api);
