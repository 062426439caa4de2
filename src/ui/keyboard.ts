import { useEffect } from 'react';
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

/** Open dialogs, newest last: while one is open it has the keyboard (Esc closes it). */
const modals: (() => void)[] = [];

/** Registers an open dialog (while `open`): Esc closes it and no key reaches the canvas behind it. */
export function useModal(open: boolean, close: () => void): void {
  useEffect(() => {
    if (!open) return;
    modals.push(close);
    return () => {
      const i = modals.lastIndexOf(close);
      if (i >= 0) modals.splice(i, 1);
    };
  }, [open, close]);
}

/** The app's keys, from the action table (ignored while typing in a field; a dialog takes them first). */
export function useKeyboard(ui: ActionUi): void {
  const store = useAppStore();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const top = modals[modals.length - 1];
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
  }, [ui, store]);
}
