import { describe, expect, it } from 'vitest';
import { decoderReason, fasterBackend, median, withDecoderTiming } from './backendRace.ts';

describe('the decoder backend race', () => {
  it('keeps WASM only when its median run is clearly (10 %) faster', () => {
    expect(fasterBackend([10, 11, 12], [5, 6, 7])).toBe('wasm');
    expect(fasterBackend([10, 10, 10], [9.5, 9.5, 9.5])).toBe('webgpu');
    expect(fasterBackend([10, 10, 10], [8.9, 8.9, 8.9])).toBe('wasm');
    // one slow first run does not decide it: medians
    expect(fasterBackend([100, 4, 4], [5, 5, 5])).toBe('webgpu');
    expect(() => fasterBackend([], [1])).toThrow(/at least once/);
  });

  it('takes medians of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('says what it measured in the status', () => {
    expect(withDecoderTiming('WebGPU on nvidia ampere', 'wasm', { webgpuMs: 12.345, wasmMs: 4.56 })).toBe(
      'WebGPU on nvidia ampere; decoder on WASM (measured: WebGPU 12 ms, WASM 4.6 ms a run)',
    );
  });

  it('says where the current decoder runs, whatever an earlier model’s decoder said', () => {
    const gpu = 'WebGPU on nvidia ampere';
    const timedA = decoderReason(gpu, 'wasm', { webgpuMs: 20, wasmMs: 5 }, false);
    expect(timedA).toBe('WebGPU on nvidia ampere; decoder on WASM (measured: WebGPU 20 ms, WASM 5.0 ms a run)');
    // the next model's decoder, remembered on WebGPU: nothing of model A's is left
    expect(decoderReason(timedA, 'webgpu', undefined, false)).toBe(gpu);
    expect(decoderReason(timedA, 'wasm', undefined, false)).toBe(`${gpu}; decoder on WASM (measured faster on this device before)`);
    expect(decoderReason(decoderReason(timedA, 'webgpu', undefined, true), 'wasm', undefined, true)).toBe(
      `${gpu}; decoder on WASM (chosen)`,
    );
  });
});
