/**
 * Model choice in the app (issue 15): the bundled model, models the user added from disk (kept in the
 * browser's private file storage, see io/modelStore.ts), or a pair named by the page's URL
 * (`?encoder=&decoder=`, which then wins). Each project remembers its model; opening a project loads
 * it. Switching models drops every embedding of the model before (the engine keys nothing across
 * models) and records the new one on the masks made with it (`Annotation.model`).
 */
import { create } from 'zustand';
import { appErrorFromUnknown } from '../../core/errors.ts';
import { FAMILIES, familyOf, type ModelFamily } from '../../core/sam/families.ts';
import {
  baseName,
  BUNDLED_MODEL_ID,
  checkModelPair,
  defaultModelName,
  MODEL_FOLDER_MANIFEST,
  parseModelFolderManifest,
  storedModelManifest,
  type StoredModel,
} from '../../core/sam/localModels.ts';
import { defaultManifest, type ModelManifest } from '../../core/sam/manifest.ts';
import type { OnnxScan } from '../../core/sam/onnxScan.ts';
import type { InferenceEngine } from '../../inference/engine.ts';
import {
  addStoredModel,
  listStoredModels,
  removeStoredModel,
  renameStoredModel,
  scanModelFile,
  storageEstimate,
} from '../../io/modelStore.ts';
import { currentProject, onProjectOpened } from './persistence.ts';
import { batchRunning } from './batch.ts';
import type { AppStore } from '../store/store.ts';

export interface ModelsState {
  /** models added from disk, oldest first */
  stored: StoredModel[];
  /** a copy into storage under way */
  adding: { name: string; done: number; total: number } | null;
  /** the page's URL names the model files: the choice is the URL's */
  urlModel: ModelManifest | null;
  /** what the browser says the app may store and has stored */
  storage: { quota?: number; usage?: number };
}

export const useModels = create<ModelsState>()(() => ({ stored: [], adding: null, urlModel: null, storage: {} }));

let engine: InferenceEngine | null = null;
let store: AppStore | null = null;
const choiceKey = (projectId: string) => `sam-annotator:model:${projectId}`;
const LAST_KEY = 'sam-annotator:last-model';

export function bundledManifest(): ModelManifest {
  return { ...defaultManifest(new URL('models/', document.baseURI).pathname), family: 'sam' };
}

/** The id of the model a project uses (the bundled one unless it chose another). */
export function projectModelId(projectId: string): string {
  try {
    return localStorage.getItem(choiceKey(projectId)) ?? BUNDLED_MODEL_ID;
  } catch {
    return BUNDLED_MODEL_ID;
  }
}

function remember(projectId: string, id: string): void {
  try {
    if (id === BUNDLED_MODEL_ID) localStorage.removeItem(choiceKey(projectId));
    else localStorage.setItem(choiceKey(projectId), id);
    localStorage.setItem(LAST_KEY, id);
  } catch {
    // storage full or denied: the choice lasts until the page is closed
  }
}

/** The manifest of a model id (null: a stored model that is gone). */
function manifestOf(id: string): ModelManifest | null {
  if (id === BUNDLED_MODEL_ID) return bundledManifest();
  const m = useModels.getState().stored.find((x) => x.id === id);
  return m ? storedModelManifest(m) : null;
}

export async function refreshModels(): Promise<void> {
  const [stored, storage] = await Promise.all([listStoredModels().catch(() => []), storageEstimate()]);
  useModels.setState({ stored, storage });
}

/**
 * Start-up: the model of the page's URL, or the one the last project used (the project's own choice
 * is applied when it opens); each project opened afterwards gets its model.
 */
export async function startModels(s: AppStore, e: InferenceEngine, urlModel: ModelManifest | null): Promise<ModelManifest> {
  store = s;
  engine = e;
  useModels.setState({ urlModel });
  onProjectOpened((id) => void applyProjectChoice(id));
  if (urlModel) return urlModel;
  await refreshModels();
  let last = BUNDLED_MODEL_ID;
  try {
    last = localStorage.getItem(LAST_KEY) ?? BUNDLED_MODEL_ID;
  } catch {
    // no storage: the bundled model
  }
  return manifestOf(last) ?? bundledManifest();
}

async function applyProjectChoice(projectId: string): Promise<void> {
  if (!engine || useModels.getState().urlModel) return;
  const id = projectModelId(projectId);
  let m = manifestOf(id);
  // not listed here yet: at start-up, or added in another tab since
  if (!m) {
    await refreshModels();
    m = manifestOf(id);
  }
  if (!m) {
    store
      ?.getState()
      .notify(
        'warning',
        'The model this project used is no longer in this browser; it uses the bundled model now.',
        'Add the model again in Models to use it.',
      );
    m = bundledManifest();
  }
  if (engine.model?.id !== m.id) await switchTo(m);
}

async function switchTo(m: ModelManifest): Promise<void> {
  if (!engine || !store) return;
  const s = store.getState();
  // a mask being drafted is put aside as an undoable step (undo brings its prompts back, decoded by the new model)
  s.discardPrompts();
  s.setModel({ status: 'loading', loaded: 0, total: 0, error: null, candidates: null, ...modelFacts(m), memory: null });
  await engine.switchModel(m).catch(() => undefined);
}

export function modelFacts(m: ModelManifest): { id: string; name: string; family: ModelFamily } {
  return { id: m.id, name: m.name, family: m.family ?? 'sam' };
}

/**
 * Makes `id` the open project's model (the bundled model: 'bundled'). Refused while a pre-annotation
 * runs or while the URL names the model.
 */
export async function chooseModel(id: string): Promise<{ ok: true } | { ok: false; error: string }> {
  const fail = (error: string, hint: string) => {
    store?.getState().notify('error', error, hint);
    return { ok: false as const, error };
  };
  if (useModels.getState().urlModel)
    return fail(
      'The page was opened with ?encoder= and ?decoder=, which choose the model.',
      'Open the app without them to choose a model here.',
    );
  if (batchRunning())
    return fail('A pre-annotation is running on the current model.', 'Wait for it to finish, or cancel it, then switch models.');
  const m = manifestOf(id);
  if (!m) return fail(`There is no model ${id} in this browser.`, 'Add it in Models first.');
  remember(currentProject(), id);
  if (engine?.model?.id !== m.id) await switchTo(m);
  return { ok: true };
}

/** What a pair of files is, read from their headers (nothing is loaded or stored yet). */
export interface InspectedPair {
  ok: true;
  encoder: File;
  decoder: File;
  family: ModelFamily;
  encoderInput: string;
  encoderOutput: string;
  /** a name to offer */
  name: string;
}
export type Inspection = InspectedPair | { ok: false; error: string; hint: string };

export async function inspectModelFiles(
  encoder: File,
  decoder: File,
  family: ModelFamily | 'auto' = 'auto',
  name?: string,
): Promise<Inspection> {
  const [es, ds] = await Promise.all([scanModelFile(encoder), scanModelFile(decoder)]);
  const r = checkModelPair({ file: encoder.name, scan: es }, { file: decoder.name, scan: ds }, family);
  if (!r.ok) return r;
  return { ...r, encoder, decoder, name: name ?? defaultModelName(encoder.name, r.family) };
}

/**
 * A model folder: its `sam-model.json` says which file is which (and may name the model and its
 * family); without one, a folder of exactly two .onnx files is read and the encoder told from the
 * decoder by their inputs and outputs.
 */
export async function inspectModelFolder(files: readonly File[]): Promise<Inspection> {
  const base = (f: File) => baseName(f.webkitRelativePath || f.name);
  const manifestFile = files.find((f) => base(f) === MODEL_FOLDER_MANIFEST);
  if (manifestFile) {
    const p = parseModelFolderManifest(await manifestFile.text(), files.map(base));
    if (!p.ok) return p;
    const pick = (n: string) => files.find((f) => base(f) === baseName(n))!;
    return inspectModelFiles(pick(p.manifest.encoder), pick(p.manifest.decoder), p.manifest.family ?? 'auto', p.manifest.name);
  }
  const onnx = files.filter((f) => /\.onnx$/i.test(base(f)));
  if (onnx.length !== 2)
    return {
      ok: false,
      error: `The folder has ${onnx.length} .onnx files and no ${MODEL_FOLDER_MANIFEST}, so which is the encoder and which the decoder cannot be told.`,
      hint: `Add a ${MODEL_FOLDER_MANIFEST} naming them, or pick the encoder and decoder files one by one.`,
    };
  const scans = await Promise.all(onnx.map((f) => scanModelFile(f)));
  const isEncoder = (s: OnnxScan) => s.ok && familyOf('decoder', s) === null && familyOf('encoder', s) !== null;
  const [a, b] = onnx as [File, File];
  const [enc, dec] = isEncoder(scans[1]!) && !isEncoder(scans[0]!) ? [b, a] : [a, b];
  return inspectModelFiles(enc, dec);
}

/** Copies an inspected pair into the browser's storage; resolves to the stored model. */
export async function addModel(
  pair: InspectedPair,
  name = pair.name,
): Promise<{ ok: true; model: StoredModel } | { ok: false; error: string; hint: string }> {
  const label = name.trim() || pair.name;
  useModels.setState({ adding: { name: label, done: 0, total: 1 } });
  try {
    const model = await addStoredModel(
      {
        name: label,
        family: pair.family,
        encoder: pair.encoder,
        decoder: pair.decoder,
        encoderInput: pair.encoderInput,
        encoderOutput: pair.encoderOutput,
      },
      (done, total) => useModels.setState({ adding: { name: label, done, total } }),
    );
    await refreshModels();
    store
      ?.getState()
      .notify(
        'info',
        `Added the model "${model.name}" (${FAMILIES[model.family].label}).`,
        'Choose it in Models to use it in this project.',
      );
    return { ok: true, model };
  } catch (e) {
    const err = appErrorFromUnknown(e);
    store?.getState().notify('error', err.message, err.hint);
    await refreshModels();
    return { ok: false, error: err.message, hint: err.hint };
  } finally {
    useModels.setState({ adding: null });
  }
}

export async function renameModel(id: string, name: string): Promise<void> {
  if (!name.trim()) return;
  await renameStoredModel(id, name.trim());
  await refreshModels();
  if (engine?.model?.id === id) store?.getState().setModel({ name: name.trim() });
}

/** Deletes a stored model; the open project goes back to the bundled model if it used it. */
export async function removeModel(id: string): Promise<{ ok: true } | { ok: false; error: string }> {
  if (engine?.model?.id === id) {
    if (batchRunning()) {
      const error = 'A pre-annotation is running on this model.';
      store?.getState().notify('error', error, 'Wait for it to finish, or cancel it, then remove the model.');
      return { ok: false, error };
    }
    remember(currentProject(), BUNDLED_MODEL_ID);
    await switchTo(bundledManifest());
  }
  try {
    await removeStoredModel(id);
  } catch (e) {
    const error = `The model could not be removed: ${appErrorFromUnknown(e).message}`;
    store?.getState().notify('error', error, 'Reload the page and try again.');
    return { ok: false, error };
  }
  await refreshModels();
  return { ok: true };
}
