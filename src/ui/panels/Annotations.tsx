import { coveredProposals, useStore } from '../../state/store.ts';
import { EyeIcon, LockIcon } from './icons.tsx';

/** The shown image's annotations: select, hide, lock, delete; the list scrolls on its own. */
export function Annotations() {
  const current = useStore((s) => s.currentImageId);
  const all = useStore((s) => s.project.annotations);
  const categories = useStore((s) => s.project.categories);
  const selected = useStore((s) => s.selectedAnnotationId);
  const visibility = useStore((s) => s.visibility);
  const s = useStore.getState();
  const covered = coveredProposals(all);
  const list = all.filter((a) => a.imageId === current && !covered.has(a.id));
  return (
    <section className="annotations-panel">
      <h2>Annotations ({list.length})</h2>
      <ul className="annotations scroll">
        {list.map((a) => {
          const c = categories.find((x) => x.id === a.categoryId);
          const hidden = visibility.hiddenAnnotations.includes(a.id);
          const locked = visibility.lockedAnnotations.includes(a.id);
          return (
            <li
              key={a.id}
              className={a.id === selected ? 'current' : ''}
              onClick={() => s.selectAnnotation(a.id === selected ? null : a.id)}
            >
              <span className="swatch" style={{ background: c?.color }} />
              <span className="name">
                #{a.id} {c?.name ?? '?'}
                {a.review === 'pending' && <span className="badge"> proposal</span>}
              </span>
              <span className="count">{a.area} px</span>
              <button
                className={`icon${hidden ? ' on' : ''}`}
                aria-label={`${hidden ? 'Show' : 'Hide'} annotation ${a.id}`}
                aria-pressed={hidden}
                onClick={(e) => {
                  e.stopPropagation();
                  s.toggleVisibility('hiddenAnnotations', a.id);
                }}
              >
                <EyeIcon off={hidden} />
              </button>
              <button
                className={`icon${locked ? ' on' : ''}`}
                aria-label={`${locked ? 'Unlock' : 'Lock'} annotation ${a.id}`}
                aria-pressed={locked}
                onClick={(e) => {
                  e.stopPropagation();
                  s.toggleVisibility('lockedAnnotations', a.id);
                }}
              >
                <LockIcon locked={locked} />
              </button>
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
        })}
      </ul>
    </section>
  );
}
