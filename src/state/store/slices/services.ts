/**
 * What the models and pre-annotation services show (services/models.ts, services/batch.ts): plain
 * data the views read, set by those services only.
 */
import type { StoredModel } from '../../../core/sam/localModels.ts';
import type { ModelManifest } from '../../../core/sam/manifest.ts';
import type { PreannotateMode, PreannotateProgress } from '../../../inference/preannotate.ts';
import type { SliceContext } from '../store.ts';

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

export interface BatchState {
  mode: PreannotateMode | null;
  progress: PreannotateProgress | null;
}

export interface ServicesSlice {
  models: ModelsState;
  batch: BatchState;
  setModels(patch: Partial<ModelsState>): void;
  setBatch(patch: Partial<BatchState>): void;
}

export function createServicesSlice({ set }: SliceContext): ServicesSlice {
  return {
    models: { stored: [], adding: null, urlModel: null, storage: {} },
    batch: { mode: null, progress: null },
    setModels: (patch) => set((s) => ({ models: { ...s.models, ...patch } })),
    setBatch: (patch) => set((s) => ({ batch: { ...s.batch, ...patch } })),
  };
}
