/**
 * Models the user adds from disk (the Models dialog): what the two files are (from their scans), the
 * manifest a model folder may carry, whether the browser's storage can take them, and the engine
 * manifest of a stored model. Pure: the files' bytes and the storage are the io layer's.
 */
import { z } from 'zod';
import { FAMILIES, familyOfPair, type ModelFamily } from './families.ts';
import { defaultManifest, sam2Manifest, type ModelManifest } from './manifest.ts';
import type { OnnxScan } from './onnxScan.ts';

/** The bundled model's id in model choices (a project that chose nothing uses it). */
export const BUNDLED_MODEL_ID = 'bundled';

/** One stored file of a model. */
export interface StoredModelFile {
  /** the name it was added as */
  file: string;
  size: number;
  /** hex SHA-256 of its bytes */
  sha256: string;
}

/** A model kept in the browser's storage (its `model.json`). */
export interface StoredModel {
  id: string;
  /** its folder under `models/` in the browser's storage (named when the copy began, before the checksums were known) */
  folder: string;
  name: string;
  family: ModelFamily;
  encoder: StoredModelFile;
  decoder: StoredModelFile;
  /** the SAM 1 style encoder's own input and output names (they vary by exporter) */
  encoderInput: string;
  encoderOutput: string;
  /** ms since epoch */
  addedAt: number;
}

/** A model as the automation contract lists it (`annotator.models.list()`). */
export interface ModelListEntry {
  id: string;
  name: string;
  family: ModelFamily;
  current: boolean;
  bytes: number;
  sha256: { encoder: string; decoder: string } | null;
}

/** The model in use as the automation contract gives it (`annotator.models.current()`). */
export interface ModelInUse {
  id: string;
  name: string;
  family: ModelFamily;
  status: string;
  candidates: boolean | null;
  memory: { images: number; bytes: number; capacity: number; otherBytes: number } | null;
}

/** A path's last part (either slash). */
export const baseName = (path: string): string => path.replace(/\\/g, '/').split('/').pop()!;

/** The file a model folder may hold to say what it is. */
export const MODEL_FOLDER_MANIFEST = 'sam-model.json';

const folderManifestSchema = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  family: z.enum(['sam', 'sam2']).optional(),
  encoder: z.string().trim().min(1),
  decoder: z.string().trim().min(1),
});
export type ModelFolderManifest = z.infer<typeof folderManifestSchema>;

/**
 * A model folder's `sam-model.json`, checked against the folder's files: which file is the encoder,
 * which the decoder, and optionally the name and family.
 */
export function parseModelFolderManifest(
  text: string,
  fileNames: readonly string[],
): { ok: true; manifest: ModelFolderManifest } | { ok: false; error: string; hint: string } {
  const hint = `${MODEL_FOLDER_MANIFEST} holds {"name": "...", "family": "sam" or "sam2", "encoder": "FILE.onnx", "decoder": "FILE.onnx"}, the file names relative to the folder.`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `${MODEL_FOLDER_MANIFEST} is not valid JSON: ${(e as Error).message}.`, hint };
  }
  const r = folderManifestSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return { ok: false, error: `${MODEL_FOLDER_MANIFEST}: ${issue.path.join('.') || 'the file'}: ${issue.message}.`, hint };
  }
  for (const role of ['encoder', 'decoder'] as const) {
    const want = baseName(r.data[role]);
    if (!fileNames.some((f) => baseName(f) === want))
      return {
        ok: false,
        error: `${MODEL_FOLDER_MANIFEST} names the ${role} ${r.data[role]}, which is not in the folder (it has ${fileNames.map(baseName).join(', ') || 'no files'}).`,
        hint: 'Put the file in the folder, or correct its name in the manifest.',
      };
  }
  return { ok: true, manifest: r.data };
}

/** What a pair of scanned files is, or why it cannot be used (the message names the file). */
export function checkModelPair(
  encoder: { file: string; scan: OnnxScan },
  decoder: { file: string; scan: OnnxScan },
  wanted: ModelFamily | 'auto' = 'auto',
): { ok: true; family: ModelFamily; encoderInput: string; encoderOutput: string } | { ok: false; error: string; hint: string } {
  for (const [role, f] of [
    ['encoder', encoder],
    ['decoder', decoder],
  ] as const) {
    const s = f.scan;
    if (!s.ok && s.reason === 'truncated')
      return {
        ok: false,
        error: `${f.file} is cut short (${s.detail}): it is not a whole ONNX ${role}.`,
        hint: 'Download or copy the file again, then add it.',
      };
    if (!s.ok)
      return {
        ok: false,
        error: `${f.file} is not an ONNX model (${s.detail}).`,
        hint: `Pick the ${role}'s .onnx file.`,
      };
    if (s.externalData)
      return {
        ok: false,
        error: `${f.file} keeps its weights in separate files (ONNX external data), which the browser cannot load with it.`,
        hint: 'Export the model as one .onnx file (under 2 GB; a quantized export is smaller).',
      };
  }
  if (!encoder.scan.ok || !decoder.scan.ok) throw new Error('unreachable');
  const pair = familyOfPair({ ...encoder.scan, file: encoder.file }, { ...decoder.scan, file: decoder.file });
  if ('error' in pair) return { ok: false, error: pair.error, hint: pair.hint };
  if (wanted !== 'auto' && wanted !== pair.family)
    return {
      ok: false,
      error: `${encoder.file} and ${decoder.file} are a ${FAMILIES[pair.family].label} pair, not ${FAMILIES[wanted].label}.`,
      hint: `Choose the family ${FAMILIES[pair.family].label}, or pick files of the family you want.`,
    };
  return {
    ok: true,
    family: pair.family,
    encoderInput: encoder.scan.inputNames[0]!,
    encoderOutput: pair.family === 'sam2' ? 'image_embed' : encoder.scan.outputNames[0]!,
  };
}

const MB = 1024 * 1024;
export const formatMb = (bytes: number) => `${(bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0)} MB`;

/** Why the browser's storage cannot take `needed` more bytes (null: it can). */
export function storageShortfall(
  name: string,
  needed: number,
  estimate: { quota?: number | undefined; usage?: number | undefined },
): { error: string; hint: string } | null {
  if (estimate.quota === undefined) return null;
  const free = Math.max(0, estimate.quota - (estimate.usage ?? 0));
  if (needed <= free) return null;
  return {
    error: `${name} needs ${formatMb(needed)} but this browser lets the app store only ${formatMb(free)} more.`,
    hint: 'Remove a model you no longer use, free space in the browser (site data of other pages), or serve the files and open the app with ?encoder=URL&decoder=URL.',
  };
}

/** A name for a model from its encoder's file name, e.g. "sam2.1_hiera_tiny (SAM 2)". */
export function defaultModelName(encoderFile: string, family: ModelFamily): string {
  const stem = baseName(encoderFile)
    .replace(/\.onnx$/i, '')
    .replace(/[._-]?(encoder|image_encoder|enc)$/i, '');
  return `${stem || 'model'} (${family === 'sam2' ? 'SAM 2' : 'SAM'})`;
}

/** Where a stored model's files are, for the workers (see workers/ort-runtime.ts). */
export const opfsModelUrl = (folder: string, role: 'encoder' | 'decoder') => `opfs:models/${folder}/${role}.onnx`;

/** The engine's manifest of a stored model. */
export function storedModelManifest(m: StoredModel): ModelManifest {
  const enc = opfsModelUrl(m.folder, 'encoder');
  const dec = opfsModelUrl(m.folder, 'decoder');
  if (m.family === 'sam2') return sam2Manifest(m.id, m.name, enc, dec);
  return {
    ...defaultManifest(''),
    id: m.id,
    name: m.name,
    licence: 'see the model',
    encoderUrl: enc,
    decoderUrl: dec,
    encoderInput: m.encoderInput,
    encoderOutput: m.encoderOutput,
    family: 'sam',
  };
}

/** A stored model's id from its files' checksums: the same pair added twice is one model. */
export function storedModelId(encoderSha: string, decoderSha: string): string {
  return `m-${encoderSha.slice(0, 10)}-${decoderSha.slice(0, 10)}`;
}
