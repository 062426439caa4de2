/**
 * The encode scheduler on a fake model host (the real workers are driven by e2e/scheduling.spec.ts): the shown image
 * first, and frames stepped through faster than an encode (scrubbing, playing a clip) do not end and restart the
 * encoder worker on every step (each restart loads the model again on the cores the page needs).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EmbeddingStatus } from './types.ts';
import { ImageStates } from './images.ts';
import type { ModelHost } from './host.ts';
import { EncodeScheduler, SETTLE_MS } from './scheduler.ts';

/** A host whose encoder answers when told to (`finish`), counting the workers it starts and ends. */
function fakeHost() {
  const calls: string[] = [];
  const cached = new Set<number>();
  let pending: { imageId: string; resolve: (r: unknown) => void }[] = [];
  const host = {
    modelError: null,
    choice: { backend: 'wasm', numThreads: 2 },
    decoderReady: Promise.resolve(),
    decoder: {
      setEmbedding: (imageId: number) => Promise.resolve(void cached.add(imageId)),
      warm: () => Promise.resolve(1),
      cachedImageIds: () => Promise.resolve([...cached]),
    },
    encoder: null as unknown,
    started: 0,
    ended: 0,
    ensureEncoder() {
      if (!host.encoder) {
        host.started++;
        pending = [];
        host.encoder = {
          ready: Promise.resolve(),
          api: {
            encode: (_blob: Blob, name: string) => {
              calls.push(`encode ${name}`);
              return new Promise((resolve) => pending.push({ imageId: name, resolve }));
            },
          },
        };
      }
      return host.encoder;
    },
    endEncoder() {
      if (host.encoder) host.ended++;
      host.encoder = null;
    },
    reportMemory: () => Promise.resolve(),
    /** the encode under way finishes */
    finish() {
      const p = pending.shift()!;
      p.resolve({ ms: 1, width: 4, height: 3, embedding: new Float32Array(1), extra: [] });
    },
  };
  return { host, calls };
}

function setup() {
  const { host, calls } = fakeHost();
  const status = new Map<number, EmbeddingStatus>();
  const blobOf = (id: number) => ({ name: `frame${id}`, read: () => Promise.resolve(new Blob(['x'])) });
  const events = {
    onModelProgress: () => undefined,
    onModelReady: () => undefined,
    onModelError: () => undefined,
    onEmbeddingStatus: (id: number, s: EmbeddingStatus) => void status.set(id, s),
  };
  const images = new ImageStates(blobOf, events);
  const scheduler = new EncodeScheduler(host as unknown as ModelHost, images, events, blobOf, () => false, { encoder: [], warm: [] });
  return { host, calls, status, scheduler };
}

const flush = async () => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

describe('EncodeScheduler', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('the shown image is encoded at once; another image shown later (a person moving on) stops it and goes first', async () => {
    const { host, calls, status, scheduler } = setup();
    scheduler.show(1, null);
    await flush();
    expect(calls).toEqual(['encode frame1']);
    await vi.advanceTimersByTimeAsync(2000);
    scheduler.show(2, null);
    await flush();
    // frame 1's encode was stopped (its worker ended) and frame 2's began on a new one
    expect(host.ended).toBe(1);
    expect(calls).toEqual(['encode frame1', 'encode frame2']);
    expect(status.get(1)).toBe('pending');
    host.finish();
    await flush();
    expect(status.get(2)).toBe('ready');
  });

  it('frames stepped through faster than they encode: no worker ended and started per step; the frame stopped on is encoded', async () => {
    const { host, calls, status, scheduler } = setup();
    scheduler.show(1, null);
    await flush();
    // ten steps, 60 or 400 ms apart (a held key, a clip playing; a person stepping through frames decoded on
    // demand): each shown while frame 1 still encodes
    for (let f = 2; f <= 11; f++) {
      await vi.advanceTimersByTimeAsync(f % 2 ? 60 : 400);
      scheduler.show(f, null);
      await flush();
    }
    expect(host.ended).toBe(0);
    expect(calls).toEqual(['encode frame1']);
    // the person stops on frame 11: once the steps have settled, frame 1 gives way to it (one restart for the burst)
    await vi.advanceTimersByTimeAsync(SETTLE_MS + 10);
    await flush();
    expect(host.ended).toBe(1);
    expect(calls).toEqual(['encode frame1', 'encode frame11']);
    host.finish();
    await flush();
    expect(status.get(11)).toBe('ready');
  });

  it('a click on the frame stepped to does not wait for the steps to settle', async () => {
    const { calls, scheduler } = setup();
    scheduler.show(1, null);
    await flush();
    await vi.advanceTimersByTimeAsync(60);
    scheduler.show(2, null);
    await flush();
    expect(calls).toEqual(['encode frame1']);
    scheduler.noteActivity(2);
    await flush();
    expect(calls).toEqual(['encode frame1', 'encode frame2']);
  });
});
