import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BUNDLED_MODEL_ID, storedModelManifest, type StoredModel } from '../../core/sam/localModels.ts';
import type { ModelManifest } from '../../core/sam/manifest.ts';
import type { InferenceEngine } from '../../inference/engine.ts';
import { testStore } from '../test/fakeDeps.ts';
import { ModelsService, bundledManifest, projectModelId, type InspectedPair } from './models.ts';

const stored = (id: string, name = `model ${id}`): StoredModel => ({
  id,
  folder: `f-${id}`,
  name,
  family: 'sam',
  encoder: { file: 'encoder.onnx', size: 10, sha256: 'aa' },
  decoder: { file: 'decoder.onnx', size: 10, sha256: 'bb' },
  encoderInput: 'image',
  encoderOutput: 'image_embeddings',
  addedAt: 1,
});

/** The engine as the service sees it: the model in use, and switches. */
class FakeModelEngine {
  model: ModelManifest | null = null;
  readonly switches: string[] = [];
  switchModel(m: ModelManifest): Promise<void> {
    this.switches.push(m.id);
    this.model = m;
    return Promise.resolve();
  }
}

/** localStorage as the browser has it (Node has none). */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    key: (i) => [...m.keys()][i] ?? null,
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, String(v)),
    removeItem: (k) => void m.delete(k),
    clear: () => m.clear(),
  };
}

function setup(options: { running?: boolean } = {}) {
  const { store } = testStore();
  const engine = new FakeModelEngine();
  const batch = { runs: options.running ?? false, running: () => batch.runs };
  const models = new ModelsService({ store, engine: engine as unknown as InferenceEngine, batch });
  const notes = (level: 'error' | 'warning' | 'info') => store.getState().notifications.filter((n) => n.level === level);
  return { store, engine, batch, models, notes };
}

/** Lets the switch a project opening starts run (it refreshes the list when the model is not known yet). */
const settle = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  // the bundled model's files are found from the page's address
  vi.stubGlobal('document', { baseURI: 'http://localhost/app/' });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('projectModelId', () => {
  it('without localStorage every project uses the bundled model', () => {
    expect(projectModelId('p1')).toBe(BUNDLED_MODEL_ID);
  });
});

describe('ModelsService', () => {
  beforeEach(() => {
    vi.stubGlobal('localStorage', memoryStorage());
  });

  it('start without a model in the URL: the bundled model, and the stored list (empty without private file storage)', async () => {
    const t = setup();
    const m = await t.models.start(null);
    expect(m.id).toBe(bundledManifest().id);
    expect(bundledManifest().encoderUrl).toBe('/app/models/encoder.onnx');
    expect(t.store.getState().models.stored).toEqual([]);
    expect(t.store.getState().models.urlModel).toBeNull();
  });

  it('a project opened gets its own model: the one chosen for it, else the bundled one', async () => {
    const t = setup();
    await t.models.start(null);
    t.store.getState().setModels({ stored: [stored('m1')] });
    localStorage.setItem('sam-annotator:model:p2', 'm1');
    t.engine.model = bundledManifest();

    t.store.setState({ projectId: 'p1' });
    await settle();
    // p1 chose nothing and the bundled model is loaded already
    expect(t.engine.switches).toEqual([]);

    t.store.setState({ projectId: 'p2' });
    await settle();
    expect(t.engine.switches).toEqual(['m1']);
    expect(t.store.getState().model).toMatchObject({ status: 'loading', id: 'm1', name: 'model m1' });

    t.store.setState({ projectId: 'p1' });
    await settle();
    expect(t.engine.switches).toEqual(['m1', bundledManifest().id]);
  });

  it('a project whose model is gone from this browser says so and uses the bundled model', async () => {
    const t = setup();
    await t.models.start(null);
    t.engine.model = storedModelManifest(stored('m1'));
    localStorage.setItem('sam-annotator:model:p1', 'gone');
    t.store.setState({ projectId: 'p1' });
    await settle();
    expect(t.notes('warning').map((n) => n.message)).toEqual([
      'The model this project used is no longer in this browser; it uses the bundled model now.',
    ]);
    expect(t.engine.switches).toEqual([bundledManifest().id]);
  });

  it('the model named by the URL wins: opening a project switches nothing, and choosing is refused', async () => {
    const t = setup();
    const url = { ...bundledManifest(), id: 'from-url', name: 'URL model' };
    expect(await t.models.start(url)).toBe(url);
    t.engine.model = url;
    t.store.getState().setModels({ stored: [stored('m1')] });
    localStorage.setItem('sam-annotator:model:p1', 'm1');
    t.store.setState({ projectId: 'p1' });
    await settle();
    expect(t.engine.switches).toEqual([]);

    const r = await t.models.chooseModel('m1');
    expect(r).toEqual({ ok: false, error: 'The page was opened with ?encoder= and ?decoder=, which choose the model.' });
    expect(t.notes('error')).toHaveLength(1);
    expect(t.engine.switches).toEqual([]);
  });

  it('choosing is refused while a pre-annotation runs', async () => {
    const t = setup({ running: true });
    await t.models.start(null);
    t.store.getState().setModels({ stored: [stored('m1')] });
    const r = await t.models.chooseModel('m1');
    expect(r).toEqual({ ok: false, error: 'A pre-annotation is running on the current model.' });
    expect(t.engine.switches).toEqual([]);
    expect(t.store.getState().model.status).not.toBe('loading');
  });

  it('choosing a model that is not in this browser is refused with a message', async () => {
    const t = setup();
    await t.models.start(null);
    const r = await t.models.chooseModel('nope');
    expect(r).toEqual({ ok: false, error: 'There is no model nope in this browser.' });
    expect(t.notes('error').map((n) => n.hint)).toEqual(['Add it in Models first.']);
    expect(t.engine.switches).toEqual([]);
  });

  it('choosing a model switches the engine, shows it loading, and remembers it for the project', async () => {
    const t = setup();
    await t.models.start(null);
    t.engine.model = bundledManifest();
    t.store.getState().setModels({ stored: [stored('m1')] });
    t.store.setState({ projectId: 'p1' });
    await settle();

    expect(await t.models.chooseModel('m1')).toEqual({ ok: true });
    expect(t.engine.switches).toEqual(['m1']);
    expect(t.store.getState().model).toMatchObject({ status: 'loading', id: 'm1' });
    expect(projectModelId('p1')).toBe('m1');
    expect(projectModelId('p2')).toBe(BUNDLED_MODEL_ID);

    // the model in use already: nothing to switch
    expect(await t.models.chooseModel('m1')).toEqual({ ok: true });
    expect(t.engine.switches).toEqual(['m1']);

    expect(await t.models.chooseModel(BUNDLED_MODEL_ID)).toEqual({ ok: true });
    expect(t.engine.switches).toEqual(['m1', bundledManifest().id]);
    expect(localStorage.getItem('sam-annotator:model:p1')).toBeNull();
  });

  it('removing the model in use is refused while a pre-annotation runs on it', async () => {
    const t = setup({ running: true });
    await t.models.start(null);
    t.engine.model = storedModelManifest(stored('m1'));
    expect(await t.models.removeModel('m1')).toEqual({ ok: false, error: 'A pre-annotation is running on this model.' });
    expect(t.engine.switches).toEqual([]);
  });

  it('adding a model in a browser without private file storage is refused with the reason; nothing stays "adding"', async () => {
    vi.stubGlobal('navigator', {});
    const t = setup();
    await t.models.start(null);
    const pair: InspectedPair = {
      ok: true,
      encoder: new File([new Uint8Array(4)], 'encoder.onnx'),
      decoder: new File([new Uint8Array(4)], 'decoder.onnx'),
      family: 'sam',
      encoderInput: 'image',
      encoderOutput: 'image_embeddings',
      name: 'mine',
    };
    const r = await t.models.addModel(pair);
    expect(r).toMatchObject({ ok: false, error: 'This browser has no private file storage for models.' });
    expect(t.notes('error').map((n) => n.message)).toEqual(['This browser has no private file storage for models.']);
    expect(t.store.getState().models.adding).toBeNull();
  });
});
