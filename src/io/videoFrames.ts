/**
 * Frames of a video file stored with its project, decoded on demand: a frame asked for is decoded in
 * the video worker with the next few annotated frames of its clip (one decoding pass from the key frame
 * before them: stepping, playing and propagation go forward), as lossless PNGs kept in a cache bounded
 * in bytes (the least recently used dropped first). Nothing else of the clip is in memory: the file is
 * a disk-backed Blob (the stored copy, or the file as picked).
 */
import * as Comlink from 'comlink';
import { LRUCache } from 'lru-cache';
import { frameSeekTime, type StoredVideoMeta } from '../core/video/videoFile.ts';
import type { VideoWorkerApi } from '../../workers/protocol.ts';

/** Decodes frames of a file (the video worker's `frames`). */
export interface FrameDecoder {
  frames(key: string, blob: Blob, times: number[]): Promise<(Blob | null)[]>;
  forget(key: string): void;
}

/** The video worker as the frame decoder: started on the first frame asked for, one for all clips. */
export function workerFrameDecoder(): FrameDecoder {
  let api: Comlink.Remote<VideoWorkerApi> | null = null;
  const get = () =>
    (api ??= Comlink.wrap<VideoWorkerApi>(
      new Worker(new URL('../../workers/video.worker.ts', import.meta.url), { type: 'module', name: 'video-frames' }),
    ));
  return {
    frames: (key, blob, times) => get().frames(key, blob, times),
    forget: (key) => void api?.forget(key),
  };
}

/** Decoded frames kept, in bytes of PNG (a 1080p frame is about 3 MB, a 480p one about 0.6 MB). */
export const FRAME_CACHE_BYTES = 96 * 1024 * 1024;
/** Frames decoded per pass: the one asked for and the next annotated ones. */
export const FRAME_WINDOW = 8;

/** The decoded frames of every clip, bounded in bytes. */
export class FrameCache {
  readonly lru: LRUCache<string, Blob>;
  constructor(maxBytes = FRAME_CACHE_BYTES) {
    this.lru = new LRUCache<string, Blob>({ maxSize: maxBytes, sizeCalculation: (b) => Math.max(1, b.size) });
  }
  get bytes(): number {
    return this.lru.calculatedSize;
  }
}

/** One stored video file: its frames, decoded when asked for. */
export class VideoFrameSource {
  /** the clip's annotated frames (those with an image), ascending */
  private readonly wanted: number[] = [];
  private readonly pending = new Map<number, Promise<Blob>>();
  private closed = false;

  constructor(
    /** names the file in the cache and the worker (project and clip) */
    readonly key: string,
    readonly file: Blob,
    readonly meta: StoredVideoMeta,
    private readonly decoder: FrameDecoder,
    private readonly cache: FrameCache,
  ) {}

  /** A frame of the clip is an image of the project (so it is among those decoded ahead). */
  want(frame: number): void {
    let lo = 0;
    let hi = this.wanted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.wanted[mid]! < frame) lo = mid + 1;
      else hi = mid;
    }
    if (this.wanted[lo] !== frame) this.wanted.splice(lo, 0, frame);
  }

  private cacheKey(frame: number): string {
    return `${this.key}:${frame}`;
  }

  /** Frames per pass: FRAME_WINDOW, fewer for large frames (a pass takes at most a quarter of the cache). */
  private window(): number {
    const perFrame = Math.max(1, this.meta.width * this.meta.height * 1.5);
    return Math.max(1, Math.min(FRAME_WINDOW, Math.floor(this.cache.lru.maxSize / 4 / perFrame)));
  }

  /** Whether a frame is decoded and kept now. */
  cached(frame: number): boolean {
    return this.cache.lru.has(this.cacheKey(frame));
  }

  /** A frame's pixels as a lossless PNG; decoded with the next few annotated frames unless kept. */
  read(frame: number): Promise<Blob> {
    if (this.closed) return Promise.reject(new Error(`${this.meta.name} is no longer open`));
    if (!(frame >= 0 && frame < this.meta.timestamps.length))
      return Promise.reject(new Error(`${this.meta.name} has no frame ${frame} (it has ${this.meta.timestamps.length})`));
    const hit = this.cache.lru.get(this.cacheKey(frame));
    if (hit) return Promise.resolve(hit);
    const going = this.pending.get(frame);
    if (going) return going;
    // this frame and the next annotated frames not kept or under way; the ones before it when the next one is kept
    // (stepping or propagating backward): one decoding pass, in frame order
    const window = this.window();
    const batch = [frame];
    const after = this.wanted.findIndex((f) => f > frame);
    const backward = after >= 0 && this.cached(this.wanted[after]!);
    const from = backward ? this.wanted.findLastIndex((f) => f < frame) : after;
    for (let i = from; i >= 0 && i < this.wanted.length && batch.length < window; i += backward ? -1 : 1) {
      const f = this.wanted[i]!;
      if (!this.cached(f) && !this.pending.has(f)) batch.push(f);
    }
    batch.sort((a, b) => a - b);
    const run = this.decoder.frames(
      this.key,
      this.file,
      batch.map((f) => frameSeekTime(this.meta.timestamps, f)),
    );
    for (const [i, f] of batch.entries()) {
      const p = run.then((blobs) => {
        const b = blobs[i];
        if (!b) throw new Error(`Frame ${f} of ${this.meta.name} could not be decoded (its data is damaged).`);
        if (!this.closed) this.cache.lru.set(this.cacheKey(f), b);
        return b;
      });
      // a frame decoded ahead that nobody asks for must not be an unhandled rejection
      p.catch(() => undefined);
      this.pending.set(f, p);
      void p.finally(() => this.pending.delete(f)).catch(() => undefined);
    }
    return this.pending.get(frame)!;
  }

  /** Forgets the frames kept and the worker's open file (the project is closed). */
  close(): void {
    this.closed = true;
    for (const f of this.wanted) this.cache.lru.delete(this.cacheKey(f));
    this.decoder.forget(this.key);
  }
}
