/**
 * The app's context for the views (ui and canvas): the composition root's parts (appContext.ts) through React
 * context. Views read state with `useStore(selector)`, act through the store's actions
 * (`useAppStore().getState()`), and reach services (projects, sync, team, models, batch) and the
 * pixel registries (images, overlays) with `useApp()`; they import no value from io, inference or
 * workers.
 */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore as useZustand } from 'zustand';
import type { AppContext } from './appContext.ts';
import type { AppStore, StoreState } from './store/store.ts';

const Context = createContext<AppContext | null>(null);

export function AppProvider(props: { value: AppContext; children: ReactNode }) {
  return <Context.Provider value={props.value}>{props.children}</Context.Provider>;
}

/** The app's parts (store, services, registries). */
export function useApp(): AppContext {
  const ctx = useContext(Context);
  if (!ctx) throw new Error('useApp() outside <AppProvider> (see main.tsx)');
  return ctx;
}

/** The store itself, for actions and reads in event handlers (`useAppStore().getState()`). */
export function useAppStore(): AppStore {
  return useApp().store;
}

/** A slice of the state, re-rendering when it changes. */
export function useStore<T>(selector: (s: StoreState) => T): T {
  return useZustand(useApp().store, selector);
}
