import { useEffect, useMemo, useRef, useState } from 'react';
import { IMAGE_STATUS_TEXT, imageWorkStatuses, type ImageWorkStatus } from '../../core/project/imageStatus.ts';
import { imageBlob, thumbnail } from '../../io/images.ts';
import { useStore } from '../../state/store.ts';
import { Projects } from '../Projects.tsx';

const FILTERS: { id: ImageWorkStatus | 'all'; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'not-started', label: 'Not started' },
  { id: 'in-progress', label: 'In progress' },
  { id: 'proposals', label: 'Proposals' },
  { id: 'done', label: 'Done' },
  { id: 'missing', label: 'Missing' },
];

/** A thumbnail, drawn when its row scrolls into view (decoded off the main thread, cached per file). */
function Thumb({ id, missing }: { id: number; missing: boolean }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || missing) return;
    let alive = true;
    const io = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      io.disconnect();
      thumbnail(id).then(
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
  }, [id, missing]);
  return <canvas ref={ref} className={`thumb${missing ? ' missing' : ''}`} width={48} height={36} aria-hidden="true" />;
}

/** The project's images: thumbnails, work status with filters and counts, search by name. */
export function ImageList() {
  const images = useStore((s) => s.project.images);
  const annotations = useStore((s) => s.project.annotations);
  const current = useStore((s) => s.currentImageId);
  const embedding = useStore((s) => s.imageStatus);
  const showImage = useStore((s) => s.showImage);
  const [filter, setFilter] = useState<ImageWorkStatus | 'all'>('all');
  const [query, setQuery] = useState('');
  // the file registry is outside the store: which images have no file, as a key that changes when one is opened
  const missingKey = useStore((s) =>
    s.project.images
      .filter((im) => !imageBlob(im.id))
      .map((im) => im.id)
      .join(','),
  );
  const status = useMemo(() => {
    const missing = new Set(missingKey.split(',').filter(Boolean).map(Number));
    return imageWorkStatuses({ images, annotations }, (id) => !missing.has(id));
  }, [images, annotations, missingKey]);
  const counts = useMemo(() => {
    const c: Record<string, number> = { all: images.length };
    for (const st of status.values()) c[st] = (c[st] ?? 0) + 1;
    return c;
  }, [status, images.length]);
  const perImage = useMemo(() => {
    const n = new Map<number, number>();
    for (const a of annotations) n.set(a.imageId, (n.get(a.imageId) ?? 0) + 1);
    return n;
  }, [annotations]);
  const q = query.trim().toLowerCase();
  const shown = images.filter((im) => (filter === 'all' || status.get(im.id) === filter) && (!q || im.fileName.toLowerCase().includes(q)));
  return (
    <nav className="panel images" aria-label="Images">
      <Projects />
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
      <ul className="image-list" data-testid="image-list">
        {shown.map((im) => {
          const st = status.get(im.id)!;
          const enc = embedding[im.id];
          return (
            <li
              key={im.id}
              className={im.id === current ? 'current' : ''}
              data-status={st}
              data-embedding={enc ?? 'pending'}
              onClick={() => showImage(im.id)}
              title={`${im.fileName} — ${im.width}×${im.height} — ${IMAGE_STATUS_TEXT[st]}${enc === 'encoding' ? ' (encoding…)' : ''}`}
            >
              <Thumb id={im.id} missing={st === 'missing'} />
              <span className={`dot st-${st}${enc === 'encoding' ? ' pulsing' : ''}`} />
              <span className="name">{im.fileName}</span>
              <span className="count">{st === 'missing' ? 'file missing' : (perImage.get(im.id) ?? 0)}</span>
            </li>
          );
        })}
        {shown.length === 0 && (
          <li className="muted">
            No image {filter === 'all' ? 'matches' : `is “${FILTERS.find((f) => f.id === filter)!.label.toLowerCase()}”`}.
          </li>
        )}
      </ul>
    </nav>
  );
}
