/**
 * Start-up: the real dependencies of the store (engine events into the store, the browser's file
 * and worker-backed parsers) and the model's start from the page's URL.
 */
import { sam2Manifest, type ModelManifest } from '../../core/sam/manifest.ts';
import { bundledManifest, modelFacts, type ModelsService } from './models.ts';
import type { EngineEvents, InferenceEngine } from '../../inference/engine.ts';
import { decodeMaskPngs, parseCocoFile, parseTrackFiles } from '../../io/exporter.ts';
import { probeImageFile, type ImageRegistry } from '../../io/images.ts';
import { readVideoFile, storageEstimate } from '../../io/video.ts';
import type { StoreIo } from '../store/deps.ts';
import type { Persistence } from './persistence.ts';
import type { AppStore } from '../store/store.ts';

/**
 * The store's file access in the browser: `files` registers a new image file and writes it, stores a video file
 * once and registers images as its frames (persistence).
 */
export function browserIo(
  images: ImageRegistry,
  files: Pick<Persistence, 'addImageFile' | 'addVideoFile' | 'addVideoFrame' | 'dropVideoFile'>,
): StoreIo {
  return {
    probeImage: probeImageFile,
    registerImage: (id, blob, name) => files.addImageFile(id, blob, name),
    hasImageFile: (id) => images.has(id),
    parseCoco: parseCocoFile,
    decodeMaskPngs,
    parseTracks: parseTrackFiles,
    readVideo: readVideoFile,
    storeVideo: (videoId, file, meta) => files.addVideoFile(videoId, file, meta),
    dropVideo: (videoId) => void files.dropVideoFile(videoId),
    registerVideoFrame: (imageId, videoId, frame, name) => void files.addVideoFrame(imageId, videoId, frame, name),
    storageEstimate,
  };
}

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
    onMemory: (memory) => store().getState().setModel({ memory }),
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
 * at other model files (`&family=sam2` for a SAM 2 / 2.1 pair; then the Models dialog's choice is
 * off), `?backend=wasm|webgpu` forces a backend (`?decoderBackend=wasm|webgpu` the decoder's on WebGPU, which is otherwise
 * measured once per model and device), `?threads=N` caps the WASM threads, `?cacheMb=N` sizes
 * the embedding cache. Otherwise the model is the one the last project used (a project's own choice
 * is loaded when it opens).
 */
export function startModel(store: AppStore, engine: InferenceEngine, models: ModelsService, search = location.search): void {
  store.getState().setModel({ status: 'loading' });
  const q = new URLSearchParams(search);
  const encoder = q.get('encoder');
  const decoder = q.get('decoder');
  let urlModel: ModelManifest | null = null;
  if (encoder || decoder) {
    const base = bundledManifest();
    const enc = encoder ? new URL(encoder, document.baseURI).href : base.encoderUrl;
    const dec = decoder ? new URL(decoder, document.baseURI).href : base.decoderUrl;
    const file = (u: string) => u.split('/').pop();
    // what masks record as their model: the two files by name
    const id = `url:${file(enc)}+${file(dec)}`;
    urlModel =
      q.get('family') === 'sam2'
        ? sam2Manifest(id, `SAM 2 from ${file(enc)}`, enc, dec)
        : { ...base, id, name: `SAM from ${file(enc)}`, encoderUrl: enc, decoderUrl: dec };
    // another decoder has no batched twin: batch work then decodes one prompt per call
    if (decoder) delete urlModel.batchedDecoderUrl;
  }
  const b = q.get('backend');
  const threads = Number(q.get('threads')) || undefined;
  const cacheMb = Number(q.get('cacheMb'));
  if (cacheMb > 0) engine.cacheBytes = cacheMb * 1024 * 1024;
  engine.preferred = { backend: b === 'wasm' || b === 'webgpu' ? b : 'auto', threads };
  const db = q.get('decoderBackend');
  engine.decoderBackend = db === 'wasm' || db === 'webgpu' ? db : null;
  void models.start(urlModel).then((manifest) => {
    // the project restored meanwhile may already have switched the engine to its own model
    if (engine.model) return;
    store.getState().setModel(modelFacts(manifest));
    engine.start(manifest, engine.preferred.backend, engine.preferred.threads).catch(() => undefined);
  });
}
