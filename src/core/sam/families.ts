/**
 * SAM-family models by their ONNX signatures (issue 15, first part): what each family's encoder and
 * decoder take and give, how to tell a family from a file's inputs and outputs, and a clear message
 * when a file is not what the chosen family needs. Pure.
 */

export type ModelFamily = 'sam' | 'sam2';

export interface FamilySpec {
  family: ModelFamily;
  label: string;
  encoderInputs: readonly string[];
  /** the embedding tensors the decoder takes, in the encoder's output names */
  encoderOutputs: readonly string[];
  decoderInputs: readonly string[];
  /** inputs some exports have and others not */
  decoderOptionalInputs: readonly string[];
  decoderOutputs: readonly string[];
  /** outputs some exports have and others not */
  decoderOptionalOutputs: readonly string[];
  /** masks per prompt of the decoder's multi-mask output */
  candidates: number;
  /** 'longest-side': scaled to the input size and padded bottom/right (SAM); 'square': resized to the square (SAM 2) */
  resize: 'longest-side' | 'square';
  /** where to get or how to export such files */
  howToGet: string;
}

export const FAMILIES: Record<ModelFamily, FamilySpec> = {
  sam: {
    family: 'sam',
    label: 'SAM 1 style (SAM ViT-B/L/H, MobileSAM, the bundled model)',
    // the bundled model's names; any single input and single output are taken
    encoderInputs: ['input'],
    encoderOutputs: ['output'],
    decoderInputs: ['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size'],
    decoderOptionalInputs: [],
    decoderOutputs: ['masks', 'iou_predictions', 'low_res_masks'],
    decoderOptionalOutputs: ['iou_predictions_all', 'low_res_masks_all'],
    candidates: 4,
    resize: 'longest-side',
    howToGet: 'the decoder from segment-anything scripts/export_onnx_model.py, an encoder with one image input and one embedding output',
  },
  sam2: {
    family: 'sam2',
    label: 'SAM 2 / 2.1 image predictor',
    encoderInputs: ['image'],
    encoderOutputs: ['high_res_feats_0', 'high_res_feats_1', 'image_embed'],
    decoderInputs: ['image_embed', 'high_res_feats_0', 'high_res_feats_1', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input'],
    decoderOptionalInputs: ['orig_im_size'],
    // samexporter's export gives `masks` as the low-res [1,3,256,256] logits and no `low_res_masks`
    decoderOutputs: ['masks', 'iou_predictions'],
    decoderOptionalOutputs: ['low_res_masks'],
    candidates: 3,
    resize: 'square',
    howToGet: 'an encoder/decoder pair exported from the sam2 repository by the common ONNX export scripts (e.g. samexporter)',
  },
};

export interface OnnxIo {
  inputNames: readonly string[];
  outputNames: readonly string[];
}

/** What a file lacks to be the `role` of `family` (empty: nothing). */
function missing(role: 'encoder' | 'decoder', io: OnnxIo, spec: FamilySpec): string[] {
  // SAM 1 style encoders are named every which way by their exporters: one image in, one embedding out
  if (role === 'encoder' && spec.family === 'sam')
    return io.inputNames.length === 1 && io.outputNames.length === 1
      ? []
      : ['exactly one input (the image) and one output (the embedding)'];
  const wantIn = role === 'encoder' ? spec.encoderInputs : spec.decoderInputs;
  const wantOut = role === 'encoder' ? spec.encoderOutputs : spec.decoderOutputs;
  return [
    ...wantIn.filter((n) => !io.inputNames.includes(n)).map((n) => `input ${n}`),
    ...wantOut.filter((n) => !io.outputNames.includes(n)).map((n) => `output ${n}`),
  ];
}

/**
 * The family a file belongs to as `role`, from its input and output names; null when it matches
 * none (the bundled SAM encoder's generic `input`/`output` names count as SAM 1 style).
 */
export function familyOf(role: 'encoder' | 'decoder', io: OnnxIo): ModelFamily | null {
  for (const spec of [FAMILIES.sam2, FAMILIES.sam]) if (missing(role, io, spec).length === 0) return spec.family;
  return null;
}

/** The family of an encoder and decoder pair, or why they are not one. */
export function familyOfPair(
  encoder: OnnxIo & { file: string },
  decoder: OnnxIo & { file: string },
): { family: ModelFamily } | { error: string; hint: string } {
  const e = familyOf('encoder', encoder);
  const d = familyOf('decoder', decoder);
  if (e && d && e === d) return { family: e };
  if (e && d)
    return {
      error: `${encoder.file} is a ${FAMILIES[e].label} encoder but ${decoder.file} is a ${FAMILIES[d].label} decoder.`,
      hint: 'Take the encoder and the decoder from the same model.',
    };
  const which = !e ? { role: 'encoder' as const, f: encoder } : { role: 'decoder' as const, f: decoder };
  const other = e ?? d;
  return {
    error: `${which.f.file} is not a SAM-family ${which.role} this app knows: ${describeMismatch(which.role, which.f, other ?? 'sam')}.`,
    hint: other ? `Use ${FAMILIES[other].howToGet}.` : `Use ${FAMILIES.sam.howToGet}, or ${FAMILIES.sam2.howToGet}.`,
  };
}

/** What a file has against what `family` needs of it, in words. */
export function describeMismatch(role: 'encoder' | 'decoder', io: OnnxIo, family: ModelFamily): string {
  const gaps = missing(role, io, FAMILIES[family]);
  return `as a ${FAMILIES[family].label} ${role} it lacks ${gaps.join(', ') || 'nothing'} (it has inputs ${io.inputNames.join(', ') || 'none'}; outputs ${io.outputNames.join(', ') || 'none'})`;
}
