import { afterEach, describe, expect, it, vi } from 'vitest';
import { chooseBackend } from './backend.ts';

/** A browser with these cores, isolation and WebGPU adapter (undefined: no navigator.gpu at all). */
function browser(adapter: object | null | undefined, cores = 2, isolated = true) {
  vi.stubGlobal('self', { crossOriginIsolated: isolated });
  vi.stubGlobal('navigator', {
    hardwareConcurrency: cores,
    ...(adapter === undefined ? {} : { gpu: { requestAdapter: () => Promise.resolve(adapter) } }),
  });
}

const hardware = { info: { vendor: 'nvidia', architecture: 'ampere' } };
const swiftshader = { info: { vendor: 'google', architecture: 'swiftshader' } };

describe('chooseBackend', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('takes a hardware adapter, and WASM with one thread per core (at most 4) otherwise', async () => {
    browser(hardware, 8);
    expect(await chooseBackend()).toMatchObject({ backend: 'webgpu', reason: 'WebGPU on nvidia ampere' });
    browser(undefined, 8);
    expect(await chooseBackend()).toMatchObject({ backend: 'wasm', numThreads: 4, reason: 'WASM, 4 threads: this browser has no WebGPU' });
    browser(null, 2, false);
    expect(await chooseBackend()).toMatchObject({
      backend: 'wasm',
      numThreads: 1,
      reason: expect.stringMatching(/^WASM, 1 thread \(page is not cross-origin isolated.*no WebGPU adapter$/),
    });
  });

  it('passes over a software adapter unless WebGPU is asked for by name', async () => {
    browser(swiftshader);
    expect(await chooseBackend()).toMatchObject({ backend: 'wasm', reason: expect.stringContaining('software fallback (swiftshader)') });
    expect(await chooseBackend('webgpu')).toMatchObject({
      backend: 'webgpu',
      reason: 'WebGPU (chosen) on a software adapter (swiftshader), slower than WASM',
    });
    browser({ isFallbackAdapter: true, info: {} });
    expect((await chooseBackend()).backend).toBe('wasm');
  });

  it('says when WebGPU was asked for and there is none; WASM by name never asks for an adapter', async () => {
    browser(undefined);
    expect((await chooseBackend('webgpu')).reason).toBe('WASM, 2 threads: WebGPU was asked for, but this browser has no WebGPU');
    browser(hardware, 4);
    expect(await chooseBackend('wasm', 3)).toMatchObject({ backend: 'wasm', numThreads: 3, reason: 'WASM, 3 threads: chosen in settings' });
  });
});
