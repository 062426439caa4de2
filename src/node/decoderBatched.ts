/**
 * A SAM ONNX decoder that takes a batch of prompts per call against one embedding, for the work
 * that decodes many prompts on one image: segment everything (a grid of points), box pre-annotation
 * (every box of an image) and video propagation of several tracks.
 *
 * The reference export (segment-anything's `SamOnnxModel`) already computes per prompt along its
 * first axis: the embedding and its positional encoding are repeated for each prompt (`Tile`), and
 * the mask selection gathers per row. Only the declared shapes of `point_coords` / `point_labels`
 * pin that axis to 1. The rewrite
 *
 * - declares that axis `batch` (every prompt of a call has the same number of points: the selection
 *   uses the point count, so a call never mixes counts; see `promptBatches` in core),
 * - keeps the low-res outputs only (`iou_predictions`, `low_res_masks`, and the candidates' when the
 *   decoder has them) and drops `masks` with every node only it needed: its two resizes to the
 *   model's input size and to `orig_im_size` would hold B full-size masks (64 prompts at 1024 px: 268 MB).
 *   The masks are made from the low-res logits in core (`modelLogitsFromLowRes`, the graph's own
 *   resize), as the app's clicks already do for candidates,
 * - drops graph inputs nothing reads any more (`orig_im_size`).
 *
 * Interactive clicks keep the single-prompt graph. Read and written with ONNX's own protobuf schema
 * (src/node/onnxProto.ts).
 */
import { addCandidateOutputs, hasCandidateOutputs } from './decoderCandidates.ts';
import { onnxSchema } from './onnxProto.ts';

const META_KEY = 'sam_annotator.batched';
const BATCHED_INPUTS = ['point_coords', 'point_labels'] as const;

/** Why a decoder cannot be batched. */
export class NoBatchError extends Error {}

/** Whether a decoder file was made by {@link batchedDecoder}. */
export function isBatchedDecoder(bytes: Uint8Array): boolean {
  return onnxSchema()
    .ModelProto.decode(bytes)
    .metadataProps.some((p) => p.key === META_KEY);
}

/**
 * The batched decoder of a SAM ONNX decoder (bytes of a `.onnx` file): the candidate outputs are
 * added first when it lacks them (src/node/decoderCandidates.ts), so a batched run gives every
 * prompt's four masks and IoUs as well as the one the decoder picks.
 */
export function batchedDecoder(bytes: Uint8Array): Uint8Array {
  const onnx = onnxSchema();
  let model = onnx.ModelProto.decode(bytes);
  if (model.metadataProps.some((p) => p.key === META_KEY)) throw new NoBatchError('the decoder is already batched');
  const names = model.graph.output.map((o) => o.name);
  if (!names.includes('masks') || !names.includes('low_res_masks') || !names.includes('iou_predictions'))
    throw new NoBatchError(`the decoder has outputs ${names.join(', ')}; expected masks, iou_predictions and low_res_masks`);
  if (!hasCandidateOutputs(names)) model = onnx.ModelProto.decode(addCandidateOutputs(bytes).model);
  const g = model.graph;

  for (const name of BATCHED_INPUTS) {
    const input = g.input.find((i) => i.name === name);
    const dims = input?.type?.tensorType?.shape?.dim;
    if (!dims || dims.length < 1) throw new NoBatchError(`the decoder has no input "${name}" with a shape`);
    dims[0] = { dimParam: 'batch' };
  }

  // outputs: all but the full-size masks; then only the nodes, initializers and inputs they need
  g.output = g.output.filter((o) => o.name !== 'masks');
  const producer = new Map<string, (typeof g.node)[number]>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  const needed = new Set<string>();
  const keptNodes = new Set<(typeof g.node)[number]>();
  const stack = g.output.map((o) => o.name);
  while (stack.length) {
    const t = stack.pop()!;
    if (needed.has(t)) continue;
    needed.add(t);
    const p = producer.get(t);
    if (p && !keptNodes.has(p)) {
      keptNodes.add(p);
      for (const i of p.input) if (i) stack.push(i);
    }
  }
  g.node = g.node.filter((n) => keptNodes.has(n));
  g.initializer = g.initializer.filter((t) => needed.has(t.name));
  g.input = g.input.filter((i) => needed.has(i.name));
  for (const name of BATCHED_INPUTS)
    if (!g.input.some((i) => i.name === name)) throw new NoBatchError(`the decoder's outputs do not read "${name}"`);

  model.metadataProps.push(
    onnx.StringStringEntryProto.create({
      key: META_KEY,
      value: 'point_coords and point_labels take a batch of prompts (first axis); low-res outputs only',
    }),
  );
  return onnx.ModelProto.encode(model).finish();
}
