/**
 * Start-up: the real dependencies of the store (engine events into the store, the browser's file
 * and worker-backed parsers) and the model's start from the page's URL.
 */
import { defaultManifest } from '../core/sam/manifest.ts';
import type { EngineEvents, InferenceEngine } from '../inference/engine.ts';
import { decodeMaskPngs, parseCocoFile } from '../io/exporter.ts';
import { imageBlob, probeImageFile, registerImageBlob } from '../io/images.ts';
import type { StoreIo } from './deps.ts';
import type { AppStore } from './store.ts';

export const browserIo: StoreIo = {
  probeImage: probeImageFile,
  registerImage: (id, blob, name) => registerImageBlob(id, blob, name),
  hasImageFile: (id) => imageBlob(id) !== undefined,
  parseCoco: parseCocoFile,
  decodeMaskPngs,
};

/** The engine's events, delivered to the store once it exists. */
export function engineEvents(store: () => AppStore): EngineEvents {
  return {
    onModelProgress: ({ loaded, total }) => store().getState().setModel({ status: 'loading', loaded, total }),
    onModelReady: (c, candidates) => {
      store().getState().setModel({ status: 'ready', backend: c.backend, reason: c.reason, candidates });
      if (!candidates)
        store()
          .getState()
          .notify(
            'info',
            'This decoder returns one mask per click, so there are no mask candidates to choose from.',
            'For candidates, convert it once with "npm run decoder-candidates -- IN.onnx OUT.onnx" and load OUT.onnx.',
          );
    },
    onModelError: (err) => {
      store().getState().setModel({ status: 'error', error: err });
      store().getState().notify('error', err.message, err.hint);
    },
    onEmbeddingStatus: (id, status, err) => {
      const s = store().getState();
      s.setImageStatus(id, status);
      if (err && status === 'error') {
        const name = s.project.images.find((im) => im.id === id)?.fileName ?? `image ${id}`;
        s.notify('error', `${name}: ${err.message}`, err.hint);
      }
    },
  };
}

/**
 * Starts the model; errors are shown by the engine's events. `?encoder=URL&decoder=URL` points the app
 * at other SAM ONNX files, `?backend=wasm|webgpu` forces a backend, `?threads=N` caps the WASM threads.
 */
export function startModel(store: AppStore, engine: InferenceEngine, search = location.search): void {
  store.getState().setModel({ status: 'loading' });
  const q = new URLSearchParams(search);
  const manifest = defaultManifest(new URL('models/', document.baseURI).pathname);
  const encoder = q.get('encoder');
  const decoder = q.get('decoder');
  if (encoder) manifest.encoderUrl = new URL(encoder, document.baseURI).href;
  if (decoder) manifest.decoderUrl = new URL(decoder, document.baseURI).href;
  if (encoder || decoder) manifest.id = 'custom';
  const b = q.get('backend');
  const threads = Number(q.get('threads')) || undefined;
  engine.start(manifest, b === 'wasm' || b === 'webgpu' ? b : 'auto', threads).catch(() => undefined);
}
