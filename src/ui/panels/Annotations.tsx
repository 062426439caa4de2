import { memo, useMemo } from 'react';
import type { Annotation, Category } from '../../core/project/types.ts';
import { annotationsOf } from '../../core/project/annotationIndex.ts';
import { annotationColor } from '../../core/project/palette.ts';
import { useAppStore, useStore } from '../../state/useApp.tsx';
import { coveredProposals } from '../../state/store/selectors.ts';
import { HideLockToggles } from './icons.tsx';

/** The shown image's annotations: select, hide, lock, delete; the list scrolls on its own. */
/** One row; memoized, so selecting re-renders two rows, not hundreds. */
const Row = memo(function Row({
  a,
  category,
  color,
  selected,
}: {
  a: Annotation;
  category: Category | undefined;
  /** the colour the canvas draws it in */
  color: string;
  selected: boolean;
}) {
  const store = useAppStore();
  const s = store.getState();
  return (
    <li className={selected ? 'current' : ''} onClick={() => s.selectAnnotation(selected ? null : a.id)}>
      <span className="swatch" data-color={color} style={{ background: color }} />
      <span className="name">
        #{a.id} {category?.name ?? '?'}
        {a.review === 'pending' && <span className="badge"> proposal</span>}
      </span>
      <span className="count">{a.area} px</span>
      <HideLockToggles kind="annotation" id={a.id} name={`annotation ${a.id}`} />
      <button
        aria-label={`Delete annotation ${a.id}`}
        onClick={(e) => {
          e.stopPropagation();
          s.deleteAnnotation(a.id);
        }}
      >
        ✕
      </button>
    </li>
  );
});

/** The shown image's annotations: select, hide, lock, delete; the list scrolls on its own. */
export function Annotations() {
  const store = useAppStore();
  const current = useStore((s) => s.currentImageId);
  const mine = useStore((s) => annotationsOf(s.project.annotations, current));
  const categories = useStore((s) => s.project.categories);
  const colorBy = useStore((s) => s.display.colorBy);
  const selected = useStore((s) => s.selectedAnnotationId);
  const list = useMemo(() => {
    const covered = coveredProposals(store.getState().project.annotations);
    return mine.filter((a) => !covered.has(a.id));
  }, [mine, store]);
  const byId = useMemo(() => new Map(categories.map((c) => [c.id, c])), [categories]);
  return (
    <section className="annotations-panel">
      <h2>Annotations ({list.length})</h2>
      <ul className="annotations scroll">
        {list.map((a) => (
          <Row
            key={a.id}
            a={a}
            category={byId.get(a.categoryId)}
            color={annotationColor(colorBy, a.id, byId.get(a.categoryId)?.color)}
            selected={a.id === selected}
          />
        ))}
      </ul>
    </section>
  );
}
