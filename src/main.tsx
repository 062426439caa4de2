import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { currentProject, startPersistence } from './state/persistence.ts';
import { setInitGate, startModel, useStore } from './state/store.ts';
import { App } from './ui/App.tsx';
import { installAutomation } from './ui/automation.ts';
import './ui/styles.css';

installAutomation();
startModel();

/** The bundled sample photos, so the first start has something to annotate. */
async function loadSamples(): Promise<void> {
  const startedIn = currentProject();
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
    await useStore.getState().addImageBlobs(items, 'if-none');
  } catch (e) {
    useStore.getState().notify('warning', `The sample photos could not be loaded: ${String(e)}`, 'Open your own images instead.');
  }
}
// the last project comes back as it was left; a first start gets the sample photos
const restoring = startPersistence();
setInitGate(restoring);
void restoring.then((restored) => (restored ? undefined : loadSamples()));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
