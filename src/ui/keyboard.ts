import { useEffect } from 'react';
import { useStore } from '../state/store.ts';

export const KEY_MAP: { keys: string; action: string }[] = [
  { keys: 'P', action: 'Points tool: left click = foreground, right click or Shift+click = background' },
  { keys: 'B', action: 'Box tool: drag a box; clicks afterwards add points to the same mask' },
  { keys: 'Enter', action: 'Accept the mask as an annotation of the current category' },
  { keys: 'Escape', action: 'Discard the current prompts' },
  { keys: '→ / ←', action: 'Next / previous image' },
  { keys: '1 – 9', action: 'Choose category 1 to 9' },
  { keys: 'Delete', action: 'Delete the selected annotation' },
  { keys: 'Wheel', action: 'Zoom at the cursor' },
  { keys: 'Space + drag, middle drag', action: 'Pan' },
];

function typingInto(t: EventTarget | null): boolean {
  return (
    t instanceof HTMLInputElement ||
    t instanceof HTMLTextAreaElement ||
    t instanceof HTMLSelectElement ||
    (t instanceof HTMLElement && t.isContentEditable)
  );
}

/** The app's global keys (ignored while typing in a field). */
export function useKeyboard(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typingInto(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const s = useStore.getState();
      const k = e.key;
      if (k === 'p' || k === 'P') s.setTool('points');
      else if (k === 'b' || k === 'B') s.setTool('box');
      else if (k === 'Enter') void s.accept();
      else if (k === 'Escape') s.discardPrompts();
      else if (k === 'ArrowRight') s.stepImage(1);
      else if (k === 'ArrowLeft') s.stepImage(-1);
      else if (/^[1-9]$/.test(k)) s.setCategoryByIndex(Number(k) - 1);
      else if ((k === 'Delete' || k === 'Backspace') && s.selectedAnnotationId !== null) s.deleteAnnotation(s.selectedAnnotationId);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
