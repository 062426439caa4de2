import { StrictMode } from 'react';
import { appErrorFromUnknown } from './core/errors.ts';
import { createRoot } from 'react-dom/client';
import { createAppContext, startApp, type AppContext } from './state/appContext.ts';
import { App } from './ui/App.tsx';
import { AppProvider } from './state/useApp.tsx';
import { installAutomation } from './ui/automation.ts';
import { Modals, ModalsContext } from './ui/keyboard.ts';
import { Viewport, ViewportContext } from './canvas/viewport.ts';
import './ui/styles.css';

// the composition root: every part of the app, made once (state/appContext.ts)
const ctx = createAppContext();
// the stage's view, readable outside React (the toolbar's zoom, automation)
const viewport = new Viewport();
// open dialogs, newest last (they take the keyboard)
const modals = new Modals();
installAutomation(ctx, viewport);

// a failure nobody caught still gets a readable message (never a raw error object), and is logged
addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => {
  const err = appErrorFromUnknown(e.reason);
  console.error('unhandled rejection:', e.reason);
  ctx.store
    .getState()
    .notify('error', `Something failed: ${err.message}`, err.hint || 'Your saved work is kept. If it happens again, reload the page.');
});

/** The bundled sample photos, so the first start has something to annotate. */
async function loadSamples(c: AppContext, startedIn: string): Promise<void> {
  // another project opened or started since start-up (a quick "New") does not get them
  if (c.projects.current() !== startedIn) return;
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
    if (c.projects.current() !== startedIn) return;
    await c.store.getState().addImageBlobs(items, 'if-none', true);
  } catch (e) {
    c.store.getState().notify('warning', `The sample photos could not be loaded: ${String(e)}`, 'Open your own images instead.');
  }
}
// the last project comes back as it was left; a first start gets the sample photos
const restoring = startApp(ctx);
// the samples are added between project operations, only to the project start-up made; queued at
// once, right behind start-up, so that files opened meanwhile wait for them and land after them (they
// used to be added in between a user's files, depending on timing)
void ctx.projects.task(async () => {
  if (!(await restoring)) await loadSamples(ctx, ctx.projects.current());
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppProvider value={ctx}>
      <ViewportContext.Provider value={viewport}>
        <ModalsContext.Provider value={modals}>
          <App />
        </ModalsContext.Provider>
      </ViewportContext.Provider>
    </AppProvider>
  </StrictMode>,
);
