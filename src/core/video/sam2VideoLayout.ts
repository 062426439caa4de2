/**
 * The ONNX layout of SAM 2's video graphs this app runs (issue 29): there is no official export of the memory
 * graphs, so one public layout is supported, the four files written by pagarcia/sam2-onnx-cpp
 * (`export/onnx_export.py`; names, shapes and dynamic axes in `export/src/utils.py`, the modules in
 * `export/src/modules.py`), itself the layout of Aimol-l's SAM2Export / OrtInference with the names settled.
 * The files are told apart by their input and output names, as the image families are; a folder that lacks
 * one is refused with what is missing and what the closest file has. Pure.
 */
import type { OnnxIo } from '../sam/families.ts';

export type Sam2VideoRole = 'encoder' | 'decoder' | 'memoryAttention' | 'memoryEncoder';

interface RoleSpec {
  label: string;
  /** the file's name in the exporter's output folder (preferred when several files fit) */
  file: string;
  inputs: readonly string[];
  optionalInputs: readonly string[];
  outputs: readonly string[];
  optionalOutputs: readonly string[];
}

/** Every graph of the layout: required and optional names (dtypes all float32). */
export const SAM2_VIDEO_LAYOUT: Record<Sam2VideoRole, RoleSpec> = {
  // input [1,3,1024,1024] → image_embeddings [1,256,64,64] (pix_feat), high_res_features1 [1,32,256,256],
  // high_res_features2 [1,64,128,128], current_vision_feat [1,256,64,64] (+ no_mem_embed), vision_pos_embed [4096,1,256]
  encoder: {
    label: 'image encoder',
    file: 'image_encoder.onnx',
    inputs: ['input'],
    optionalInputs: [],
    outputs: ['image_embeddings', 'high_res_features1', 'high_res_features2', 'current_vision_feat', 'vision_pos_embed'],
    optionalOutputs: [],
  },
  // point_coords [L,P,2], point_labels [L,P], image_embed [1,256,64,64], high_res_feats_0, high_res_feats_1 →
  // obj_ptr [1,256], mask_for_mem [1,1,1024,1024] (sigmoid(high-res logits)·20 − 10), pred_mask [1,1,256,256] (low-res logits)
  decoder: {
    label: 'mask decoder',
    file: 'image_decoder.onnx',
    inputs: ['point_coords', 'point_labels', 'image_embed', 'high_res_feats_0', 'high_res_feats_1'],
    optionalInputs: [],
    outputs: ['obj_ptr', 'mask_for_mem', 'pred_mask'],
    optionalOutputs: ['object_score_logits'],
  },
  // current_vision_feat [1,256,64,64], current_vision_pos_embed [4096,1,256], memory_0 [P,256], memory_1 [N,64,64,64],
  // memory_pos_embed [N·4096 + 4P,1,64] (memory_attention_objptr.onnx: + obj_ptr_offsets [P], memory_pos_embed [N·4096,1,64]) → fused_feat [1,256,64,64]
  memoryAttention: {
    label: 'memory attention',
    file: 'memory_attention.onnx',
    inputs: ['current_vision_feat', 'current_vision_pos_embed', 'memory_0', 'memory_1', 'memory_pos_embed'],
    optionalInputs: ['obj_ptr_offsets'],
    outputs: ['fused_feat'],
    optionalOutputs: [],
  },
  // mask_for_mem [1,1,1024,1024], pix_feat [1,256,64,64] → maskmem_features [1,64,64,64], maskmem_pos_enc [4096,1,64], temporal_code [7,1,1,64]
  memoryEncoder: {
    label: 'memory encoder',
    file: 'memory_encoder.onnx',
    inputs: ['mask_for_mem', 'pix_feat'],
    optionalInputs: [],
    outputs: ['maskmem_features', 'maskmem_pos_enc', 'temporal_code'],
    optionalOutputs: [],
  },
};

export const SAM2_VIDEO_ROLES: readonly Sam2VideoRole[] = ['encoder', 'decoder', 'memoryAttention', 'memoryEncoder'];

export const SAM2_VIDEO_HINT =
  'Export the four graphs with pagarcia/sam2-onnx-cpp (python export/onnx_export.py --model_size tiny|small|base_plus|large): image_encoder.onnx, image_decoder.onnx, memory_attention.onnx (or memory_attention_objptr.onnx) and memory_encoder.onnx, in one folder.';

export type NamedIo = OnnxIo & { file: string };

export type Sam2VideoLayout = Record<Sam2VideoRole, string> & {
  /** the memory attention takes `obj_ptr_offsets` (and projects the pointers' temporal encoding itself) */
  objPtrOffsets: boolean;
  /** the decoder returns `object_score_logits` */
  objectScore: boolean;
};

/** What `io` lacks to be `role`, and the inputs it has that the role cannot be fed. */
export function sam2VideoGaps(role: Sam2VideoRole, io: OnnxIo): { missing: string[]; unexpected: string[] } {
  const s = SAM2_VIDEO_LAYOUT[role];
  return {
    missing: [
      ...s.inputs.filter((n) => !io.inputNames.includes(n)).map((n) => `input ${n}`),
      ...s.outputs.filter((n) => !io.outputNames.includes(n)).map((n) => `output ${n}`),
    ],
    unexpected: io.inputNames.filter((n) => !s.inputs.includes(n) && !s.optionalInputs.includes(n)).map((n) => `input ${n}`),
  };
}

const baseName = (f: string) => f.slice(Math.max(f.lastIndexOf('/'), f.lastIndexOf('\\')) + 1);

function describeRole(role: Sam2VideoRole): string {
  const s = SAM2_VIDEO_LAYOUT[role];
  return `a ${s.label} (inputs ${s.inputs.join(', ')}; outputs ${s.outputs.join(', ')})`;
}

/**
 * Which file is which graph, told from the names; or the error naming every graph no file fits, with the
 * closest file's gaps (missing names, inputs it cannot be fed) and what it has.
 */
export function detectSam2VideoLayout(files: readonly NamedIo[]): { layout: Sam2VideoLayout } | { error: string; hint: string } {
  const chosen: Partial<Record<Sam2VideoRole, NamedIo>> = {};
  const problems: string[] = [];
  for (const role of SAM2_VIDEO_ROLES) {
    const fits = files.filter((f) => {
      const g = sam2VideoGaps(role, f);
      return g.missing.length === 0 && g.unexpected.length === 0;
    });
    if (fits.length === 1) chosen[role] = fits[0]!;
    else if (fits.length > 1) {
      const named = fits.filter((f) => baseName(f.file) === SAM2_VIDEO_LAYOUT[role].file);
      if (named.length === 1) chosen[role] = named[0]!;
      else problems.push(`several files are ${describeRole(role)}: ${fits.map((f) => f.file).join(', ')}`);
    } else {
      const score = (f: NamedIo) => {
        const g = sam2VideoGaps(role, f);
        const s = SAM2_VIDEO_LAYOUT[role];
        return s.inputs.length + s.outputs.length - g.missing.length - g.unexpected.length / 100;
      };
      const closest = [...files].sort((a, b) => score(b) - score(a))[0];
      if (!closest || score(closest) <= 0) problems.push(`no file is ${describeRole(role)}`);
      else {
        const g = sam2VideoGaps(role, closest);
        const gaps = [
          ...(g.missing.length ? [`lacks ${g.missing.join(', ')}`] : []),
          ...(g.unexpected.length ? [`has unexpected ${g.unexpected.join(', ')}`] : []),
        ];
        problems.push(
          `no file is ${describeRole(role)}: the closest, ${closest.file}, ${gaps.join(' and ')} (it has inputs ${closest.inputNames.join(', ') || 'none'}; outputs ${closest.outputNames.join(', ') || 'none'})`,
        );
      }
    }
  }
  if (problems.length) return { error: `Not SAM 2's video graphs: ${problems.join('; ')}.`, hint: SAM2_VIDEO_HINT };
  return {
    layout: {
      encoder: chosen.encoder!.file,
      decoder: chosen.decoder!.file,
      memoryAttention: chosen.memoryAttention!.file,
      memoryEncoder: chosen.memoryEncoder!.file,
      objPtrOffsets: chosen.memoryAttention!.inputNames.includes('obj_ptr_offsets'),
      objectScore: chosen.decoder!.outputNames.includes('object_score_logits'),
    },
  };
}

/**
 * What masks made by SAM 2's memory record as `model`: `sam2-video:` and the graphs' folder (an export's folder
 * names its model: `sam2.1_tiny/image_encoder.onnx` → `sam2-video:sam2.1_tiny`), or the encoder file's name
 * without `.onnx` when it has no folder. Paths with `/` or a backslash, or a URL's path.
 */
export function sam2VideoModelId(encoderPath: string): string {
  const parts = encoderPath.split(/[\\/]/).filter(Boolean);
  const dir = parts.slice(0, -1);
  // a model hub's file URL (`<repo>/resolve/<revision>/<file>`): the repository names the model, not the revision
  const hub = dir.lastIndexOf('resolve');
  const name =
    hub > 0 && hub === dir.length - 2
      ? dir[hub - 1]!
      : dir.length > 0
        ? dir[dir.length - 1]!
        : (parts[0] ?? 'graphs').replace(/\.onnx$/i, '');
  return `sam2-video:${name}`;
}
