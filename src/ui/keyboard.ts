import { createContext, useContext, useEffect } from 'react';
import { actionForKey, type ActionUi } from '../state/store/actions.ts';
import { useAppStore } from '../state/useApp.tsx';

function typingInto(t: EventTarget | null): boolean {
  return (
    t instanceof HTMLInputElement ||
    t instanceof HTMLTextAreaElement ||
    t instanceof HTMLSelectElement ||
    (t instanceof HTMLElement && t.isContentEditable)
  );
}

/** Open dialogs, newest last: while one is open it has the keyboard (Esc closes it). One per app (main.tsx). */
export class Modals {
  private readonly open: (() => void)[] = [];

  push(close: () => void): () => void {
    this.open.push(close);
    return () => {
      const i = this.open.lastIndexOf(close);
      if (i >= 0) this.open.splice(i, 1);
    };
  }

  /** How the newest open dialog closes (undefined: none is open). */
  top(): (() => void) | undefined {
    return this.open[this.open.length - 1];
  }
}

export const ModalsContext = createContext<Modals | null>(null);

function useModals(): Modals {
  const m = useContext(ModalsContext);
  if (!m) throw new Error('useModal() outside <ModalsContext.Provider> (see main.tsx)');
  return m;
}

/** Registers an open dialog (while `open`): Esc closes it and no key reaches the canvas behind it. */
export function useModal(open: boolean, close: () => void): void {
  const modals = useModals();
  useEffect(() => {
    if (!open) return;
    return modals.push(close);
  }, [open, close, modals]);
}

/** The app's keys, from the action table (ignored while typing in a field; a dialog takes them first). */
export function useKeyboard(ui: ActionUi): void {
  const store = useAppStore();
  const modals = useModals();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const top = modals.top();
      if (top) {
        if (e.key === 'Escape') {
          e.preventDefault();
          top();
        }
        return;
      }
      if (typingInto(e.target)) return;
      const action = actionForKey(e);
      if (!action) return;
      const s = store.getState();
      const enabled = action.enabled(s);
      if (!enabled && action.passThrough) return;
      e.preventDefault();
      if (enabled) action.perform(s, ui, e.key);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [ui, store, modals]);
}
