/**
 * The selected mask's handles, next to it on the canvas: fix it with the brush or eraser, change its
 * category, hide or lock it, delete it.
 */
import type { ViewTransform } from '../core/geometry.ts';
import { annotationIndex } from '../core/project/annotationIndex.ts';
import { useAppStore, useStore } from '../state/useApp.tsx';

export function SelectionHandles({ view }: { view: ViewTransform }) {
  const store = useAppStore();
  const selected = useStore((s) =>
    s.selectedAnnotationId === null ? null : (annotationIndex(s.project.annotations).byId.get(s.selectedAnnotationId) ?? null),
  );
  const categories = useStore((s) => s.project.categories);
  const tool = useStore((s) => s.tool);
  const drafting = useStore((s) => s.prompts.points.length > 0 || s.prompts.box !== null || s.strokes.length > 0);
  if (!selected || drafting) return null;
  const s = store.getState();
  const [x, y, w] = selected.bbox;
  const left = Math.max(4, view.x + (x + w) * view.scale + 6);
  const top = Math.max(4, view.y + y * view.scale);
  return (
    <div className="handles" data-testid="selection-handles" style={{ left, top }} onPointerDown={(e) => e.stopPropagation()}>
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
