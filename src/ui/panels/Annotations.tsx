import { memo, useMemo, useState } from 'react';
import type { Annotation, Category } from '../../core/project/types.ts';
import { annotationsOf } from '../../core/project/annotationIndex.ts';
import { annotationColor } from '../../core/project/palette.ts';
import { useAppStore, useStore } from '../../state/useApp.tsx';
import { coveredProposals } from '../../state/store/selectors.ts';
import { HideLockToggles } from './icons.tsx';
import type { ReviewMark } from '../../state/store/slices/team.ts';

type ReviewFilter = 'all' | 'undecided' | 'accepted' | 'rejected';

function matchesReview(mark: ReviewMark | undefined, show: ReviewFilter): boolean {
  if (show === 'all') return true;
  if (show === 'undecided') return !mark;
  return !!mark && (mark.decision === 'accept') === (show === 'accepted');
}

/** Rejecting the selected mask in a review (Delete): why, asked by the mask list; Enter rejects, Esc cancels. */
function RejectComment() {
  const store = useAppStore();
  const rejecting = useStore((s) => s.rejecting);
  if (rejecting === null) return null;
  return (
    <div className="row" data-testid="reject-comment">
      <input
        autoFocus
        aria-label="Why is the mask rejected"
        placeholder={`why #${rejecting} is rejected (optional): Enter rejects, Esc cancels`}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            store.getState().decideSelected('reject', e.currentTarget.value);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            store.getState().cancelReject();
          }
        }}
      />
    </div>
  );
}

/** The shown image's annotations: select, hide, lock, delete; the list scrolls on its own. */
/** One row; memoized, so selecting re-renders two rows, not hundreds. */
const Row = memo(function Row({
  a,
  category,
  color,
  selected,
  mark,
}: {
  a: Annotation;
  category: Category | undefined;
  /** the colour the canvas draws it in */
  color: string;
  selected: boolean;
  /** its latest review decision (server projects) */
  mark: ReviewMark | undefined;
}) {
  const store = useAppStore();
  const s = store.getState();
  const review = mark ? (mark.decision === 'accept' ? 'accepted' : 'rejected') : '';
  return (
    <li
      className={`${selected ? 'current' : ''}${review ? ` review-${review}` : ''}`}
      data-annotation={a.id}
      data-review={review}
      title={mark ? `${review} by ${mark.reviewer}${mark.comment ? `: ${mark.comment}` : ''}` : undefined}
      onClick={() => s.selectAnnotation(selected ? null : a.id)}
    >
      <span className="swatch" data-color={color} style={{ background: color }} />
      <span className="name">
        #{a.id} {category?.name ?? '?'}
        {a.review === 'pending' && <span className="badge"> proposal</span>}
        {mark && <span className={`badge decision ${review}`}> {mark.decision === 'accept' ? '✓' : '✗'}</span>}
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
  const marks = useStore((s) => s.reviewMarks);
  const [show, setShow] = useState<ReviewFilter>('all');
  const selected = useStore((s) => s.selectedAnnotationId);
  const list = useMemo(() => {
    const covered = coveredProposals(store.getState().project.annotations);
    return mine.filter((a) => !covered.has(a.id) && matchesReview(marks[a.id], show));
  }, [mine, store, marks, show]);
  const reviewed = mine.some((a) => marks[a.id]);
  const byId = useMemo(() => new Map(categories.map((c) => [c.id, c])), [categories]);
  return (
    <section className="annotations-panel">
      <h2>Annotations ({list.length})</h2>
      {(reviewed || show !== 'all') && (
        <select className="filter" aria-label="Show annotations" value={show} onChange={(e) => setShow(e.target.value as ReviewFilter)}>
          <option value="all">all masks</option>
          <option value="undecided">not decided yet</option>
          <option value="accepted">accepted</option>
          <option value="rejected">rejected</option>
        </select>
      )}
      <RejectComment />
      <ul className="annotations scroll">
        {list.map((a) => (
          <Row
            key={a.id}
            a={a}
            category={byId.get(a.categoryId)}
            color={annotationColor(colorBy, a.trackId ?? a.id, byId.get(a.categoryId)?.color)}
            selected={a.id === selected}
            mark={marks[a.id]}
          />
        ))}
      </ul>
    </section>
  );
}
