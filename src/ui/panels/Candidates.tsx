import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { CandidatePreviews } from '../../inference/overlays.ts';
import { useApp, useStore } from '../../state/useApp.tsx';

const SIDE = 72;

/** One candidate: the image's pixels around the click with the candidate's mask over them. */
function Preview({ previews, index, imageWidth }: { previews: CandidatePreviews; index: number; imageWidth: number }) {
  const { images } = useApp();
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let alive = true;
    const bitmap = previews.bitmaps[index];
    const canvas = ref.current;
    if (!bitmap || !canvas) return;
    const [x, y, w, h] = previews.box;
    const k = SIDE / Math.max(w, h);
    canvas.width = Math.max(1, Math.round(w * k));
    canvas.height = Math.max(1, Math.round(h * k));
    images.preview(previews.imageId).then(
      (img) => {
        const ctx = canvas.getContext('2d');
        if (!alive || !ctx) return;
        // the preview copy may be smaller than the image
        const s = img.width / imageWidth;
        ctx.drawImage(img, x * s, y * s, w * s, h * s, 0, 0, canvas.width, canvas.height);
        ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      },
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [previews, index, imageWidth, images]);
  return <canvas ref={ref} className="candidate-preview" />;
}

/**
 * SAM's candidates for an ambiguous prompt (one click, or a box alone): whole, part and sub-part,
 * with their predicted IoU. Tab / Shift+Tab or a click shows another; the next click refines it.
 */
export function Candidates() {
  const { store, overlays } = useApp();
  const candidates = useStore((s) => s.candidates);
  const shown = useStore((s) => s.candidateShown);
  const imageWidth = useStore((s) => s.project.images.find((i) => i.id === s.currentImageId)?.width ?? 0);
  const available = useStore((s) => s.model.candidates);
  useSyncExternalStore(overlays.subscribe, overlays.getVersion);
  const previews = overlays.getCandidates();
  if (available === false)
    return (
      <p className="muted" data-testid="candidates-unavailable">
        This decoder returns one mask per click: no candidates to choose from.
      </p>
    );
  if (candidates.length < 2) return null;
  return (
    <div className="candidates" data-testid="candidates" role="radiogroup" aria-label="Mask candidates (Tab)">
      {candidates.map((c, i) => (
        <button
          key={c.token}
          role="radio"
          aria-checked={c.token === shown}
          className={c.token === shown ? 'candidate active' : 'candidate'}
          data-testid={`candidate-${c.token}`}
          data-token={c.token}
          title={`Candidate ${i + 1}: predicted IoU ${c.predictedIou.toFixed(3)} (Tab / Shift+Tab)`}
          onClick={() => store.getState().chooseCandidate(c.token)}
        >
          {previews && previews.bitmaps.length === candidates.length && imageWidth > 0 && (
            <Preview previews={previews} index={i} imageWidth={imageWidth} />
          )}
          <span>IoU {c.predictedIou.toFixed(2)}</span>
        </button>
      ))}
    </div>
  );
}
