/**
 * SAM 2's video memory model in the app (issue 29): four graphs of pagarcia/sam2-onnx-cpp's layout, picked
 * in the Models dialog (files or a folder) or named by the page's URL (`?sam2video=`), loaded in their own
 * worker (inference/sam2Video.ts) for the session, apart from the image model (clicks keep that one).
 * Its state is the store's `videoModel`; propagation uses it while it is ready (services/tracking.ts).
 */
import { appErrorFromUnknown } from '../../core/errors.ts';
import { SAM2_VIDEO_LAYOUT, sam2VideoModelId } from '../../core/video/sam2VideoLayout.ts';
import type { Sam2VideoFiles } from '../../inference/sam2Video.ts';
import type { Sam2VideoSource } from '../../../workers/protocol.ts';
import type { AppStore } from '../store/store.ts';

/** The page side of the memory model's worker (inference/sam2Video.ts). */
export interface VideoModelLoader {
  load(sources: Sam2VideoSource[]): Promise<Sam2VideoFiles>;
  unload(): void;
}

/** The exporter's four file names, for `?sam2video=FOLDER/`. */
export const SAM2_VIDEO_FILES = Object.values(SAM2_VIDEO_LAYOUT).map((r) => r.file);

/**
 * The files `?sam2video=` names: a comma-separated list of file URLs, or a folder URL whose files have the
 * exporter's names (image_encoder.onnx, image_decoder.onnx, memory_attention.onnx, memory_encoder.onnx).
 */
export function sam2VideoUrls(value: string, base: string): string[] {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length > 1) return parts.map((p) => new URL(p, base).href);
  const dir = new URL(parts[0]!.endsWith('/') ? parts[0]! : `${parts[0]!}/`, base).href;
  return SAM2_VIDEO_FILES.map((f) => new URL(f, dir).href);
}

const fileName = (u: string) => decodeURIComponent(u.split('?')[0]!.split('/').pop() ?? u);

export class VideoModelService {
  private loads = 0;

  constructor(private readonly deps: { store: AppStore; loader: VideoModelLoader }) {}

  /** Loads the model from files the user picked (a folder's .onnx files, or four files). Resolves to whether it loaded. */
  loadFiles(files: readonly File[]): Promise<boolean> {
    const onnx = files.filter((f) => /\.onnx$/i.test(f.name));
    const name = (f: File) => f.webkitRelativePath || f.name;
    if (onnx.length === 0) {
      this.deps.store.getState().setVideoModel({
        status: 'error',
        source: files.map(name).join(', '),
        error: 'No .onnx file was picked.',
        hint: 'Pick the four graphs of SAM 2 (image_encoder, image_decoder, memory_attention, memory_encoder) or their folder.',
      });
      return Promise.resolve(false);
    }
    return this.load(
      onnx.map((f) => ({ name: name(f), file: f })),
      onnx.map(name).join(', '),
    );
  }

  /** Loads the model from URLs (`?sam2video=`, see {@link sam2VideoUrls}). */
  loadUrl(value: string, base = document.baseURI): Promise<boolean> {
    const urls = sam2VideoUrls(value, base);
    return this.load(
      urls.map((url) => ({ name: fileName(url), url })),
      value,
    );
  }

  unload(): void {
    this.loads++;
    this.deps.loader.unload();
    this.deps.store.getState().setVideoModel(null);
  }

  private async load(sources: Sam2VideoSource[], source: string): Promise<boolean> {
    const n = ++this.loads;
    const s = () => this.deps.store.getState();
    s().setVideoModel({ status: 'loading', source });
    try {
      const l = await this.deps.loader.load(sources);
      if (n !== this.loads) return false;
      const files = { encoder: l.encoder, decoder: l.decoder, memoryAttention: l.memoryAttention, memoryEncoder: l.memoryEncoder };
      const encoder = sources.find((x) => x.name === l.encoder);
      const path = encoder && 'url' in encoder && encoder.url ? decodeURIComponent(new URL(encoder.url).pathname) : l.encoder;
      s().setVideoModel({ status: 'ready', source, files, id: sam2VideoModelId(path) });
      return true;
    } catch (e) {
      if (n !== this.loads) return false;
      const err = appErrorFromUnknown(e);
      s().setVideoModel({ status: 'error', source, error: err.message, hint: err.hint });
      s().notify('error', `The SAM 2 video memory model was not loaded: ${err.message}`, err.hint);
      return false;
    }
  }
}
