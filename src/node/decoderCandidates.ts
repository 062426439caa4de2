/**
 * The SAM ONNX decoder as exported by the reference script computes four masks (the single-mask
 * token and three multi-mask candidates) with their predicted IoUs, then keeps one inside the graph:
 * `ArgMax(iou + (num_points - 2.5) * [1000, 0, 0, 0])` and a `Gather` on the flattened tensors
 * (segment-anything's `select_masks`). This rewrite keeps the graph as it is and adds two outputs
 * in front of that selection:
 *
 * - `low_res_masks_all` [B, 4, 256, 256]: every mask's low-res logits (what `mask_input` takes),
 * - `iou_predictions_all` [B, 4]: every mask's predicted IoU.
 *
 * The full-size masks are not added: resizing all four in the graph costs about 40 % more per
 * decode, and a chosen candidate is resized from its low-res logits in core instead
 * (`modelLogitsFromLowRes`, the graph's own half-pixel bilinear resize and crop).
 *
 * The protobuf is read and written with protobufjs and ONNX's own schema (the static module that
 * onnxruntime-web ships); no byte is parsed by hand.
 */
import { CANDIDATE_OUTPUT_NAMES } from '../core/sam/manifest.ts';
import { onnxSchema, type NodeProto } from './onnxProto.ts';

/** Names of the outputs the rewrite adds. */
export const CANDIDATE_OUTPUTS = {
  iou: CANDIDATE_OUTPUT_NAMES[0],
  lowRes: CANDIDATE_OUTPUT_NAMES[1],
} as const;

const META_KEY = 'sam_annotator.candidates';

/** Why a decoder cannot be given candidate outputs. */
export class NoCandidatesError extends Error {}

export interface CandidateRewrite {
  /** the rewritten model */
  model: Uint8Array;
  /** the tensors the new outputs expose */
  exposed: { lowRes: string; iou: string };
}

/** Whether a decoder (as a list of output names) already has the candidate outputs. */
export function hasCandidateOutputs(outputNames: readonly string[]): boolean {
  return Object.values(CANDIDATE_OUTPUTS).every((n) => outputNames.includes(n));
}

/**
 * Adds {@link CANDIDATE_OUTPUTS} to a SAM ONNX decoder (bytes of a `.onnx` file). The default
 * outputs and every existing node are left untouched. Throws {@link NoCandidatesError} when the
 * graph has no mask selection to expose (e.g. a decoder exported with a single mask output).
 */
export function addCandidateOutputs(bytes: Uint8Array): CandidateRewrite {
  const onnx = onnxSchema();
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  const outNames = g.output.map((o) => o.name);
  if (hasCandidateOutputs(outNames)) throw new NoCandidatesError('the decoder already has the candidate outputs');
  for (const want of ['masks', 'iou_predictions', 'low_res_masks'])
    if (!outNames.includes(want)) throw new NoCandidatesError(`the decoder has no output "${want}" (it has ${outNames.join(', ')})`);

  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);

  /** every tensor a tensor is computed from; `values`: only those its values come from (not through a Shape) */
  const ancestors = (name: string, values = false): Set<string> => {
    const seen = new Set<string>();
    const stack = [name];
    while (stack.length) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      const p = producer.get(t);
      if (p && !(values && p.opType === 'Shape')) for (const i of p.input) if (i) stack.push(i);
    }
    return seen;
  };

  const argmaxes = g.node.filter((n) => n.opType === 'ArgMax');
  if (argmaxes.length !== 1)
    throw new NoCandidatesError(
      `expected one ArgMax selecting the mask in the decoder, found ${argmaxes.length}: it outputs one mask only`,
    );
  const argmax = argmaxes[0]!.output[0]!;
  // the selecting Gathers: their indices come from the ArgMax; their data is the flattened tensor of all masks / IoUs
  const selected = (output: string): string => {
    const up = ancestors(output, true);
    const gather = g.node.find((n) => n.opType === 'Gather' && n.output.some((o) => up.has(o)) && ancestors(n.input[1] ?? '').has(argmax));
    if (!gather) throw new NoCandidatesError(`no selection by the ArgMax feeds "${output}"`);
    const data = gather.input[0]!;
    const p = producer.get(data);
    return p?.opType === 'Flatten' ? p.input[0]! : data;
  };
  const lowResAll = selected('low_res_masks');
  const iouAll = selected('iou_predictions');

  const floatOutput = (name: string, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: {
          elemType: 1,
          shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      }),
    });
  g.output.push(
    floatOutput(CANDIDATE_OUTPUTS.iou, ['batch', 'candidates']),
    floatOutput(CANDIDATE_OUTPUTS.lowRes, ['batch', 'candidates', 256, 256]),
  );
  // a second Identity would be needed if an exposed tensor were a graph input; it never is here
  if (g.input.some((i) => i.name === lowResAll || i.name === iouAll)) throw new NoCandidatesError('the mask selection reads a graph input');
  const renameOutput = (from: string, to: string) => {
    g.node.push(onnx.NodeProto.create({ name: `${to}__expose`, opType: 'Identity', input: [from], output: [to], attribute: [] }));
  };
  renameOutput(lowResAll, CANDIDATE_OUTPUTS.lowRes);
  renameOutput(iouAll, CANDIDATE_OUTPUTS.iou);
  model.metadataProps.push(
    onnx.StringStringEntryProto.create({
      key: META_KEY,
      value: `${CANDIDATE_OUTPUTS.iou},${CANDIDATE_OUTPUTS.lowRes}: all masks before the ArgMax selection`,
    }),
  );
  return {
    model: onnx.ModelProto.encode(model).finish(),
    exposed: { lowRes: lowResAll, iou: iouAll },
  };
}
