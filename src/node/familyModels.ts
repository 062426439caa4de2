/**
 * Small ONNX models with a SAM family's exact input and output signature (issue 15), made with
 * ONNX's own protobuf schema (protobufjs): the project cannot download SAM 2 weights, so its tests
 * run the whole SAM 2 path on these. Their behaviour is known in closed form:
 * - encoder (`image` [1,3,1024,1024] → `high_res_feats_0` [1,32,256,256], `high_res_feats_1`
 *   [1,64,128,128], `image_embed` [1,256,64,64]): average pools of the input (4, 8 and 16 px) mixed
 *   per channel by fixed 1x1 weights ({@link TINY_ENCODER_WEIGHT});
 * - decoder (SAM 2's inputs, three candidates): candidate k's low-res logits are `r_k² − d²`, d the
 *   distance (in low-res px) from the first prompt point, so each candidate is a disc of radius
 *   {@link TINY_RADII}[k] around the first point (an ellipse once resized to a non-square image);
 *   `iou_predictions` are {@link TINY_IOUS}; `masks` are the logits resized x4.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnxSchema, type NodeProto, type TensorProto, type ValueInfoProto } from './onnxProto.ts';

export const TINY_RADII = [8, 16, 32] as const;
export const TINY_IOUS = [0.7, 0.9, 0.8] as const;
/** weight of input channel `c` in output channel `o` of each 1x1 mix */
export function TINY_ENCODER_WEIGHT(o: number, c: number): number {
  return (((o * 3 + c) % 7) - 3) / 10;
}

const FLOAT = 1;
const INT64 = 7;

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const data = Float32Array.from(values);
  return onnxSchema().TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) });
}

export function int64Tensor(name: string, values: number[]): TensorProto {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return onnxSchema().TensorProto.create({ name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(data.buffer) });
}

export function value(name: string, dims: (number | string)[]): ValueInfoProto {
  const onnx = onnxSchema();
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
    }),
  });
}

export function node(opType: string, input: string[], output: string[], attrs: Record<string, number[] | string> = {}): NodeProto {
  const onnx = onnxSchema();
  const attribute = Object.entries(attrs).map(([name, v]) =>
    typeof v === 'string'
      ? onnx.AttributeProto.create({ name, type: 3, s: new TextEncoder().encode(v) } as never)
      : onnx.AttributeProto.create({ name, type: 7, ints: v } as never),
  );
  return onnx.NodeProto.create({ name: `${opType}_${output[0]}`, opType, input, output, attribute });
}

export function model(
  nodes: NodeProto[],
  inputs: ValueInfoProto[],
  outputs: ValueInfoProto[],
  initializer: TensorProto[],
  name: string,
): Uint8Array {
  const onnx = onnxSchema();
  const m = {
    irVersion: 8,
    producerName: 'sam-annotator familyModels',
    opsetImport: [{ domain: '', version: 17 }],
    metadataProps: [{ key: 'purpose', value: `${name}: a test model with SAM 2's signature, no learned weights` }],
    graph: { name, node: nodes, input: inputs, output: outputs, initializer },
  };
  return onnx.ModelProto.encode(m as never).finish();
}

/**
 * A SAM 2 / 2.1 encoder and decoder pair with the common exports' exact signatures. `layout`:
 * 'low-res' (default) gives `masks` [1,3,1024,1024] and `low_res_masks` [1,3,256,256];
 * 'samexporter' gives what samexporter's `export_sam2.py` writes: `masks` are the low-res
 * [1,3,256,256] logits themselves and there is no `low_res_masks`.
 */
/**
 * `d2` [1,1,256,256]: the squared distance of each low-res cell's centre from the first point of `point_coords`
 * (model px, a quarter of them on the 256 grid), for the tiny decoders' discs; with {@link pointDistanceInit}'s
 * initialisers (`x_start`, `x_end`, `y_start`, `y_end`, `quarter`, `gx`, `gy`).
 */
export function pointDistanceNodes(): NodeProto[] {
  return [
    node('Slice', ['point_coords', 'x_start', 'x_end'], ['px']),
    node('Slice', ['point_coords', 'y_start', 'y_end'], ['py']),
    node('Mul', ['px', 'quarter'], ['pxl']),
    node('Mul', ['py', 'quarter'], ['pyl']),
    // [1,1,1] points broadcast against [1,1,1,256] and [1,1,256,1] grids
    node('Sub', ['gx', 'pxl'], ['dx']),
    node('Sub', ['gy', 'pyl'], ['dy']),
    node('Mul', ['dx', 'dx'], ['dx2']),
    node('Mul', ['dy', 'dy'], ['dy2']),
    node('Add', ['dx2', 'dy2'], ['d2']),
  ];
}

export function pointDistanceInit(): TensorProto[] {
  const grid = Float32Array.from({ length: 256 }, (_, i) => i + 0.5);
  return [
    int64Tensor('x_start', [0, 0, 0]),
    int64Tensor('x_end', [1, 1, 1]),
    int64Tensor('y_start', [0, 0, 1]),
    int64Tensor('y_end', [1, 1, 2]),
    floatTensor('quarter', [], [0.25]),
    floatTensor('gx', [1, 1, 1, 256], grid),
    floatTensor('gy', [1, 1, 256, 1], grid),
  ];
}

/** how much the image moves the 'image' layout's discs: logits + IMAGE_WEIGHT x the embedding's largest channel value */
export const TINY_IMAGE_WEIGHT = 400;

/**
 * `layout` 'image': as 'low-res', with the embedding's largest channel value (resized to 256x256) times
 * {@link TINY_IMAGE_WEIGHT} added to every candidate's logits, so the masks depend on the encoder's
 * output too (the WebGPU test compares whole pipelines).
 */
export function tinySam2Models(layout: 'low-res' | 'samexporter' | 'image' = 'low-res'): { encoder: Uint8Array; decoder: Uint8Array } {
  const mix = (out: number) => {
    const w = new Float32Array(out * 3);
    for (let o = 0; o < out; o++) for (let c = 0; c < 3; c++) w[o * 3 + c] = TINY_ENCODER_WEIGHT(o, c);
    return w;
  };
  const encoderNodes: NodeProto[] = [];
  const encoderInit: TensorProto[] = [];
  for (const [name, pool, channels] of [
    ['high_res_feats_0', 4, 32],
    ['high_res_feats_1', 8, 64],
    ['image_embed', 16, 256],
  ] as const) {
    encoderNodes.push(node('AveragePool', ['image'], [`${name}_pool`], { kernel_shape: [pool, pool], strides: [pool, pool] }));
    encoderInit.push(floatTensor(`${name}_w`, [channels, 3, 1, 1], mix(channels)));
    encoderNodes.push(node('Conv', [`${name}_pool`, `${name}_w`], [name], { kernel_shape: [1, 1] }));
  }
  const encoder = model(
    encoderNodes,
    [value('image', [1, 3, 1024, 1024])],
    [value('high_res_feats_0', [1, 32, 256, 256]), value('high_res_feats_1', [1, 64, 128, 128]), value('image_embed', [1, 256, 64, 64])],
    encoderInit,
    'tiny-sam2-encoder',
  );

  const decoderInit = [
    ...pointDistanceInit(),
    floatTensor(
      'r2',
      [1, 3, 1, 1],
      TINY_RADII.map((r) => r * r),
    ),
    floatTensor('ious', [1, 3], TINY_IOUS),
    floatTensor('roi', [0], []),
    floatTensor('scales', [4], [1, 1, 4, 4]),
    ...(layout === 'image' ? [floatTensor('image_weight', [], [TINY_IMAGE_WEIGHT])] : []),
  ];
  const imageTerm = [
    node('ReduceMax', ['image_embed'], ['embed_max'], { axes: [1] }),
    node('Resize', ['embed_max', 'roi', 'scales'], ['embed_256'], { mode: 'linear' }),
    node('Mul', ['embed_256', 'image_weight'], ['image_term']),
    node('Sub', ['r2', 'd2'], ['discs']),
    node('Add', ['discs', 'image_term'], ['low_res_masks']),
  ];
  const decoderNodes = [
    ...pointDistanceNodes(),
    ...(layout === 'samexporter'
      ? [node('Sub', ['r2', 'd2'], ['masks'])]
      : layout === 'image'
        ? [...imageTerm, node('Resize', ['low_res_masks', 'roi', 'scales'], ['masks'], { mode: 'linear' })]
        : [
            node('Sub', ['r2', 'd2'], ['low_res_masks']),
            node('Resize', ['low_res_masks', 'roi', 'scales'], ['masks'], { mode: 'linear' }),
          ]),
    node('Identity', ['ious'], ['iou_predictions']),
  ];
  const decoder = model(
    decoderNodes,
    [
      value('image_embed', [1, 256, 64, 64]),
      value('high_res_feats_0', [1, 32, 256, 256]),
      value('high_res_feats_1', [1, 64, 128, 128]),
      value('point_coords', [1, 'num_points', 2]),
      value('point_labels', [1, 'num_points']),
      value('mask_input', [1, 1, 256, 256]),
      value('has_mask_input', [1]),
    ],
    layout === 'samexporter'
      ? [value('masks', [1, 3, 256, 256]), value('iou_predictions', [1, 3])]
      : [value('masks', [1, 3, 1024, 1024]), value('iou_predictions', [1, 3]), value('low_res_masks', [1, 3, 256, 256])],
    // the samexporter layout has no Resize: its scales would be an unused initializer
    layout === 'samexporter' ? decoderInit.filter((t) => t.name !== 'roi' && t.name !== 'scales') : decoderInit,
    'tiny-sam2-decoder',
  );
  return { encoder, decoder };
}

/**
 * The tiny SAM 2 pair written to a new temporary folder (for tests that load models from files):
 * the paths, the bytes written, and `remove` to delete the folder.
 */
export function tinySam2Files(layout: 'low-res' | 'samexporter' = 'low-res'): {
  encoder: string;
  decoder: string;
  bytes: { encoder: Uint8Array; decoder: Uint8Array };
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-sam2-'));
  const bytes = tinySam2Models(layout);
  const encoder = join(dir, 'tiny-sam2.encoder.onnx');
  const decoder = join(dir, 'tiny-sam2.decoder.onnx');
  writeFileSync(encoder, bytes.encoder);
  writeFileSync(decoder, bytes.decoder);
  return { encoder, decoder, bytes, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
