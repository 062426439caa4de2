/**
 * Models added from disk, kept in the browser's Origin Private File System: `models/FOLDER/encoder.onnx`,
 * `decoder.onnx` and `model.json` (a StoredModel, written last). Files are read once, copied in pieces
 * while their SHA-256 is computed (hash-wasm), so a 1 GB encoder is never held in memory whole; a copy
 * that fails (storage full) leaves nothing behind.
 */
import { createSHA256 } from 'hash-wasm';
import { AppError } from '../core/errors.ts';
import { storageShortfall, storedModelId, type StoredModel, type StoredModelFile } from '../core/sam/localModels.ts';
import type { ModelFamily } from '../core/sam/families.ts';
import { scanOnnx, type ByteSource, type OnnxScan } from '../core/sam/onnxScan.ts';

const DIR = 'models';

async function modelsDir(create = true): Promise<FileSystemDirectoryHandle | null> {
  if (!navigator.storage?.getDirectory)
    throw new AppError('MODEL_STORAGE', 'This browser has no private file storage for models.', 'Use a current Chromium, Chrome or Edge.');
  const root = await navigator.storage.getDirectory();
  try {
    return await root.getDirectoryHandle(DIR, { create });
  } catch {
    return null;
  }
}

/** A file as a byte source for the ONNX scan. */
export function fileSource(file: Blob): ByteSource {
  return {
    size: file.size,
    read: async (o, n) => new Uint8Array(await file.slice(o, o + n).arrayBuffer()),
  };
}

export function scanModelFile(file: Blob): Promise<OnnxScan> {
  return scanOnnx(fileSource(file));
}

/** The models stored in this browser, oldest first (a folder whose model.json is unreadable is skipped). */
export async function listStoredModels(): Promise<StoredModel[]> {
  const dir = await modelsDir(false);
  if (!dir) return [];
  const out: StoredModel[] = [];
  for await (const [name, h] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    if (h.kind !== 'directory') continue;
    try {
      const f = await (await (h as FileSystemDirectoryHandle).getFileHandle('model.json')).getFile();
      const m = JSON.parse(await f.text()) as StoredModel;
      if (m.folder === name) out.push(m);
    } catch {
      // a model whose copy did not finish: removed by the next add or remove
    }
  }
  return out.sort((a, b) => a.addedAt - b.addedAt);
}

/** What the browser says the app may still store (undefined fields: it does not say). */
export async function storageEstimate(): Promise<{ quota?: number; usage?: number }> {
  try {
    const e = await navigator.storage.estimate();
    return { ...(e.quota !== undefined ? { quota: e.quota } : {}), ...(e.usage !== undefined ? { usage: e.usage } : {}) };
  } catch {
    return {};
  }
}

/** Copies a file in pieces into `dir/name`, computing its SHA-256 on the way (one read of the file); the hex digest. */
async function copyInto(dir: FileSystemDirectoryHandle, name: string, file: Blob, onBytes: (n: number) => void): Promise<string> {
  const h = await createSHA256();
  const handle = await dir.getFileHandle(name, { create: true });
  const w = await handle.createWritable();
  try {
    const reader = file.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      h.update(value);
      await w.write(value);
      onBytes(value.length);
    }
    await w.close();
  } catch (e) {
    await w.abort().catch(() => undefined);
    throw e;
  }
  return h.digest('hex');
}

export interface AddModelInput {
  name: string;
  family: ModelFamily;
  encoder: File;
  decoder: File;
  encoderInput: string;
  encoderOutput: string;
}

/**
 * Copies a checked pair into the browser's storage; resolves to the stored model. The same pair
 * added again is the same model (its id is made of the checksums), renamed. Refused before copying
 * when the storage quota is too small; a copy that fails midway is removed.
 */
export async function addStoredModel(input: AddModelInput, onProgress?: (done: number, total: number) => void): Promise<StoredModel> {
  const total = input.encoder.size + input.decoder.size;
  let done = 0;
  const step = (n: number) => {
    done += n;
    onProgress?.(done, total);
  };
  const short = storageShortfall(`The model "${input.name}"`, total, await storageEstimate());
  if (short) throw new AppError('MODEL_STORAGE', short.error, short.hint);
  const dir = (await modelsDir())!;
  // a folder of its own: the id (made of the checksums) is known only once the files are copied
  const folder = `f-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const md = await dir.getDirectoryHandle(folder, { create: true });
  let encSha: string;
  let decSha: string;
  try {
    encSha = await copyInto(md, 'encoder.onnx', input.encoder, step);
    decSha = await copyInto(md, 'decoder.onnx', input.decoder, step);
  } catch (e) {
    await dir.removeEntry(folder, { recursive: true }).catch(() => undefined);
    const quota = e instanceof DOMException && e.name === 'QuotaExceededError';
    throw new AppError(
      'MODEL_STORAGE',
      quota
        ? `The browser's storage filled up while ${input.encoder.name} and ${input.decoder.name} were copied; nothing was kept.`
        : `${input.encoder.name} and ${input.decoder.name} could not be copied into the browser's storage: ${e instanceof Error ? e.message : String(e)}.`,
      'Remove a model you no longer use or free space in the browser, then add the model again.',
    );
  }
  const id = storedModelId(encSha, decSha);
  const existing = (await listStoredModels()).find((m) => m.id === id);
  if (existing) {
    // the same pair again: the copy goes, the model takes the new name
    await dir.removeEntry(folder, { recursive: true });
    const renamed = { ...existing, name: input.name };
    await writeJson(await dir.getDirectoryHandle(existing.folder), renamed);
    return renamed;
  }
  const model: StoredModel = {
    id,
    folder,
    name: input.name,
    family: input.family,
    encoder: fileInfo(input.encoder, encSha),
    decoder: fileInfo(input.decoder, decSha),
    encoderInput: input.encoderInput,
    encoderOutput: input.encoderOutput,
    addedAt: Date.now(),
  };
  // written last: a folder without it (a page closed mid-copy) is not a model
  await writeJson(md, model);
  // ask the browser not to clear the models when it runs short of space (it may still say no)
  void navigator.storage.persist?.().catch(() => false);
  return model;
}

export async function renameStoredModel(id: string, name: string): Promise<StoredModel> {
  const dir = (await modelsDir())!;
  const m = (await listStoredModels()).find((x) => x.id === id);
  if (!m) throw new AppError('MODEL_STORAGE', `There is no stored model ${id}.`);
  const renamed = { ...m, name };
  await writeJson(await dir.getDirectoryHandle(m.folder), renamed);
  return renamed;
}

/** Deletes a stored model's files (the space is freed). */
export async function removeStoredModel(id: string): Promise<void> {
  const dir = await modelsDir(false);
  const m = (await listStoredModels()).find((x) => x.id === id);
  if (!dir || !m) return;
  await dir.removeEntry(m.folder, { recursive: true });
}

function fileInfo(f: File, sha256: string): StoredModelFile {
  return { file: f.name, size: f.size, sha256 };
}

async function writeJson(dir: FileSystemDirectoryHandle, m: StoredModel): Promise<void> {
  const w = await (await dir.getFileHandle('model.json', { create: true })).createWritable();
  await w.write(JSON.stringify(m, null, 1));
  await w.close();
}
