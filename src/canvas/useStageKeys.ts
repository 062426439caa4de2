import { useEffect, useState } from 'react';
import type { AppStore } from '../state/store/store.ts';

/**
 * The stage's held keys: H hides every mask while held (to see the photo under them); Space held makes
 * a left drag pan. Returns whether Space is down.
 */
export function useStageKeys(store: AppStore): boolean {
  const [spaceDown, setSpaceDown] = useState(false);
  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      // hold H: every mask hidden, to see the photo under them
      if (
        (e.key === 'h' || e.key === 'H') &&
        !e.ctrlKey &&
        !e.metaKey &&
        !(e.target instanceof HTMLInputElement) &&
        !document.querySelector('[aria-modal="true"]')
      )
        store.getState().setPeek(true);
      if (e.code === 'Space' && !(e.target instanceof HTMLInputElement) && !document.querySelector('[aria-modal="true"]')) {
        setSpaceDown(true);
        e.preventDefault();
      }
    };
    const up = (e: KeyboardEvent) => {
      if (e.code === 'Space') setSpaceDown(false);
      if (e.key === 'h' || e.key === 'H') store.getState().setPeek(false);
    };
    const blur = () => store.getState().setPeek(false);
    window.addEventListener('blur', blur);
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
    };
  }, [store]);
  return spaceDown;
}
