import type { BackendName } from '../../workers/protocol.ts';

export interface BackendChoice {
  backend: BackendName;
  numThreads: number;
  /** why this backend, in words for the status bar */
  reason: string;
  /** WebGPU: the adapter, as a key for what was measured on it */
  device?: string;
}

export interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string };
}

/**
 * WebGPU when a real (hardware, non-fallback) adapter exists; otherwise WASM with as many threads as
 * the machine has cores (max 4), or 1 when the page is not cross-origin isolated. `preferred`
 * 'webgpu' takes any adapter, a software one too; 'wasm' never asks for one.
 */
export async function chooseBackend(preferred: 'auto' | BackendName = 'auto', threads?: number): Promise<BackendChoice> {
  const cores = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
  const numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(cores, threads ?? cores)) : 1;
  const threadNote = self.crossOriginIsolated
    ? `${numThreads} thread${numThreads > 1 ? 's' : ''}`
    : '1 thread (page is not cross-origin isolated, so WASM threads are off)';
  const wasm = (why: string): BackendChoice => ({ backend: 'wasm', numThreads, reason: `WASM, ${threadNote}: ${why}` });
  if (preferred === 'wasm') return wasm('chosen in settings');
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  const asked = preferred === 'webgpu' ? 'WebGPU was asked for, but ' : '';
  if (!gpu) return wasm(`${asked}this browser has no WebGPU`);
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch {
    adapter = null;
  }
  if (!adapter) return wasm(`${asked}no WebGPU adapter`);
  const info = adapter.info ?? {};
  const software =
    adapter.isFallbackAdapter === true ||
    info.isFallbackAdapter === true ||
    /swiftshader|llvmpipe|software|cpu/i.test(`${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`);
  const name = info.architecture || info.vendor || 'unknown';
  const device = [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') || 'unknown adapter';
  // asked for by name (?backend=webgpu), a software adapter is used as it is (tests run WebGPU on SwiftShader)
  if (software && preferred === 'webgpu')
    return { backend: 'webgpu', numThreads, reason: `WebGPU (chosen) on a software adapter (${name}), slower than WASM`, device };
  if (software) return wasm(`the only WebGPU adapter is a software fallback (${name}), far slower than WASM`);
  return { backend: 'webgpu', numThreads, reason: `WebGPU on ${info.vendor || 'GPU'} ${info.architecture || ''}`.trim(), device };
}
