/**
 * The selected mask's handles, next to it on the canvas: fix it with the brush or eraser, change its
 * category, hide or lock it, delete it.
 */
import { useLayoutEffect, useRef, useState } from 'react';
import type { ViewTransform } from '../core/geometry.ts';
import { handlesPosition } from './handlesPosition.ts';
import { annotationIndex } from '../core/project/annotationIndex.ts';
import { useAppStore, useStore } from '../state/useApp.tsx';

export function SelectionHandles({ view, stage }: { view: ViewTransform; stage: { width: number; height: number } }) {
  const box = useRef<HTMLDivElement>(null);
  const [own, setOwn] = useState({ width: 0, height: 0 });
  const store = useAppStore();
  const selected = useStore((s) =>
    s.selectedAnnotationId === null ? null : (annotationIndex(s.project.annotations).byId.get(s.selectedAnnotationId) ?? null),
  );
  const categories = useStore((s) => s.project.categories);
  const tool = useStore((s) => s.tool);
  const drafting = useStore((s) => s.prompts.points.length > 0 || s.prompts.box !== null || s.strokes.length > 0);
  const shown = !!selected && !drafting;
  // its own size, measured before the browser paints, places it (the category names change its width)
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = el.offsetWidth;
    const height = el.offsetHeight;
    setOwn((o) => (o.width === width && o.height === height ? o : { width, height }));
  }, [shown, selected, categories]);
  if (!shown) return null;
  const s = store.getState();
  const { left, top } = handlesPosition(selected.bbox, view, stage, own);
  return (
    <div ref={box} className="handles" data-testid="selection-handles" style={{ left, top }} onPointerDown={(e) => e.stopPropagation()}>
      <span className="handles-title">#{selected.id}</span>
      <button className={tool === 'brush' ? 'active' : ''} title="Fix with the brush (D), then Enter" onClick={() => s.setTool('brush')}>
        Brush
      </button>
      <button className={tool === 'eraser' ? 'active' : ''} title="Fix with the eraser (E), then Enter" onClick={() => s.setTool('eraser')}>
        Eraser
      </button>
      <select
        aria-label="Category of the selected annotation"
        value={selected.categoryId}
        onChange={(e) => store.getState().setCurrentCategory(Number(e.target.value))}
      >
        {categories.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
      <button title="Hide this annotation" onClick={() => s.toggleVisibility('hiddenAnnotations', selected.id)}>
        Hide
      </button>
      <button title="Lock: not selectable on the canvas" onClick={() => s.toggleVisibility('lockedAnnotations', selected.id)}>
        Lock
      </button>
      <button title="Delete (Delete)" onClick={() => s.deleteAnnotation(selected.id)}>
        Delete
      </button>
    </div>
  );
}
