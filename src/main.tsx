import { StrictMode } from 'react';
import { appErrorFromUnknown } from './core/errors.ts';
import { createRoot } from 'react-dom/client';
import { InferenceEngine } from './inference/engine.ts';
import { imageBlob } from './io/images.ts';
import { currentProject, ProjectIds, projectsSettled, projectTask, startPersistence } from './state/services/persistence.ts';
import { installPreannotate } from './state/services/batch.ts';
import { startSync } from './state/services/sync.ts';
import { browserIo, engineEvents, startModel } from './state/services/startup.ts';
import { createAppStore, installStore, type AppStore } from './state/store/store.ts';
import { App } from './ui/App.tsx';
import { installAutomation } from './ui/automation.ts';
import './ui/styles.css';

// the engine is made first and handed to the store; its events reach the store once it exists
let store: AppStore | null = null;
const engine = new InferenceEngine(
  (id) => imageBlob(id),
  engineEvents(() => store!),
);
const ids = new ProjectIds();
store = createAppStore({ engine, io: browserIo, ids });
installStore(store);
installPreannotate(engine);
installAutomation(store, engine);
startModel(store, engine);

// a failure nobody caught still gets a readable message (never a raw error object), and is logged
addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => {
  const err = appErrorFromUnknown(e.reason);
  console.error('unhandled rejection:', e.reason);
  store
    ?.getState()
    .notify('error', `Something failed: ${err.message}`, err.hint || 'Your saved work is kept. If it happens again, reload the page.');
});

/** The bundled sample photos, so the first start has something to annotate. */
async function loadSamples(s: AppStore, startedIn: string): Promise<void> {
  // another project opened or started since start-up (a quick "New") does not get them
  if (currentProject() !== startedIn) return;
  try {
    const base = new URL('samples/', document.baseURI);
    const names = (await (await fetch(new URL('index.json', base))).json()) as string[];
    const items = await Promise.all(
      names.map(async (name) => {
        const res = await fetch(new URL(name, base));
        return { blob: await res.blob(), name };
      }),
    );
    // files the user opened meanwhile stay shown; a project started meanwhile does not get the samples
    if (currentProject() !== startedIn) return;
    await s.getState().addImageBlobs(items, 'if-none', true);
  } catch (e) {
    s.getState().notify('warning', `The sample photos could not be loaded: ${String(e)}`, 'Open your own images instead.');
  }
}
// sync with a project server (when the app was opened from one) hears of every project opened
startSync(store, ids);
// the last project comes back as it was left; a first start gets the sample photos
const restoring = startPersistence(store, ids);
store.getState().setInitGate(projectsSettled);
// the samples are added between project operations, only to the project start-up made; queued at
// once, right behind start-up, so that files opened meanwhile wait for them and land after them (they
// used to be added in between a user's files, depending on timing)
void projectTask(async () => {
  if (!(await restoring)) await loadSamples(store, currentProject());
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
