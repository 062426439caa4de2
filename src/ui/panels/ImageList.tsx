import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { annotationIndex } from '../../core/project/annotationIndex.ts';
import { IMAGE_STATUS_TEXT, imageWorkStatuses, type ImageWorkStatus } from '../../core/project/imageStatus.ts';
import { assignmentOf, downloadPercent } from '../../state/store/selectors.ts';
import { useApp, useStore } from '../../state/useApp.tsx';
import { Projects } from '../Projects.tsx';
import { ServerPanel } from '../ServerPanel.tsx';

const FILTERS: { id: ImageWorkStatus | 'all'; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'not-started', label: 'Not started' },
  { id: 'in-progress', label: 'In progress' },
  { id: 'proposals', label: 'Proposals' },
  { id: 'done', label: 'Done' },
  { id: 'missing', label: 'Missing' },
];

/** Characters of a file name kept at its end when the row is too narrow (the part where names differ: `…0580.jpg`). */
const NAME_TAIL = 12;

// above the list, and not drawn again with it (a step re-renders the list; these read the store themselves)
const ProjectsPanel = memo(Projects);
const ServerSection = memo(ServerPanel);

/** A file name cut in the middle, not at the end: the start shrinks with an ellipsis, the end stays visible. */
function MiddleName({ name }: { name: string }) {
  const cut = Math.max(0, name.length - NAME_TAIL);
  return (
    <span className="name mid">
      <span className="head">{name.slice(0, cut)}</span>
      <span className="tail">{name.slice(cut)}</span>
    </span>
  );
}

/** A thumbnail, drawn when its row scrolls into view (decoded off the main thread, cached per file). */
function Thumb({ id, missing }: { id: number; missing: boolean }) {
  const { images } = useApp();
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || missing) return;
    let alive = true;
    const io = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      io.disconnect();
      images.thumbnail(id).then(
        (bmp) => {
          if (!alive) return;
          el.width = bmp.width;
          el.height = bmp.height;
          el.getContext('2d')?.drawImage(bmp, 0, 0);
        },
        () => undefined,
      );
    });
    io.observe(el);
    return () => {
      alive = false;
      io.disconnect();
    };
  }, [id, missing, images]);
  return <canvas ref={ref} className={`thumb${missing ? ' missing' : ''}`} width={48} height={36} aria-hidden="true" />;
}

/** Height of one row of the list (thumbnail and padding), px. */
const ROW_HEIGHT = 33;

/**
 * The project's images: thumbnails, work status with filters and counts, search by name. Only the
 * rows in view are in the page (a project of 10,000 images scrolls as one of 10), and the counts
 * come from the annotation index, so an accept does not walk every annotation.
 */
export function ImageList() {
  const { images: registry } = useApp();
  const images = useStore((s) => s.project.images);
  const annotations = useStore((s) => s.project.annotations);
  const current = useStore((s) => s.currentImageId);
  const embedding = useStore((s) => s.imageStatus);
  const imageJobs = useStore((s) => s.imageJobs);
  const downloads = useStore((s) => s.downloads);
  const linked = useStore((s) => s.sync.project !== null);
  const syncView = useStore((s) => s.sync);
  const assigned = (id: number) => assignmentOf({ imageJobs, sync: syncView }, id);
  const showImage = useStore((s) => s.showImage);
  const [filter, setFilter] = useState<ImageWorkStatus | 'all'>('all');
  const [query, setQuery] = useState('');
  // the file registry is outside the store: a number that changes whenever a file is opened or forgotten
  const files = useSyncExternalStore(registry.onChange, registry.version);
  const status = useMemo(
    () => imageWorkStatuses({ images, annotations }, (id) => registry.has(id)),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `files` stands for the registry `has` reads
    [images, annotations, files, registry],
  );
  const counts = useMemo(() => {
    const c: Record<string, number> = { all: images.length };
    for (const st of status.values()) c[st] = (c[st] ?? 0) + 1;
    return c;
  }, [status, images.length]);
  const byImage = annotationIndex(annotations).byImage;
  const q = query.trim().toLowerCase();
  const shown = useMemo(
    () => images.filter((im) => (filter === 'all' || status.get(im.id) === filter) && (!q || im.fileName.toLowerCase().includes(q))),
    [images, status, filter, q],
  );
  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- no React Compiler here; the virtualizer re-renders this list itself
  const rows = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  // the shown image's row stays in view as the keys step through the list
  const currentIndex = shown.findIndex((im) => im.id === current);
  useEffect(() => {
    if (currentIndex < 0) return;
    // from the virtualizer's own measures, no DOM read: a row already in view is left where it is
    // (scrollToIndex always scrolls, and a scroll right after React's commit forces a layout in the key's task)
    const top = rows.scrollOffset ?? 0;
    const height = rows.scrollRect?.height ?? 0;
    const start = currentIndex * ROW_HEIGHT;
    if (height > 0 && start >= top && start + ROW_HEIGHT <= top + height) return;
    // centred: stepping on, the next scroll is half a list away (at the edge, every step scrolled); in the next
    // animation frame, so the scroll's layout is not part of the key's task
    const frame = requestAnimationFrame(() => rows.scrollToIndex(currentIndex, { align: 'center' }));
    return () => cancelAnimationFrame(frame);
  }, [currentIndex, rows]);
  return (
    <nav className="panel images" aria-label="Images">
      <div className="images-top" data-testid="images-top">
        <ProjectsPanel />
        <ServerSection />
      </div>
      <h2>
        Images ({images.length}) <kbd title="Next / previous image not done">Shift+→</kbd>
      </h2>
      <div className="chips" role="group" aria-label="Image filter">
        {FILTERS.map((f) => (
          <button
            key={f.id}
            className={`chip${filter === f.id ? ' active' : ''}`}
            aria-pressed={filter === f.id}
            data-testid={`image-filter-${f.id}`}
            title={f.id === 'all' ? 'every image' : IMAGE_STATUS_TEXT[f.id]}
            onClick={() => setFilter(f.id)}
          >
            {f.id !== 'all' && <span className={`dot st-${f.id}`} />}
            {f.label} <span className="count">{counts[f.id] ?? 0}</span>
          </button>
        ))}
      </div>
      <input
        className="filter"
        placeholder="Search by name"
        aria-label="Search images"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <div className="image-list-scroll" ref={scroller}>
        <ul className="image-list" data-testid="image-list" style={{ height: rows.getTotalSize() }}>
          {rows.getVirtualItems().map((row) => {
            const im = shown[row.index]!;
            const st = status.get(im.id)!;
            const enc = embedding[im.id];
            const job = assigned(im.id);
            const dl = downloads[im.id];
            const pct = dl ? downloadPercent(dl) : null;
            // a server image not here yet is on its way or will be fetched when near the shown one: not "missing"
            const missingText = dl
              ? `downloading${pct !== null ? ` ${pct}%` : '…'}`
              : linked && im.sha256
                ? 'on the server'
                : 'file missing';
            return (
              <li
                key={im.id}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${row.start}px)` }}
                className={im.id === current ? 'current' : ''}
                data-status={st}
                data-embedding={enc ?? 'pending'}
                data-assigned={job ? (job.mine ? 'mine' : 'other') : ''}
                data-download={dl ? String(pct ?? 0) : ''}
                onClick={() => showImage(im.id)}
                title={`${im.fileName} — ${im.width}×${im.height} — ${st === 'missing' && (dl || (linked && im.sha256)) ? `its file is ${missingText}` : IMAGE_STATUS_TEXT[st]}${enc === 'encoding' ? ' (encoding…)' : ''}${job ? ` — ${job.text}` : ''}`}
              >
                <Thumb id={im.id} missing={st === 'missing'} />
                <span className={`dot st-${st}${enc === 'encoding' ? ' pulsing' : ''}`} />
                <MiddleName name={im.fileName} />
                {job && !job.mine && (
                  <span className={`assigned${job.refusal ? ' locked' : ''}`} aria-label={job.text}>
                    {imageJobs[im.id]?.annotator ?? 'job'}
                  </span>
                )}
                <span className="count">{st === 'missing' ? missingText : (byImage.get(im.id)?.length ?? 0)}</span>
              </li>
            );
          })}
        </ul>
        {shown.length === 0 && (
          <p className="muted">
            No image {filter === 'all' ? 'matches' : `is “${FILTERS.find((f) => f.id === filter)!.label.toLowerCase()}”`}.
          </p>
        )}
      </div>
    </nav>
  );
}
