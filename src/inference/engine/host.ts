import * as Comlink from 'comlink';
import { appErrorFromUnknown, type AppErrorData } from '../../core/errors.ts';
import type { ModelManifest } from '../../core/sam/manifest.ts';
import type { DecoderApi, EmbeddingMemory, EncoderApi, RuntimeOptions, RuntimeReport } from '../../../workers/protocol.ts';
import { decoderReason } from '../../core/sam/backendRace.ts';
import { chooseBackend, type BackendChoice } from '../backend.ts';
import type { EngineEvents } from './types.ts';
import { deferred } from './util.ts';

/**
 * Bytes of image embeddings the decoder keeps: 16 images of a SAM 1 style model (4 MiB each), 3 of
 * SAM 2 (16 MiB each with its high-resolution features), so the shown image and the next both fit.
 */
export const EMBEDDING_CACHE_BYTES = 64 << 20;

export type PreferredBackend = 'auto' | 'wasm' | 'webgpu';

export interface EncoderHandle {
  worker: Worker;
  api: Comlink.Remote<EncoderApi>;
  ready: Promise<RuntimeReport>;
}

/**
 * The model's two workers (encoder, decoder): started, ended on a model switch, and what they
 * report (download progress, the first failure). An encoder ended to stop its work is spawned again
 * when needed.
 */
export class ModelHost {
  manifest: ModelManifest | null = null;
  choice: BackendChoice | null = null;
  encoder: EncoderHandle | null = null;
  decoder: Comlink.Remote<DecoderApi> | null = null;
  decoderReady: Promise<void> | null = null;
  /** whether the decoder returns every mask candidate (null until it is loaded) */
  candidateOutputs: boolean | null = null;
  modelError: AppErrorData | null = null;
  modelReady = false;
  /** settles with the first encoder worker that loads (or fails to load) the model */
  encoderLoaded = deferred();
  /** bumped by every model switch: work of the model before settles as nothing */
  epoch = 0;
  /** bytes of image embeddings the decoder keeps (`?cacheMb=` overrides) */
  cacheBytes = EMBEDDING_CACHE_BYTES;
  /** the backend and threads asked for (the page's URL); kept for every model switch */
  preferred: { backend: PreferredBackend; threads: number | undefined } = { backend: 'auto', threads: undefined };
  /** the decoder's backend on WebGPU by name (`?decoderBackend=`), instead of measuring both */
  decoderBackend: 'webgpu' | 'wasm' | null = null;
  private decoderWorker: Worker | null = null;
  private readonly progress = { encoder: { loaded: 0, total: 0 }, decoder: { loaded: 0, total: 0 } };

  constructor(private readonly events: EngineEvents) {}

  /**
   * Loads a model in both workers: true once both have it, false when a model switch came meanwhile.
   * A failure is reported as the model's error and thrown.
   */
  async start(manifest: ModelManifest, preferred: PreferredBackend, threads: number | undefined): Promise<boolean> {
    this.manifest = manifest;
    this.preferred = { backend: preferred, threads };
    const epoch = this.epoch;
    try {
      this.choice ??= await chooseBackend(preferred, threads);
      if (epoch !== this.epoch) return false;
      const decoderWorker = new Worker(new URL('../../../workers/decoder.worker.ts', import.meta.url), {
        type: 'module',
        name: 'sam-decoder',
      });
      this.decoderWorker = decoderWorker;
      decoderWorker.addEventListener('error', (e) => this.workerFailed('decoder', e));
      this.decoder = Comlink.wrap<DecoderApi>(decoderWorker);
      this.decoderReady = this.decoder
        .init(
          manifest,
          this.runtimeOptions(),
          this.cacheBytes,
          Comlink.proxy((loaded: number, total: number) => this.reportProgress('decoder', loaded, total)),
        )
        .then((r) => {
          this.candidateOutputs = r.candidates;
          this.ranOn(r);
          this.decoderOn(manifest, r);
        });
      // a job may already have spawned one (and a cancelled job may have ended it)
      void this.ensureEncoder().ready.then((r) => this.ranOn(r));
      await Promise.all([this.decoderReady, this.encoderLoaded.promise]);
      if (epoch !== this.epoch) return false;
      this.modelReady = true;
      this.events.onModelReady(this.choice, this.candidateOutputs ?? false);
      return true;
    } catch (e) {
      if (epoch !== this.epoch) return false;
      this.modelFailed(appErrorFromUnknown(e));
      throw e;
    }
  }

  /** Ends both workers and forgets the model's state (another model is coming). */
  unload(): void {
    this.endEncoder();
    this.decoderWorker?.terminate();
    this.decoderWorker = null;
    this.decoder = null;
    this.decoderReady = null;
    this.candidateOutputs = null;
    this.modelError = null;
    this.modelReady = false;
    this.progress.encoder = { loaded: 0, total: 0 };
    this.progress.decoder = { loaded: 0, total: 0 };
    this.encoderLoaded = deferred();
  }

  /** The encoder worker, spawned if there is none. */
  ensureEncoder(): EncoderHandle {
    this.encoder ??= this.spawnEncoder();
    return this.encoder;
  }

  /** Ends the encoder worker (and so the work it is doing). */
  endEncoder(): void {
    this.encoder?.worker.terminate();
    this.encoder = null;
  }

  /** The model cannot be used: said once (the first cause), whichever worker or image met it first. */
  modelFailed(err: AppErrorData): void {
    if (this.modelError) return;
    this.modelError = err;
    this.events.onModelError(err);
  }

  /** What the embeddings take now (null before the decoder is loaded). */
  async memory(): Promise<EmbeddingMemory | null> {
    if (!this.decoder || !this.decoderReady) return null;
    await this.decoderReady;
    return this.decoder.memory();
  }

  async reportMemory(): Promise<void> {
    const m = await this.memory().catch(() => null);
    if (m) this.events.onMemory?.(m);
  }

  private runtimeOptions(): RuntimeOptions {
    if (!this.choice) throw new Error('backend not chosen');
    const opts: RuntimeOptions = {
      backend: this.choice.backend,
      numThreads: this.choice.numThreads,
      ortBase: new URL('ort/', document.baseURI).href,
    };
    const key = this.manifest ? this.decoderKey(this.manifest) : null;
    let known: string | null;
    try {
      known = key ? localStorage.getItem(key) : null;
    } catch {
      known = null;
    }
    if (this.choice.backend === 'webgpu' && this.decoderBackend) opts.decoderBackend = this.decoderBackend;
    else if (known === 'wasm' || known === 'webgpu') opts.decoderBackend = known;
    return opts;
  }

  private reportProgress(which: 'encoder' | 'decoder', loaded: number, total: number): void {
    // the other file still downloading after one failed: the status stays "failed"
    if (this.modelError) return;
    this.progress[which] = { loaded, total };
    const p = this.progress;
    this.events.onModelProgress({ loaded: p.encoder.loaded + p.decoder.loaded, total: p.encoder.total + p.decoder.total });
  }

  private spawnEncoder(): EncoderHandle {
    const reportProgress = !this.modelReady;
    if (!this.manifest) throw new Error('engine not started');
    const worker = new Worker(new URL('../../../workers/encoder.worker.ts', import.meta.url), { type: 'module', name: 'sam-encoder' });
    worker.addEventListener('error', (e) => this.workerFailed('encoder', e));
    const api = Comlink.wrap<EncoderApi>(worker);
    const ready = api.init(
      this.manifest,
      this.runtimeOptions(),
      reportProgress ? Comlink.proxy((loaded: number, total: number) => this.reportProgress('encoder', loaded, total)) : undefined,
    );
    ready.then(this.encoderLoaded.resolve, this.encoderLoaded.reject);
    return { worker, api, ready };
  }

  /**
   * A worker's session runs on WASM although WebGPU was chosen (its provider did not start): the app
   * says so, and the workers started from now on use WASM.
   */
  private ranOn(r: RuntimeReport): void {
    if (r.backend !== 'wasm' || r.webgpuFailed === null || !this.choice || this.choice.backend !== 'webgpu') return;
    const n = this.choice.numThreads;
    this.choice = {
      backend: 'wasm',
      numThreads: n,
      reason: `WASM, ${n} thread${n > 1 ? 's' : ''}: WebGPU did not start (${r.webgpuFailed ?? 'unknown error'})`,
    };
  }

  /** Where the decoder's backend, measured on a device, is remembered for a model. */
  private decoderKey(manifest: ModelManifest): string | null {
    return this.choice?.backend === 'webgpu' && this.choice.device
      ? `sam-annotator:decoder-backend:${manifest.id}:${this.choice.device}`
      : null;
  }

  /** On WebGPU the decoder may run on WASM, measured faster: said in the status, remembered for the model and device. */
  private decoderOn(manifest: ModelManifest, r: RuntimeReport): void {
    const key = this.decoderKey(manifest);
    if (!this.choice || !key || r.webgpuFailed !== null) return;
    this.choice = { ...this.choice, reason: decoderReason(this.choice.reason, r.backend, r.timed, this.decoderBackend !== null) };
    if (r.timed) {
      try {
        localStorage.setItem(key, r.backend);
      } catch {
        // storage off: measured again next time
      }
    }
  }

  /** A worker that failed to start or crashed (e.g. out of memory) would leave every call hanging. */
  private workerFailed(which: 'encoder' | 'decoder', e: ErrorEvent): void {
    e.preventDefault();
    const err: AppErrorData = {
      code: 'MODEL_LOAD',
      message: `The ${which} worker stopped: ${e.message || 'it could not be started or ran out of memory'}.`,
      hint: 'Reload the page; with very large images, close other tabs to free memory.',
    };
    this.modelFailed(err);
  }
}
