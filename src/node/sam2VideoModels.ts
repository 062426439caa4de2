/**
 * Small ONNX models with the exact names, dtypes and shapes of SAM 2's video graphs in the layout of
 * pagarcia/sam2-onnx-cpp (src/core/video/sam2VideoLayout.ts), made with ONNX's protobuf schema and no learned
 * weights, so the memory path runs end to end in tests. Their behaviour in closed form:
 * - encoder (`input` → …): `image_embeddings` the 16 px average pools mixed by fixed 1x1 weights, channel 0
 *   zero ({@link VIDEO_ENCODER_WEIGHT}); `current_vision_feat` the same plus {@link VIDEO_NO_MEM_EMBED} (0 on
 *   channel 0); the high-resolution features 4 and 8 px pools mixed; `vision_pos_embed` all 0.25;
 * - memory encoder: `maskmem_features` every channel the 16 px average pool of `mask_for_mem` (the mask's
 *   values on the 64 x 64 grid), `maskmem_pos_enc` all 0.1, `temporal_code` row i all (i + 1) / 10;
 * - memory attention: `fused_feat` = `current_vision_feat` + the mean over the memory frames of
 *   `memory_1[:, 0]` (the stored masks), on every channel; it fails, as the real graph does, when
 *   `memory_pos_embed` does not have a row per memory token (N·4096 + 4P, or N·4096 with `obj_ptr_offsets`);
 * - decoder: `pred_mask` [1,1,256,256] = `image_embed` channel 0 repeated 4x4, plus, unless the first point is
 *   labelled -1 (no prompt), {@link VIDEO_DISC_GAIN}·(r² − d²) with d the distance in low-res px from the first
 *   point and r {@link VIDEO_RADIUS}; `mask_for_mem` = sigmoid(pred_mask repeated 4x4)·20 − 10; `obj_ptr` the
 *   channel means of `image_embed`; `object_score_logits` (variant) the largest logit of `pred_mask`.
 * So a prompted frame's mask is the disc round the click, and every frame after it, without prompts, the
 * cells of the 64 x 64 grid (16 model px) where the stored masks' mean is positive: the disc, on that grid.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  floatTensor,
  int64Tensor,
  model,
  node,
  pointDistanceInit,
  pointDistanceNodes,
  TINY_ENCODER_WEIGHT,
  value,
} from './familyModels.ts';
import { onnxSchema, type NodeProto, type TensorProto } from './onnxProto.ts';

export const VIDEO_RADIUS = 16;
export const VIDEO_DISC_GAIN = 0.25;
/** weight of input channel `c` in `image_embeddings` channel `o` (channel 0 sees nothing) */
export const VIDEO_ENCODER_WEIGHT = (o: number, c: number): number => (o === 0 ? 0 : TINY_ENCODER_WEIGHT(o, c));
export const VIDEO_NO_MEM_EMBED = (o: number): number => (o === 0 ? 0 : 0.5);
export const VIDEO_POS_ENC = 0.1;
export const VIDEO_TEMPORAL_CODE = (row: number): number => (row + 1) / 10;

/** a node with INT attributes (numbers) beside INTS (arrays) and strings */
function nodeI(opType: string, input: string[], output: string[], attrs: Record<string, number | number[] | string>): NodeProto {
  const ints = Object.fromEntries(Object.entries(attrs).filter(([, v]) => typeof v !== 'number')) as Record<string, number[] | string>;
  const n = node(opType, input, output, ints);
  for (const [name, v] of Object.entries(attrs))
    if (typeof v === 'number') n.attribute.push(onnxSchema().AttributeProto.create({ name, type: 2, i: v }));
  return n;
}

const mix = (out: number, w: (o: number, c: number) => number) => {
  const a = new Float32Array(out * 3);
  for (let o = 0; o < out; o++) for (let c = 0; c < 3; c++) a[o * 3 + c] = w(o, c);
  return a;
};

function encoder(): Uint8Array {
  const nodes: NodeProto[] = [];
  const init: TensorProto[] = [
    floatTensor(
      'no_mem',
      [1, 256, 1, 1],
      Array.from({ length: 256 }, (_, o) => VIDEO_NO_MEM_EMBED(o)),
    ),
    floatTensor('pos_value', [1], [0.25]),
    int64Tensor('pos_shape', [4096, 1, 256]),
  ];
  for (const [name, pool, channels, w] of [
    ['high_res_features1', 4, 32, TINY_ENCODER_WEIGHT],
    ['high_res_features2', 8, 64, TINY_ENCODER_WEIGHT],
    ['image_embeddings', 16, 256, VIDEO_ENCODER_WEIGHT],
  ] as const) {
    nodes.push(node('AveragePool', ['input'], [`${name}_pool`], { kernel_shape: [pool, pool], strides: [pool, pool] }));
    init.push(floatTensor(`${name}_w`, [channels, 3, 1, 1], mix(channels, w)));
    nodes.push(node('Conv', [`${name}_pool`, `${name}_w`], [name], { kernel_shape: [1, 1] }));
  }
  nodes.push(node('Add', ['image_embeddings', 'no_mem'], ['current_vision_feat']));
  nodes.push(node('Expand', ['pos_value', 'pos_shape'], ['vision_pos_embed']));
  return model(
    nodes,
    [value('input', [1, 3, 1024, 1024])],
    [
      value('image_embeddings', [1, 256, 64, 64]),
      value('high_res_features1', [1, 32, 256, 256]),
      value('high_res_features2', [1, 64, 128, 128]),
      value('current_vision_feat', [1, 256, 64, 64]),
      value('vision_pos_embed', [4096, 1, 256]),
    ],
    init,
    'tiny-sam2-video-image-encoder',
  );
}

function memoryEncoder(): Uint8Array {
  const init = [
    int64Tensor('feat_shape', [1, 64, 64, 64]),
    floatTensor('pos_value', [1], [VIDEO_POS_ENC]),
    int64Tensor('pos_shape', [4096, 1, 64]),
    floatTensor(
      'tpos',
      [7, 1, 1, 64],
      Array.from({ length: 7 * 64 }, (_, i) => VIDEO_TEMPORAL_CODE(Math.floor(i / 64))),
    ),
  ];
  const nodes = [
    node('AveragePool', ['mask_for_mem'], ['pooled'], { kernel_shape: [16, 16], strides: [16, 16] }),
    node('Expand', ['pooled', 'feat_shape'], ['maskmem_features']),
    node('Expand', ['pos_value', 'pos_shape'], ['maskmem_pos_enc']),
    node('Identity', ['tpos'], ['temporal_code']),
  ];
  return model(
    nodes,
    [value('mask_for_mem', [1, 1, 1024, 1024]), value('pix_feat', [1, 256, 64, 64])],
    [value('maskmem_features', [1, 64, 64, 64]), value('maskmem_pos_enc', [4096, 1, 64]), value('temporal_code', [7, 1, 1, 64])],
    init,
    'tiny-sam2-video-memory-encoder',
  );
}

function memoryAttention(objPtrOffsets: boolean): Uint8Array {
  const init = [
    int64Tensor('zero', [0]),
    int64Tensor('one', [1]),
    int64Tensor('tokens_shape', [-1, 1, 64]),
    floatTensor('nil', [], [0]),
    ...(objPtrOffsets ? [] : [int64Tensor('four', [4]), int64Tensor('row_tail', [1, 64])]),
  ];
  const nodes: NodeProto[] = [
    // the mean stored mask (channel 0 of every memory frame) added to the current features
    node('Slice', ['memory_1', 'zero', 'one', 'one'], ['m0']),
    node('ReduceMean', ['m0'], ['mean'], { axes: [0] }),
    node('Add', ['current_vision_feat', 'mean'], ['fused0']),
    // memory tokens: N·4096 spatial (+ 4 per object pointer); memory_pos_embed must have as many rows
    node('Reshape', ['memory_1', 'tokens_shape'], ['spatial_tokens']),
  ];
  if (objPtrOffsets) nodes.push(node('Identity', ['spatial_tokens'], ['tokens']));
  else
    nodes.push(
      node('Shape', ['memory_0'], ['ptr_shape']),
      node('Slice', ['ptr_shape', 'zero', 'one'], ['ptr_count']),
      node('Mul', ['ptr_count', 'four'], ['ptr_tokens']),
      nodeI('Concat', ['ptr_tokens', 'row_tail'], ['ptr_token_shape'], { axis: 0 }),
      node('Reshape', ['memory_0', 'ptr_token_shape'], ['ptr_tokens_t']),
      nodeI('Concat', ['spatial_tokens', 'ptr_tokens_t'], ['tokens'], { axis: 0 }),
    );
  nodes.push(
    node('Add', ['tokens', 'memory_pos_embed'], ['keyed']),
    node('Mul', ['keyed', 'nil'], ['keyed0']),
    node('ReduceSum', ['keyed0'], ['check']),
    node('Add', ['fused0', 'check'], ['fused_feat']),
  );
  return model(
    nodes,
    [
      value('current_vision_feat', [1, 256, 64, 64]),
      value('current_vision_pos_embed', [4096, 1, 256]),
      value('memory_0', ['num_object_ptrs', 256]),
      ...(objPtrOffsets ? [value('obj_ptr_offsets', ['num_object_ptrs'])] : []),
      value('memory_1', ['num_mem_frames', 64, 64, 64]),
      value('memory_pos_embed', ['buff_size', 1, 64]),
    ],
    [value('fused_feat', [1, 256, 64, 64])],
    init,
    'tiny-sam2-video-memory-attention',
  );
}

function decoder(objectScore: boolean): Uint8Array {
  const init = [
    ...pointDistanceInit(),
    int64Tensor('l_start', [0, 0]),
    int64Tensor('l_end', [1, 1]),
    int64Tensor('zero', [0]),
    int64Tensor('one', [1]),
    int64Tensor('ptr_shape', [1, 256]),
    ...(objectScore ? [int64Tensor('score_shape', [1, 1])] : []),
    floatTensor('unit', [], [1]),
    floatTensor('gain', [], [VIDEO_DISC_GAIN]),
    floatTensor('scale', [], [20]),
    floatTensor('bias', [], [-10]),
    floatTensor('r2', [], [VIDEO_RADIUS * VIDEO_RADIUS]),
    floatTensor('roi', [0], []),
    floatTensor('x4', [4], [1, 1, 4, 4]),
  ];
  const nodes = [
    ...pointDistanceNodes(),
    node('Sub', ['r2', 'd2'], ['disc0']),
    node('Mul', ['disc0', 'gain'], ['disc']),
    // gate: 0 for the padding label -1, 1 for any prompt
    node('Slice', ['point_labels', 'l_start', 'l_end'], ['label']),
    node('Add', ['label', 'unit'], ['label1']),
    node('Min', ['label1', 'unit'], ['gate']),
    node('Mul', ['disc', 'gate'], ['prompt']),
    node('Slice', ['image_embed', 'zero', 'one', 'one'], ['e0']),
    node('Resize', ['e0', 'roi', 'x4'], ['e0_up'], { mode: 'nearest' }),
    node('Add', ['prompt', 'e0_up'], ['pred_mask']),
    node('Resize', ['pred_mask', 'roi', 'x4'], ['high_res'], { mode: 'nearest' }),
    node('Sigmoid', ['high_res'], ['prob']),
    node('Mul', ['prob', 'scale'], ['prob20']),
    node('Add', ['prob20', 'bias'], ['mask_for_mem']),
    node('GlobalAveragePool', ['image_embed'], ['gap']),
    node('Reshape', ['gap', 'ptr_shape'], ['obj_ptr']),
    ...(objectScore ? [node('ReduceMax', ['pred_mask'], ['max']), node('Reshape', ['max', 'score_shape'], ['object_score_logits'])] : []),
  ];
  return model(
    nodes,
    [
      value('point_coords', ['num_labels', 'num_points', 2]),
      value('point_labels', ['num_labels', 'num_points']),
      value('image_embed', [1, 256, 64, 64]),
      value('high_res_feats_0', [1, 32, 256, 256]),
      value('high_res_feats_1', [1, 64, 128, 128]),
    ],
    [
      value('obj_ptr', [1, 256]),
      value('mask_for_mem', [1, 1, 1024, 1024]),
      value('pred_mask', [1, 1, 256, 256]),
      ...(objectScore ? [value('object_score_logits', [1, 1])] : []),
    ],
    init,
    'tiny-sam2-video-image-decoder',
  );
}

export interface TinySam2VideoOptions {
  /** memory attention as `memory_attention_objptr.onnx` (with `obj_ptr_offsets`) */
  objPtrOffsets?: boolean;
  /** the decoder also returns `object_score_logits` */
  objectScore?: boolean;
}

/** The four graphs by their file names in the exporter's folder. */
export function tinySam2VideoModels(o: TinySam2VideoOptions = {}): Record<string, Uint8Array> {
  return {
    'image_encoder.onnx': encoder(),
    'image_decoder.onnx': decoder(o.objectScore ?? false),
    [o.objPtrOffsets ? 'memory_attention_objptr.onnx' : 'memory_attention.onnx']: memoryAttention(o.objPtrOffsets ?? false),
    'memory_encoder.onnx': memoryEncoder(),
  };
}

/** The four graphs written to `dir` (or a new temporary folder): the folder and `remove` to delete it. */
export function tinySam2VideoDir(o: TinySam2VideoOptions = {}, dir?: string): { dir: string; remove(): void } {
  const at = dir ?? mkdtempSync(join(tmpdir(), 'tiny-sam2-video-'));
  for (const [name, bytes] of Object.entries(tinySam2VideoModels(o))) writeFileSync(join(at, name), bytes);
  return { dir: at, remove: () => rmSync(at, { recursive: true, force: true }) };
}
