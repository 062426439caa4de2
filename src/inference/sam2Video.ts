/**
 * SAM 2 / 2.1's video memory model on the page's side (issue 29): its worker (workers/sam2video.worker.ts,
 * the four graphs and one memory bank per track), started on a load and ended on the next load or an
 * unload. It is apart from the image model (clicks keep using that one); propagation uses it when loaded
 * (state/services/tracking.ts). Frames go to the worker as their files: pixels never reach the page.
 */
import * as Comlink from 'comlink';
import { appErrorFromUnknown, AppError } from '../core/errors.ts';
import type { CocoRle } from '../core/mask/rle.ts';
import type { Sam2VideoApi, Sam2VideoMask, Sam2VideoSource } from '../../workers/protocol.ts';
import { chooseBackend } from './backend.ts';
import type { BlobOf } from './engine/types.ts';
import type { PreferredBackend } from './engine/host.ts';

export type Sam2VideoFiles = Awaited<ReturnType<Sam2VideoApi['load']>>;

/** A worker's error as an AppError of the page (its code and hint kept). */
function rethrow(e: unknown): never {
  const d = appErrorFromUnknown(e);
  throw new AppError(d.code === 'UNKNOWN' ? 'INFERENCE' : d.code, d.message, d.hint);
}

export class Sam2VideoModel {
  private worker: Worker | null = null;
  private api: Comlink.Remote<Sam2VideoApi> | null = null;
  private loaded = false;

  constructor(
    private readonly blobOf: BlobOf,
    private readonly preferred: () => { backend: PreferredBackend; threads: number | undefined },
  ) {}

  /** Loads the four graphs in a fresh worker (the model before is ended); resolves to which file is which. */
  async load(sources: Sam2VideoSource[]): Promise<Sam2VideoFiles> {
    this.unload();
    const worker = new Worker(new URL('../../workers/sam2video.worker.ts', import.meta.url), { type: 'module', name: 'sam2-video' });
    this.worker = worker;
    const api = Comlink.wrap<Sam2VideoApi>(worker);
    this.api = api;
    const p = this.preferred();
    const choice = await chooseBackend(p.backend, p.threads);
    try {
      const files = await api.load(sources, {
        backend: choice.backend,
        numThreads: choice.numThreads,
        ortBase: new URL('ort/', document.baseURI).href,
      });
      if (this.api === api) this.loaded = true;
      return files;
    } catch (e) {
      if (this.api === api) this.unload();
      return rethrow(e);
    }
  }

  unload(): void {
    this.worker?.terminate();
    this.worker = null;
    this.api = null;
    this.loaded = false;
  }

  ready(): boolean {
    return this.loaded;
  }

  private get remote(): Comlink.Remote<Sam2VideoApi> {
    if (!this.api || !this.loaded) throw new AppError('MODEL_LOAD', 'No SAM 2 video memory model is loaded.', 'Add one in Models.');
    return this.api;
  }

  async encodeFrame(imageId: number): Promise<void> {
    const b = this.blobOf(imageId);
    if (!b) throw new AppError('IMAGE_EMPTY', `The file of image ${imageId} is not loaded.`, 'Open the frames again.');
    await this.remote.encodeFrame(imageId, await b.read(), b.name).catch(rethrow);
  }

  startTrack(trackId: number, numFrames: number, direction: 1 | -1): Promise<void> {
    return this.remote.startTrack(trackId, numFrames, direction).catch(rethrow);
  }

  addMask(trackId: number, frame: number, imageId: number, rle: CocoRle): Promise<void> {
    return this.remote.addMask(trackId, frame, imageId, rle).catch(rethrow);
  }

  track(trackId: number, frame: number, imageId: number): Promise<Sam2VideoMask> {
    return this.remote.track(trackId, frame, imageId).catch(rethrow);
  }
}
