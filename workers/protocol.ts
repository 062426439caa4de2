/**
 * The typed APIs the workers expose with comlink. Kept free of DOM/WebWorker lib references so both
 * the app and the workers type-check against it.
 */
import type { CocoRle } from '../src/core/mask/rle.ts';
import type { ModelManifest } from '../src/core/sam/manifest.ts';
import type { Prompts } from '../src/core/sam/prompts.ts';

export type BackendName = 'webgpu' | 'wasm';

export interface RuntimeOptions {
  backend: BackendName;
  numThreads: number;
  /** absolute URL of the folder holding onnxruntime-web's .mjs/.wasm files */
  ortBase: string;
}

export type ProgressCallback = (loaded: number, total: number) => void;

export interface EncodeResult {
  embedding: Float32Array;
  width: number;
  height: number;
  /** preprocessing + encoder run, ms */
  ms: number;
}

export interface EncoderApi {
  init(m: ModelManifest, opts: RuntimeOptions, onProgress?: ProgressCallback): Promise<void>;
  /** Embedding of one image file; the result's buffer is transferred. */
  encode(blob: Blob, name: string): Promise<EncodeResult>;
}

export interface DecodeRequest {
  imageId: number;
  generation: number;
  prompts: Prompts;
  color: string;
  /** generation whose low-res logits go in as `mask_input` (SAM's interactive refinement), or null */
  feedbackFrom: number | null;
}

export interface DecodeResult {
  generation: number;
  imageId: number;
  score: number;
  /** pixel count and box of the mask; estimated from the overlay on large images (`approximate`) */
  area: number;
  bbox: [number, number, number, number];
  approximate: boolean;
  overlay: ImageBitmap;
  decodeMs: number;
  totalMs: number;
}

export interface LiveMaskData {
  rle: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  score: number;
}

export interface EditResult {
  /** null when nothing is left to show */
  overlay: ImageBitmap | null;
  area: number;
  bbox: [number, number, number, number];
}

export interface DecoderApi {
  init(m: ModelManifest, opts: RuntimeOptions, cacheSize: number, onProgress?: ProgressCallback): Promise<void>;
  setEmbedding(imageId: number, embedding: Float32Array, width: number, height: number): void;
  cachedImageIds(): number[];
  dropEmbedding(imageId: number): void;
  /** Forgets every embedding and the live mask (switching projects). */
  dropAll(): void;
  decode(req: DecodeRequest): Promise<DecodeResult>;
  /**
   * COCO RLE of the live mask: the SAM mask of `generation` (when `withSam`; null if a newer one
   * replaced it) combined with the edit (base annotation, brush and eraser strokes).
   */
  liveMaskRle(generation: number, withSam: boolean): LiveMaskData | null;
  clearLive(): void;
  /** Starts (or restarts) the manual edit of an image, optionally on an existing mask. */
  editReset(imageId: number, width: number, height: number, base: CocoRle | null): void;
  /** Repaints all strokes of the edit (after undo/redo) and returns the live overlay. */
  editStrokes(imageId: number, strokes: import('../src/core/mask/brush.ts').Stroke[], color: string, withSam: boolean): EditResult;
  /** Paints one more stroke (or a piece of one) and returns the live overlay. */
  editAddStroke(imageId: number, stroke: import('../src/core/mask/brush.ts').Stroke, color: string, withSam: boolean): EditResult;
  renderRle(rle: CocoRle, color: string, fillAlpha: number): ImageBitmap;
  /** Benchmark reference: `session.run` of the decoder alone, `n` times, on an image's embedding (ms each). */
  benchRaw(imageId: number, n: number): Promise<number[]>;
}

export type ExportKind = 'coco-rle' | 'coco-polygon' | 'masks' | 'yolo';

export interface ExportRequest {
  kind: ExportKind;
  /** the project as plain JSON (see src/core/project/types.ts) */
  project: import('../src/core/project/types.ts').Project;
  tolerance: number;
  minIou: number;
  /** image files by image id, for exports that include the images (YOLO) */
  images?: { id: number; blob: Blob }[];
}

export interface ExportResult {
  bytes: Uint8Array;
  fileName: string;
  mime: string;
  fidelity?: { minIou: number; meanIou: number; annotations: number };
  /** images left out because their file was not open */
  missingImages: string[];
}

/** Objects of one mask PNG, as RLE (decoded off the main thread), or why it could not be read. */
export type MaskPngObjects =
  | { ok: true; width: number; height: number; objects: { rle: CocoRle; area: number; bbox: [number, number, number, number] }[] }
  | { ok: false; error: string };

export interface ExportApi {
  /** Decodes a mask PNG (binary or instance ids) into one RLE per object. */
  maskPngObjects(blob: Blob): Promise<MaskPngObjects>;
  run(req: ExportRequest, onProgress?: ProgressCallback): Promise<ExportResult>;
  /** IoU of the polygons with the masks at a tolerance, on up to `sample` annotations */
  fidelity(
    project: ExportRequest['project'],
    tolerance: number,
    minIou: number,
    sample: number,
  ): { minIou: number; meanIou: number; annotations: number };
}
