/**
 * Which backend runs a decoder, by measurement: on a GPU, small decoders often run faster on WASM
 * (dispatch and transfer costs dominate their few milliseconds of work), so the decoder worker times
 * both once per model and device and keeps the faster.
 */
export type RaceBackend = 'webgpu' | 'wasm';

/**
 * The faster backend by the median of each one's runs (ms). WASM wins only when it is clearly faster
 * (by 10 %): WebGPU also leaves the CPU free for the page and the encoder's worker.
 */
export function fasterBackend(webgpuMs: readonly number[], wasmMs: readonly number[]): RaceBackend {
  if (webgpuMs.length === 0 || wasmMs.length === 0) throw new RangeError('time both backends at least once');
  return median(wasmMs) < 0.9 * median(webgpuMs) ? 'wasm' : 'webgpu';
}

export function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The status bar's words once the decoder timed both backends. */
export function withDecoderTiming(reason: string, kept: RaceBackend, timed: { webgpuMs: number; wasmMs: number }): string {
  const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
  return `${reason}; decoder on ${kept === 'wasm' ? 'WASM' : 'WebGPU'} (measured: WebGPU ${ms(timed.webgpuMs)}, WASM ${ms(timed.wasmMs)} a run)`;
}

/**
 * The status bar's reason once a WebGPU model's decoder is loaded: the backend's reason (what an
 * earlier model's decoder added is dropped), plus where this decoder runs and how that was decided:
 * timed now, named (`?decoderBackend=`), or remembered (said only for WASM; WebGPU is the default).
 */
export function decoderReason(
  reason: string,
  backend: RaceBackend,
  timed: { webgpuMs: number; wasmMs: number } | undefined,
  named: boolean,
): string {
  const base = reason.replace(/; decoder on .*$/, '');
  if (timed) return withDecoderTiming(base, backend, timed);
  const name = backend === 'wasm' ? 'WASM' : 'WebGPU';
  if (named) return `${base}; decoder on ${name} (chosen)`;
  return backend === 'wasm' ? `${base}; decoder on WASM (measured faster on this device before)` : base;
}
