/** Video files in the browser: decoded in their own worker (workers/video.worker.ts), and the storage left for their frames. */
import * as Comlink from 'comlink';
import type { VideoReadResult, VideoSink } from '../core/video/videoFile.ts';
import type { VideoWorkerApi } from '../../workers/protocol.ts';

/** Decodes `blob` frame by frame in a worker, handing every `every`-th frame to `sink` as a PNG; never throws. */
export async function readVideoFile(blob: Blob, name: string, every: number, sink: VideoSink): Promise<VideoReadResult> {
  const worker = new Worker(new URL('../../workers/video.worker.ts', import.meta.url), { type: 'module', name: 'video' });
  try {
    return await Comlink.wrap<VideoWorkerApi>(worker).read(blob, name, every, Comlink.proxy(sink));
  } catch (e) {
    return {
      ok: false,
      kind: 'damaged',
      message: `${name} could not be read: ${e instanceof Error ? e.message : String(e)}.`,
      hint: 'The file may be damaged, or the browser ran out of memory: try again, or open its frames as a frames folder.',
    };
  } finally {
    worker.terminate();
  }
}

/** The origin's storage quota and usage (null: the browser does not say). */
export async function storageEstimate(): Promise<{ quota: number; usage: number } | null> {
  try {
    const e = await navigator.storage?.estimate();
    return e?.quota ? { quota: e.quota, usage: e.usage ?? 0 } : null;
  } catch {
    return null;
  }
}
