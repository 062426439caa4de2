import { useEffect } from 'react';
import { useStore } from '../state/store.ts';

export const KEY_MAP: { keys: string; action: string }[] = [
  { keys: 'P', action: 'Points tool: left click = foreground, right click or Shift+click = background' },
  { keys: 'B', action: 'Box tool: drag a box; clicks afterwards add points to the same mask' },
  { keys: 'Enter', action: 'Accept the mask as an annotation of the current category' },
  { keys: 'Escape', action: 'Discard the current prompts' },
  { keys: '→ / ←', action: 'Next / previous image' },
  { keys: '1 – 9', action: 'Choose category 1 to 9' },
  { keys: 'D', action: 'Brush: paint onto the mask (left button held)' },
  { keys: 'E', action: 'Eraser: paint out of the mask' },
  { keys: '[ / ]', action: 'Brush size smaller / larger' },
  { keys: 'Ctrl+Z', action: 'Undo (prompts, strokes, accept, delete, categories)' },
  { keys: 'Ctrl+Shift+Z, Ctrl+Y', action: 'Redo' },
  { keys: 'Delete', action: 'Delete the selected annotation (reject the selected proposal)' },
  { keys: 'Enter (proposal selected)', action: 'Accept the machine-made proposal as it is, then select the next' },
  { keys: 'N / Shift+N', action: 'Next / previous proposal of this image to review' },
  { keys: 'D, E (proposal selected)', action: 'Fix the proposal with the brush / eraser, then Enter' },
  { keys: '1 – 9 (annotation selected)', action: 'Change the selected annotation’s category' },
  { keys: '?', action: 'Show or hide this list of keys' },
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
export function useKeyboard(onHelp?: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typingInto(e.target)) return;
      const s = useStore.getState();
      const k = e.key;
      if ((e.ctrlKey || e.metaKey) && !e.altKey) {
        const key = k.toLowerCase();
        if (key === 'z' && !e.shiftKey) s.undo();
        else if ((key === 'z' && e.shiftKey) || key === 'y') s.redo();
        else return;
        e.preventDefault();
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (k === 'p' || k === 'P') s.setTool('points');
      else if (k === 'b' || k === 'B') s.setTool('box');
      else if (k === 'd' || k === 'D') s.setTool('brush');
      else if (k === 'e' || k === 'E') s.setTool('eraser');
      else if (k === '[') s.setBrushRadius(s.brushRadius / 1.25);
      else if (k === ']') s.setBrushRadius(s.brushRadius * 1.25);
      else if (k === '?') onHelp?.();
      else if (k === 'Enter') void s.accept();
      else if (k === 'n') s.stepProposal(1);
      else if (k === 'N') s.stepProposal(-1);
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
  }, [onHelp]);
}
