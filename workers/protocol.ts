/**
 * The typed APIs the workers expose with comlink. Kept free of DOM/WebWorker lib references so both
 * the app and the workers type-check against it.
 */
import type { PolygonFidelity } from '../src/core/coco/export.ts';
import type { CocoRle } from '../src/core/mask/rle.ts';
import type { EmbeddingSource } from '../src/core/sam/keys.ts';
import type { ModelManifest } from '../src/core/sam/manifest.ts';
import type { Prompts } from '../src/core/sam/prompts.ts';
import type { VideoReadResult, VideoSink } from '../src/core/video/videoFile.ts';

export type BackendName = 'webgpu' | 'wasm';

export interface RuntimeOptions {
  backend: BackendName;
  numThreads: number;
  /** absolute URL of the folder holding onnxruntime-web's .mjs/.wasm files */
  ortBase: string;
  /**
   * On WebGPU, the decoder's backend measured before for this model on this device; absent: the
   * decoder worker times both and keeps the faster (`RuntimeReport.timed`).
   */
  decoderBackend?: BackendName;
}

export type ProgressCallback = (loaded: number, total: number) => void;

/** The backend a worker's session runs on, and WebGPU's error when it was asked for and did not start. */
export interface RuntimeReport {
  backend: BackendName;
  webgpuFailed: string | null;
  /** the decoder on WebGPU: its median run on each backend (ms), when it timed both to keep the faster */
  timed?: { webgpuMs: number; wasmMs: number };
}

export interface EncodeResult {
  embedding: Float32Array;
  /** SAM 2: `high_res_feats_0` and `high_res_feats_1` (see SAM2_HIGH_RES); empty for SAM 1 style models */
  extra: Float32Array[];
  width: number;
  height: number;
  /** preprocessing + encoder run, ms */
  ms: number;
}

export interface EmbeddingMemory {
  images: number;
  bytes: number;
  capacity: number;
  otherBytes: number;
}

export interface EncoderApi {
  /** Loads the encoder; resolves to the backend its session runs on (WASM when WebGPU failed to start, and why). */
  init(m: ModelManifest, opts: RuntimeOptions, onProgress?: ProgressCallback): Promise<RuntimeReport>;
  /**
   * Embedding of one image file, or of a crop of it (image px; pre-annotation's ROI crops and
   * segment-everything crop layers); the result's buffer is transferred. `width`/`height` are the
   * encoded region's.
   */
  encode(blob: Blob, name: string, crop?: import('../src/core/sam/roi.ts').PixelRect): Promise<EncodeResult>;
}

/** Where a batch decode takes its embedding (see src/core/sam/keys.ts, shared with the engine). */
export type { EmbeddingSource };

/** A mask made by a batch job, as RLE in image px (pixels never leave the worker). */
export interface BatchMask {
  rle: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  score: number;
}

/** Video propagation's mask on one frame (see the decoder worker's `trackMask`). */
export interface TrackMask extends BatchMask {
  /** the frame's warning: the object lost, changed abruptly, or the model unsure (null: none) */
  flag: 'lost' | 'abrupt' | 'uncertain' | null;
  /** the prompts the previous mask gave */
  prompts: Prompts;
}

/** Video tracks read from files (see ExportApi.parseTracks). */
export type ParsedTracks =
  | { ok: true; format: 'ytvis' | 'palette'; tracks: import('../src/core/video/trackImport.ts').TrackImport }
  | { ok: false; message: string };

export interface DecodeRequest {
  imageId: number;
  generation: number;
  prompts: Prompts;
  color: string;
  /** generation whose low-res logits go in as `mask_input` (SAM's interactive refinement), or null */
  feedbackFrom: number | null;
  /** the mask candidate to show (a token 1–3 of an ambiguous prompt), or null for the decoder's own pick */
  candidate: number | null;
  /** decode on the embedding of this crop (zoom-in refinement; set with `setCrop`), or null for the whole image */
  crop: import('../src/core/sam/roi.ts').PixelRect | null;
  /** which previous logits a decode on the crop takes as `mask_input` (see ZoomInOptions) */
  cropFeedback: import('../src/core/sam/zoomIn.ts').ZoomInOptions['cropFeedback'];
}

export interface HoverRequest {
  imageId: number;
  /** increasing per request; a newer one makes the older ones stale */
  seq: number;
  /** image px */
  point: { x: number; y: number };
  color: string;
}

export interface HoverResult {
  imageId: number;
  seq: number;
  point: { x: number; y: number };
  /** null for an empty mask */
  overlay: ImageBitmap | null;
  score: number;
  decodeMs: number;
}

/** One of SAM's candidates for an ambiguous prompt, as offered to the annotator. */
export interface CandidateInfo {
  token: number;
  predictedIou: number;
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
  /** SAM's candidates, best predicted IoU first (empty: unambiguous prompts, or a decoder without candidate outputs) */
  candidates: CandidateInfo[];
  /** the candidate shown (null when there are none) */
  token: number | null;
  /**
   * Previews of the candidates (same order), each the mask over `previewBox` (image px) at a small
   * size: the main thread draws the image's pixels of that box under it.
   */
  previews: ImageBitmap[];
  previewBox: [number, number, number, number] | null;
  /** the crop this mask was decoded on (null: the whole image) */
  crop: import('../src/core/sam/roi.ts').PixelRect | null;
}

/** A mask drawn for display: the fill (solid colour, transparent outside) over the mask's box, and its outline rings. */
export interface RenderedMask {
  /** null for an empty mask */
  bitmap: ImageBitmap | null;
  /** where the bitmap goes, in image px (it may hold fewer pixels on huge masks) */
  x: number;
  y: number;
  width: number;
  height: number;
  /** outer boundaries and holes, flat [x, y, ...] in image px */
  outline: number[][];
}

export interface LiveMaskData {
  rle: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  score: number;
}

export interface EditResult {
  /** the whole overlay; null when nothing is left to show or when only a patch changed */
  overlay: ImageBitmap | null;
  /** the worker's edit view the overlay shows (patches of that view apply over it) */
  view?: number;
  /** a stroke piece's change: this bitmap replaces the overlay's pixels at (x, y) (overlay px) */
  patch?: { bitmap: ImageBitmap; x: number; y: number; view: number } | null;
  area: number;
  bbox: [number, number, number, number];
}

export interface DecoderApi {
  /** Loads the decoder; resolves to whether it has the candidate outputs (all masks and IoUs). */
  /** `cacheBytes`: how many bytes of image embeddings are kept (least recently used dropped first). */
  init(
    m: ModelManifest,
    opts: RuntimeOptions,
    cacheBytes: number,
    onProgress?: ProgressCallback,
  ): Promise<{ candidates: boolean } & RuntimeReport>;
  /** Stores the embedding of a crop of an image (zoom-in refinement); kept until dropped. */
  setCrop(imageId: number, crop: import('../src/core/sam/roi.ts').PixelRect, embedding: Float32Array, extra: Float32Array[]): void;
  dropCrop(imageId: number, crop: import('../src/core/sam/roi.ts').PixelRect): void;
  /** `extra`: the encoder's other outputs the decoder takes (SAM 2's high-resolution features) */
  setEmbedding(imageId: number, embedding: Float32Array, extra: Float32Array[], width: number, height: number): void;
  /** What the embeddings take: the cache's images and bytes, its capacity, and crops and batch work's bytes. */
  memory(): EmbeddingMemory;
  /**
   * One decoder run on an image's embedding, its result dropped: the first real click is then as fast
   * as the later ones (onnxruntime's first run on a new input allocates and plans). Runs after any
   * interactive decode waiting; ms taken.
   */
  warm(imageId: number): Promise<number>;
  cachedImageIds(): number[];
  dropEmbedding(imageId: number): void;
  /** Forgets every embedding and the live mask (switching projects). */
  dropAll(): void;
  decode(req: DecodeRequest): Promise<DecodeResult>;
  /**
   * Hover preview: the mask one foreground click at `point` would give, drawn light. Skipped (null)
   * when a newer hover or any click decode was asked for before its turn came. Its run is kept, so
   * a click on that point decodes nothing.
   */
  hover(req: HoverRequest): Promise<HoverResult | null>;
  /** Drops hover requests up to `seq` that have not started (the pointer moved on, or a click came). */
  cancelHover(seq: number): void;
  /** decoder runs so far (clicks, hover previews, warm-ups, batch work) */
  decoderRuns(): number;
  /**
   * COCO RLE of the live mask: the SAM mask of `generation` (when `withSam`; null if a newer one
   * replaced it) combined with the edit (base annotation, brush and eraser strokes).
   */
  liveMaskRle(generation: number, withSam: boolean): LiveMaskData | null;
  clearLive(): void;
  /** The live overlay drawn again in another colour (nothing is decoded). */
  recolorLive(imageId: number, color: string, withSam: boolean): EditResult;
  /** Starts (or restarts) the manual edit of an image, optionally on an existing mask. */
  editReset(imageId: number, width: number, height: number, base: CocoRle | null): void;
  /** Repaints all strokes of the edit (after undo/redo) and returns the live overlay. */
  editStrokes(imageId: number, strokes: import('../src/core/mask/brush.ts').Stroke[], color: string, withSam: boolean): EditResult;
  /** Paints one more stroke (or a piece of one) and returns the live overlay. */
  editAddStroke(imageId: number, stroke: import('../src/core/mask/brush.ts').Stroke, color: string, withSam: boolean): EditResult;
  /** Display of a stored mask (an accepted annotation): its fill cropped to its box, and its outline. */
  renderMask(rle: CocoRle, color: string): RenderedMask;
  /** Whether an image's embedding is cached (a batch job can use it instead of encoding again). */
  hasEmbedding(imageId: number): boolean;
  /**
   * Holds one embedding for batch work (a crop, or an image not kept in the cache), as batch job
   * `jobId`'s; replaces the previous one. Batch decodes name it as `{ kind: 'batch', jobId }`.
   */
  setScratch(jobId: number, embedding: Float32Array, extra: Float32Array[], width: number, height: number): void;
  /**
   * A batch job's mask for prompts (in the embedded region's px). With `paste`, the embedded region is
   * the crop `paste.roi` of an image of `paste.width` x `paste.height` and the mask is returned in that
   * image's px. Runs after any interactive decode waiting. Empty masks come back with area 0.
   */
  batchMask(
    source: EmbeddingSource,
    prompts: Prompts,
    paste: { roi: import('../src/core/sam/roi.ts').PixelRect; width: number; height: number } | null,
  ): Promise<BatchMask>;
  /**
   * Video propagation: the mask on a frame (a batch embedding of the whole frame) that follows the
   * previous frame's mask (see src/core/video/propagate.ts), with the frame's flag.
   */
  trackMask(source: EmbeddingSource, previous: CocoRle): Promise<TrackMask>;
  /** Video: the masks of the `between` frames between two keyframes' masks, by interpolating their signed distance fields. */
  interpolateMasks(a: CocoRle, b: CocoRle, between: number): BatchMask[];
  /** Segment everything: one grid point of a crop (crop px) -> a kept mask in image px, or null (filtered). */
  amgMask(
    source: EmbeddingSource,
    point: { x: number; y: number },
    crop: import('../src/core/sam/amg.ts').BoxXyxy,
    image: { width: number; height: number },
    params: import('../src/core/sam/amg.ts').AmgParams,
  ): Promise<import('../src/core/sam/amg.ts').AmgMask | null>;
  /**
   * Segment everything on the batched decoder: several grid points of a crop in one call (each
   * point's kept mask or null, in order); one call per point when the model has no batched decoder.
   */
  amgMasks(
    source: EmbeddingSource,
    points: { x: number; y: number }[],
    crop: import('../src/core/sam/amg.ts').BoxXyxy,
    image: { width: number; height: number },
    params: import('../src/core/sam/amg.ts').AmgParams,
  ): Promise<(import('../src/core/sam/amg.ts').AmgMask | null)[]>;
  /**
   * Masks for several prompts on a whole image's batch embedding, in one call of the batched decoder
   * when every prompt has the same number of points (see `promptBatches`); in order.
   */
  batchMasks(source: EmbeddingSource, prompts: Prompts[]): Promise<BatchMask[]>;
  /** Segment everything's last step: small holes and islands removed, NMS again. */
  amgSmallRegions(
    masks: import('../src/core/sam/amg.ts').AmgMask[],
    minArea: number,
    nmsThresh: number,
  ): import('../src/core/sam/amg.ts').AmgMask[];
  /** Benchmark reference: `session.run` of the decoder alone, `n` times, on an image's embedding (ms each). */
  benchRaw(imageId: number, n: number): Promise<number[]>;
}

export type ExportKind = 'coco-rle' | 'coco-polygon' | 'masks' | 'yolo' | 'ytvis' | 'palette';

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
  fidelity?: PolygonFidelity;
  /** images left out because their file was not open */
  missingImages: string[];
}

/** Objects of one mask PNG, as RLE (decoded off the main thread), or why it could not be read. */
export type MaskPngObjects =
  | { ok: true; width: number; height: number; objects: { rle: CocoRle; area: number; bbox: [number, number, number, number] }[] }
  | { ok: false; error: string };

/** Prompts derived from one coarse label PNG, or why it could not be read. */
export type CoarsePromptsResult =
  { ok: true; width: number; height: number; prompts: import('../src/core/sam/coarse.ts').CoarsePrompt[] } | { ok: false; error: string };

/** A COCO file parsed and validated off the main thread, or why it was refused. */
export type ParsedCoco =
  { ok: true; coco: import('../src/core/coco/import.ts').CocoImport } | { ok: false; kind: 'json' | 'coco' | 'cancelled'; message: string };

export interface ExportApi {
  /**
   * Parses and validates a COCO instances file (large pre-annotation outputs must not block the page).
   * The annotations stay in the worker (the answer has none of them): `takeParsedAnnotations` hands
   * them over in pieces, so no single message costs the page a long task.
   */
  parseCoco(blob: Blob, onProgress?: (done: number, total: number) => void): Promise<ParsedCoco & { annotationCount?: number }>;
  /** Annotations [start, start + n) of the last file parsed. */
  takeParsedAnnotations(start: number, n: number): import('../src/core/coco/import.ts').ImportedAnnotation[];
  /** Decodes a mask PNG (binary or instance ids) into one RLE per object. */
  maskPngObjects(blob: Blob): Promise<MaskPngObjects>;
  /**
   * Video tracks from files: one YouTube-VIS JSON, or DAVIS / YouTube-VOS palette PNGs (a folder per
   * clip, one per frame, with `instances.json` where there is one); checked and parsed here.
   */
  parseTracks(files: { blob: Blob; name: string }[]): Promise<ParsedTracks>;
  /** Reads a coarse model's label PNG and derives SAM prompts from its objects. */
  coarsePrompts(blob: Blob, options: Partial<import('../src/core/sam/coarse.ts').CoarseOptions>): Promise<CoarsePromptsResult>;
  run(req: ExportRequest, onProgress?: ProgressCallback): Promise<ExportResult>;
  /**
   * One annotation's COCO polygons at a tolerance (lowered until IoU >= minIou), drawn over its mask on
   * a `width` x `height` picture; with their vertex count, IoU and the tolerance used.
   */
  polygonPreview(
    rle: CocoRle,
    tolerance: number,
    minIou: number,
    width: number,
    height: number,
  ): { bitmap: ImageBitmap; iou: number; tolerance: number; vertices: number; polygons: number };
  /** IoU of the polygons with the masks at a tolerance, on up to `sample` annotations */
  fidelity(project: ExportRequest['project'], tolerance: number, minIou: number, sample: number): PolygonFidelity;
}

/** workers/video.worker.ts: a video file decoded frame by frame, every `every`-th frame handed to `sink` as a PNG. */
export interface VideoWorkerApi {
  /** opens a file as a clip: its facts, then which annotated frames decode (to `sink`) */
  read(blob: Blob, name: string, every: number, sink: VideoSink): Promise<VideoReadResult>;
  /** decodes frames of a file (`key` names it: the file is parsed once) at `times` (s, ascending), as PNGs (null: not decoded) */
  frames(key: string, blob: Blob, times: number[]): Promise<(Blob | null)[]>;
  /** closes a file `frames` opened */
  forget(key: string): void;
}

/** A frame's mask from SAM 2's video memory (see `Sam2VideoApi.track`), as RLE in image px. */
export interface Sam2VideoMask {
  rle: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  /** `object_score_logits` where the decoder gives it (null: the export has none) */
  score: number | null;
  /** 'lost' (object absent or empty mask) or 'abrupt'; never 'uncertain' (these graphs predict no IoU) */
  flag: 'lost' | 'abrupt' | 'uncertain' | null;
}

/** A file of SAM 2's video graphs: picked by the user (a File) or named by the page's URL. */
export type Sam2VideoSource = { name: string; file: Blob } | { name: string; url: string };

/**
 * workers/sam2video.worker.ts: SAM 2 / 2.1's video memory (pagarcia/sam2-onnx-cpp's four graphs), one memory
 * bank per track, frames encoded from their files here (pixels never leave the worker).
 */
export interface Sam2VideoApi {
  /** Loads the four graphs (told apart by their names); resolves to which file is which. */
  load(
    sources: Sam2VideoSource[],
    opts: RuntimeOptions,
  ): Promise<{
    encoder: string;
    decoder: string;
    memoryAttention: string;
    memoryEncoder: string;
    objPtrOffsets: boolean;
    objectScore: boolean;
  }>;
  /** Encodes a frame's file and keeps it (the last two) for `addMask` and `track`; resolves to its size. */
  encodeFrame(imageId: number, blob: Blob, name: string): Promise<{ width: number; height: number }>;
  /** A new memory bank for the track: a run over `numFrames` frames in `direction` (an old bank is dropped). */
  startTrack(trackId: number, numFrames: number, direction: 1 | -1): Promise<void>;
  /** A person's mask on frame `frame` (frame index; its file encoded as `imageId`): a keyframe in the bank. */
  addMask(trackId: number, frame: number, imageId: number, rle: CocoRle): Promise<void>;
  /** The track's mask on frame `frame` from its memory alone; the frame then joins the bank. */
  track(trackId: number, frame: number, imageId: number): Promise<Sam2VideoMask>;
  dropTrack(trackId: number): Promise<void>;
}
