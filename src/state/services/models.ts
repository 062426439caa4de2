/**
 * Model choice in the app (issue 15): the bundled model, models the user added from disk (kept in the
 * browser's private file storage, see io/modelStore.ts), or a pair named by the page's URL
 * (`?encoder=&decoder=`, which then wins). Each project remembers its model; opening a project loads
 * it. Switching models drops every embedding of the model before (the engine keys nothing across
 * models) and records the new one on the masks made with it (`Annotation.model`).
 */
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
import type {} from '../store/slices/services.ts';
import {
  addStoredModel,
  listStoredModels,
  removeStoredModel,
  renameStoredModel,
  scanModelFile,
  storageEstimate,
} from '../../io/modelStore.ts';
import type { AppStore } from '../store/store.ts';

const choiceKey = (projectId: string) => `sam-annotator:model:${projectId}`;
const LAST_KEY = 'sam-annotator:last-model';

export function bundledManifest(): ModelManifest {
  const base = new URL('models/', document.baseURI).pathname;
  // the build makes the batched decoder from the bundled one (vite.config.ts)
  return { ...defaultManifest(base), family: 'sam', batchedDecoderUrl: `${base}sam-batched.onnx` };
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

export function modelFacts(m: ModelManifest): { id: string; name: string; family: ModelFamily } {
  return { id: m.id, name: m.name, family: m.family ?? 'sam' };
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

export interface ModelsDeps {
  store: AppStore;
  engine: InferenceEngine;
  /** a pre-annotation run holds the model: no switch meanwhile */
  batch: { running(): boolean };
}

/**
 * The model of the open project: the list of stored models (the store's `models`), the choice per
 * project (applied when a project opens: the store's `projectId`), adding, renaming, removing.
 */
export class ModelsService {
  private readonly store: AppStore;
  private readonly engine: InferenceEngine;

  constructor(private readonly deps: ModelsDeps) {
    this.store = deps.store;
    this.engine = deps.engine;
  }

  /** The manifest of a model id (null: a stored model that is gone). */
  private manifestOf(id: string): ModelManifest | null {
    if (id === BUNDLED_MODEL_ID) return bundledManifest();
    const m = this.store.getState().models.stored.find((x) => x.id === id);
    return m ? storedModelManifest(m) : null;
  }

  async refreshModels(): Promise<void> {
    const [stored, storage] = await Promise.all([listStoredModels().catch(() => []), storageEstimate()]);
    this.store.getState().setModels({ stored, storage });
  }

  /**
   * Start-up: the model of the page's URL, or the one the last project used (the project's own choice
   * is applied when it opens); each project opened afterwards gets its model.
   */
  async start(urlModel: ModelManifest | null): Promise<ModelManifest> {
    this.store.getState().setModels({ urlModel });
    // each project opened gets its model (persistence sets the id first, before the project loads)
    this.store.subscribe((st, prev) => {
      if (st.projectId && st.projectId !== prev.projectId) void this.applyProjectChoice(st.projectId);
    });
    if (urlModel) return urlModel;
    await this.refreshModels();
    let last = BUNDLED_MODEL_ID;
    try {
      last = localStorage.getItem(LAST_KEY) ?? BUNDLED_MODEL_ID;
    } catch {
      // no storage: the bundled model
    }
    return this.manifestOf(last) ?? bundledManifest();
  }

  private async applyProjectChoice(projectId: string): Promise<void> {
    if (this.store.getState().models.urlModel) return;
    const id = projectModelId(projectId);
    let m = this.manifestOf(id);
    // not listed here yet: at start-up, or added in another tab since
    if (!m) {
      await this.refreshModels();
      m = this.manifestOf(id);
    }
    if (!m) {
      this.store
        .getState()
        .notify(
          'warning',
          'The model this project used is no longer in this browser; it uses the bundled model now.',
          'Add the model again in Models to use it.',
        );
      m = bundledManifest();
    }
    if (this.engine.model?.id !== m.id) await this.switchTo(m);
  }

  private async switchTo(m: ModelManifest): Promise<void> {
    const s = this.store.getState();
    // a mask being drafted is put aside as an undoable step (undo brings its prompts back, decoded by the new model)
    s.discardPrompts();
    s.setModel({ status: 'loading', loaded: 0, total: 0, error: null, candidates: null, ...modelFacts(m), memory: null });
    await this.engine.switchModel(m).catch(() => undefined);
  }

  /**
   * Makes `id` the open project's model (the bundled model: 'bundled'). Refused while a pre-annotation
   * runs or while the URL names the model.
   */
  async chooseModel(id: string): Promise<{ ok: true } | { ok: false; error: string }> {
    const fail = (error: string, hint: string) => {
      this.store.getState().notify('error', error, hint);
      return { ok: false as const, error };
    };
    if (this.store.getState().models.urlModel)
      return fail(
        'The page was opened with ?encoder= and ?decoder=, which choose the model.',
        'Open the app without them to choose a model here.',
      );
    if (this.deps.batch.running())
      return fail('A pre-annotation is running on the current model.', 'Wait for it to finish, or cancel it, then switch models.');
    const m = this.manifestOf(id);
    if (!m) return fail(`There is no model ${id} in this browser.`, 'Add it in Models first.');
    remember(this.store.getState().projectId, id);
    if (this.engine.model?.id !== m.id) await this.switchTo(m);
    return { ok: true };
  }

  /** Copies an inspected pair into the browser's storage; resolves to the stored model. */
  async addModel(
    pair: InspectedPair,
    name = pair.name,
  ): Promise<{ ok: true; model: StoredModel } | { ok: false; error: string; hint: string }> {
    const label = name.trim() || pair.name;
    this.store.getState().setModels({ adding: { name: label, done: 0, total: 1 } });
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
        (done, total) => this.store.getState().setModels({ adding: { name: label, done, total } }),
      );
      await this.refreshModels();
      this.store
        .getState()
        .notify(
          'info',
          `Added the model "${model.name}" (${FAMILIES[model.family].label}).`,
          'Choose it in Models to use it in this project.',
        );
      return { ok: true, model };
    } catch (e) {
      const err = appErrorFromUnknown(e);
      this.store.getState().notify('error', err.message, err.hint);
      await this.refreshModels();
      return { ok: false, error: err.message, hint: err.hint };
    } finally {
      this.store.getState().setModels({ adding: null });
    }
  }

  async renameModel(id: string, name: string): Promise<void> {
    if (!name.trim()) return;
    await renameStoredModel(id, name.trim());
    await this.refreshModels();
    if (this.engine.model?.id === id) this.store.getState().setModel({ name: name.trim() });
  }

  /** Deletes a stored model; the open project goes back to the bundled model if it used it. */
  async removeModel(id: string): Promise<{ ok: true } | { ok: false; error: string }> {
    if (this.engine.model?.id === id) {
      if (this.deps.batch.running()) {
        const error = 'A pre-annotation is running on this model.';
        this.store.getState().notify('error', error, 'Wait for it to finish, or cancel it, then remove the model.');
        return { ok: false, error };
      }
      remember(this.store.getState().projectId, BUNDLED_MODEL_ID);
      await this.switchTo(bundledManifest());
    }
    try {
      await removeStoredModel(id);
    } catch (e) {
      const error = `The model could not be removed: ${appErrorFromUnknown(e).message}`;
      this.store.getState().notify('error', error, 'Reload the page and try again.');
      return { ok: false, error };
    }
    await this.refreshModels();
    return { ok: true };
  }
}
