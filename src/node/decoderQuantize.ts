/**
 * An int8 variant of a SAM ONNX decoder by dynamic quantization, the scheme of onnxruntime's
 * `quantize_dynamic`: every `MatMul` with a constant weight matrix [K, N] becomes
 *
 *     x_q, x_scale, x_zp = DynamicQuantizeLinear(x)          (uint8, per tensor, at run time)
 *     y = Cast(MatMulInteger(x_q, W_q, x_zp, 0), float) * (x_scale * w_scale)
 *
 * with the weights quantized symmetrically to [-127, 127] with one scale per output column (`w_scale`
 * [N]) and stored as uint8 with a zero point of 128 (`W_q = q + 128`, `w_zero` = 128 per column): the
 * same integers, so the same products, on every instruction set. Stored as int8 instead (u8 × s8),
 * onnxruntime's x86 kernels for AVX2 and AVX-512 without VNNI add pairs of products in 16 bits with
 * saturation (`vpmaddubsw`: 2 × 255 × 127 > 32767), and the masks drift (10th-percentile IoU with the
 * float decoder 0.81 instead of 0.94 on an AVX2 EPYC); u8 × u8 is widened to 16 bits before the
 * multiply there (no saturation), and VNNI, ARM and WASM are exact either way (onnxruntime's
 * quantization docs: "use reduce_range or the U8U8 format"). onnxruntime fuses the pattern into one
 * kernel (`DynamicQuantizeMatMul`). Everything else (the
 * attention products of two activations, convolutions, `Gemm`s, the resizes) stays float, and so do
 * the positional-encoding products (`minInner`: a [2, 128] matrix maps the click coordinates; an error
 * there moves every prompt).
 *
 * The protobuf is read and written with protobufjs and ONNX's own schema (`onnxProto.ts`).
 */
import { floatValues, ONNX_ATTR_INT, ONNX_FLOAT, ONNX_UINT8, onnxSchema, toNumber, type NodeProto, type TensorProto } from './onnxProto.ts';

const META_KEY = 'sam_annotator.int8';

export interface QuantizeOptions {
  /** a MatMul is quantized only when its weight has at least this many rows (inner dimension K) */
  minInner?: number;
}

export interface QuantizeResult {
  model: Uint8Array;
  /** the MatMul nodes quantized */
  quantized: string[];
  /** the MatMul nodes with a constant weight left in float, and why */
  kept: { name: string; why: string }[];
}

/** Symmetric int8 with one scale per column of a row-major [K, N] matrix. */
export function quantizeColumns(w: Float32Array, k: number, n: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(n);
  for (let r = 0; r < k; r++)
    for (let c = 0; c < n; c++) {
      const a = Math.abs(w[r * n + c]!);
      if (a > scale[c]!) scale[c] = a;
    }
  for (let c = 0; c < n; c++) scale[c] = scale[c]! > 0 ? scale[c]! / 127 : 1;
  const q = new Int8Array(k * n);
  for (let r = 0; r < k; r++)
    for (let c = 0; c < n; c++) q[r * n + c] = Math.max(-127, Math.min(127, Math.round(w[r * n + c]! / scale[c]!)));
  return { q, scale };
}

/**
 * Symmetric int8 values as the uint8 that `MatMulInteger` is given, with a zero point of 128: `q + 128`,
 * in [1, 255]. (Why unsigned: the module's comment.)
 */
export function unsignedWeights(q: Int8Array): Uint8Array {
  const u = new Uint8Array(q.length);
  for (let i = 0; i < q.length; i++) u[i] = q[i]! + 128;
  return u;
}

/** Whether a decoder has been made by {@link quantizeDecoderInt8}. */
export function isInt8Decoder(bytes: Uint8Array): boolean {
  return onnxSchema()
    .ModelProto.decode(bytes)
    .metadataProps.some((p) => p.key === META_KEY);
}

/**
 * The int8 variant of a decoder (bytes of a `.onnx` file): the same inputs and outputs (candidate
 * outputs included when the input model has them), quantized MatMul weights.
 */
export function quantizeDecoderInt8(bytes: Uint8Array, options: QuantizeOptions = {}): QuantizeResult {
  const minInner = options.minInner ?? 16;
  const onnx = onnxSchema();
  const model = onnx.ModelProto.decode(bytes);
  if (model.metadataProps.some((p) => p.key === META_KEY)) throw new Error('the decoder is already quantized');
  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opset || toNumber(opset.version) < 11) throw new Error('the decoder needs ONNX opset 11 or later for DynamicQuantizeLinear');
  const g = model.graph;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const uses = new Map<string, number>();
  for (const n of g.node) for (const i of n.input) uses.set(i, (uses.get(i) ?? 0) + 1);

  const quantized: string[] = [];
  const kept: { name: string; why: string }[] = [];
  const nodes: NodeProto[] = [];
  const newInits: TensorProto[] = [];
  const dropped = new Set<string>();
  for (const node of g.node) {
    const w = node.opType === 'MatMul' ? inits.get(node.input[1] ?? '') : undefined;
    if (!w || node.domain) {
      nodes.push(node);
      continue;
    }
    const dims = w.dims.map(toNumber);
    const why =
      w.dataType !== ONNX_FLOAT
        ? 'weight is not float32'
        : dims.length !== 2
          ? `weight has ${dims.length} dimensions`
          : dims[0]! < minInner
            ? `inner dimension ${dims[0]} < ${minInner}`
            : inits.has(node.input[0] ?? '')
              ? 'both inputs are constant'
              : null;
    if (why) {
      kept.push({ name: node.name, why });
      nodes.push(node);
      continue;
    }
    const [k, n] = dims as [number, number];
    const { q, scale } = quantizeColumns(floatValues(w), k, n);
    const base = `${node.name || node.output[0]}__int8`;
    const t = (name: string, dataType: number, d: number[], raw: ArrayBufferView) =>
      onnx.TensorProto.create({ name, dataType, dims: d, rawData: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) });
    newInits.push(
      t(`${base}/W_q`, ONNX_UINT8, [k, n], unsignedWeights(q)),
      t(`${base}/W_zero`, ONNX_UINT8, [n], new Uint8Array(n).fill(128)),
      t(`${base}/W_scale`, ONNX_FLOAT, [n], scale),
    );
    const mk = (suffix: string, opType: string, input: string[], output: string[], attribute: NodeProto['attribute'] = []) =>
      onnx.NodeProto.create({ name: `${base}/${suffix}`, opType, input, output, attribute });
    nodes.push(
      mk('quantize', 'DynamicQuantizeLinear', [node.input[0]!], [`${base}/x_q`, `${base}/x_scale`, `${base}/x_zero`]),
      mk('matmul', 'MatMulInteger', [`${base}/x_q`, `${base}/W_q`, `${base}/x_zero`, `${base}/W_zero`], [`${base}/y_int`]),
      mk(
        'cast',
        'Cast',
        [`${base}/y_int`],
        [`${base}/y_cast`],
        [onnx.AttributeProto.create({ name: 'to', type: ONNX_ATTR_INT, i: ONNX_FLOAT })],
      ),
      mk('scales', 'Mul', [`${base}/x_scale`, `${base}/W_scale`], [`${base}/scale`]),
      mk('output', 'Mul', [`${base}/y_cast`, `${base}/scale`], [node.output[0]!]),
    );
    quantized.push(node.name);
    const left = (uses.get(w.name) ?? 0) - 1;
    uses.set(w.name, left);
    if (left === 0) dropped.add(w.name);
  }
  if (quantized.length === 0) throw new Error('the decoder has no MatMul with a constant weight to quantize');
  g.node = nodes;
  g.initializer = [...g.initializer.filter((t) => !dropped.has(t.name)), ...newInits];
  model.metadataProps.push(
    onnx.StringStringEntryProto.create({
      key: META_KEY,
      value: `dynamic quantization: ${quantized.length} MatMul weights int8 per column (stored as uint8 + 128), activations uint8 per tensor`,
    }),
  );
  return { model: onnx.ModelProto.encode(model).finish(), quantized, kept };
}
