/// <reference lib="webworker" />
import type * as OrtModule from 'onnxruntime-web';
import { AppError } from '../src/core/errors.ts';

import type { BackendName, RuntimeOptions, RuntimeReport } from './protocol.ts';

export type Ort = typeof OrtModule;

let ortPromise: Promise<Ort> | null = null;

/**
 * Loads onnxruntime-web in this worker. Its runtime files come from a fixed path of the app's own
 * origin, so the thread pool's workers load them too instead of re-loading this worker's chunk.
 */
export function loadOrt(opts: RuntimeOptions): Promise<Ort> {
  // onnxruntime-web's WebGPU build runs its WebGPU execution provider in the asyncify runtime (the
  // JSEP runtime belongs to its other builds: with this one the provider silently failed to start);
  // the plain WASM build is smaller and used without a GPU
  const load = opts.backend === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm');
  const runtime = opts.backend === 'webgpu' ? 'ort-wasm-simd-threaded.asyncify' : 'ort-wasm-simd-threaded';
  ortPromise ??= load.then((ort) => {
    ort.env.wasm.wasmPaths = { mjs: `${opts.ortBase}${runtime}.mjs`, wasm: `${opts.ortBase}${runtime}.wasm` };
    ort.env.wasm.numThreads = opts.numThreads;
    // proxy mode detaches input buffers, which breaks re-used embedding tensors
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    return ort;
  });
  return ortPromise;
}

/**
 * Fetches a model file, reporting progress (bytes loaded, bytes total or 0 when unknown).
 * Errors name the URL and what to do.
 */
export async function fetchModel(url: string, onProgress?: (loaded: number, total: number) => void): Promise<Uint8Array> {
  if (url.startsWith('opfs:')) return readOpfsModel(url, onProgress);
  try {
    return await fetchModelOnce(url, 'default', onProgress);
  } catch (e) {
    // Chromium can break off a download that shares its HTTP-cache entry with another one; once more, bypassing it
    if (e instanceof AppError && e.message.includes('broke off')) return fetchModelOnce(url, 'no-store', onProgress);
    throw e;
  }
}

async function fetchModelOnce(url: string, cache: RequestCache, onProgress?: (loaded: number, total: number) => void): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { cache });
  } catch (e) {
    const elsewhere = new URL(url, self.location.href).origin !== self.location.origin;
    throw new AppError(
      'MODEL_FETCH',
      `Could not download the model file ${url}: ${String(e)}.`,
      elsewhere
        ? 'The file is on another server: check the URL and that the server is reachable, serves it over https, and allows this app to read it (Access-Control-Allow-Origin, and Cross-Origin-Resource-Policy: cross-origin, since this page is cross-origin isolated).'
        : 'Check that the app server is running and the file exists.',
    );
  }
  if (!res.ok) {
    throw new AppError(
      'MODEL_FETCH',
      `Could not download the model file ${url}: HTTP ${res.status} ${res.statusText}.`,
      'Check the model URL in the model settings.',
    );
  }
  const total = Number(res.headers.get('Content-Length') ?? 0);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let last = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (e) {
      throw new AppError(
        'MODEL_FETCH',
        `The download of ${url} broke off after ${loaded} bytes: ${String(e)}.`,
        'Reload the page to try again.',
      );
    }
    const { done, value } = chunk;
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    if (onProgress && (loaded - last > 1 << 20 || loaded === total)) {
      last = loaded;
      onProgress(loaded, total);
    }
  }
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  onProgress?.(loaded, total || loaded);
  return out;
}

/** What a session runs on: the backend, and why not WebGPU when WebGPU was asked for and failed to start. */
export type SessionBackend = RuntimeReport;
const backends = new WeakMap<OrtModule.InferenceSession, SessionBackend>();

/** The backend a session of {@link createSession} runs on. */
export function sessionBackend(session: OrtModule.InferenceSession): SessionBackend {
  return backends.get(session) ?? { backend: 'wasm', webgpuFailed: null };
}

/**
 * Creates a session, turning onnxruntime's errors into a message that names the file. On WebGPU only
 * the WebGPU provider is asked for (its CPU kernels take what it cannot run): with WASM listed as a
 * second choice onnxruntime drops a provider that fails to start without a word. When WebGPU does not
 * start, the session is made on WASM and {@link sessionBackend} says why.
 */
export async function createSession(ort: Ort, url: string, bytes: Uint8Array, backend: BackendName): Promise<OrtModule.InferenceSession> {
  let webgpuFailed: string | null = null;
  if (backend === 'webgpu') {
    try {
      const s = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' });
      backends.set(s, { backend: 'webgpu', webgpuFailed: null });
      return s;
    } catch (e) {
      webgpuFailed = e instanceof Error ? e.message : String(e);
    }
  }
  try {
    const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    backends.set(s, { backend: 'wasm', webgpuFailed });
    return s;
  } catch (e) {
    throw new AppError(
      'MODEL_LOAD',
      `${url} could not be loaded as an ONNX model: ${e instanceof Error ? e.message : String(e)}.`,
      'Check that the file is a complete ONNX model (not an HTML error page or a partial download).',
    );
  }
}

/**
 * A model file the user added (the Models dialog keeps them in the Origin Private File System):
 * `opfs:models/ID/encoder.onnx`.
 */
async function readOpfsModel(url: string, onProgress?: (loaded: number, total: number) => void): Promise<Uint8Array> {
  const parts = url.slice('opfs:'.length).split('/').filter(Boolean);
  try {
    let dir = await navigator.storage.getDirectory();
    for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p);
    const file = await (await dir.getFileHandle(parts[parts.length - 1]!)).getFile();
    const bytes = new Uint8Array(await file.arrayBuffer());
    onProgress?.(bytes.length, bytes.length);
    return bytes;
  } catch (e) {
    throw new AppError(
      'MODEL_FETCH',
      `The model file ${parts.join('/')} is not in this browser's storage any more (${e instanceof Error ? e.message : String(e)}).`,
      'Add the model again in Models (the browser may have cleared site data), or choose another model there.',
    );
  }
}
