/**
 * Says on the canvas whose job the shown image is in, when it is not the user's own: no mask can be
 * made there (the tools refuse, and say so), or an admin edits another person's job.
 */
import { useMemo } from 'react';
import { assignmentOf } from '../state/store/selectors.ts';
import { useStore } from '../state/useApp.tsx';

export function JobBanner() {
  // the parts, not the answer: a selector that makes a new object each time would re-render forever
  const job = useStore((s) => (s.currentImageId === null ? undefined : s.imageJobs[s.currentImageId]));
  const sync = useStore((s) => s.sync);
  const imageId = useStore((s) => s.currentImageId);
  const a = useMemo(
    () => assignmentOf({ imageJobs: job && imageId !== null ? { [imageId]: job } : {}, sync }, imageId),
    [job, sync, imageId],
  );
  if (!a || (a.mine && !a.refusal)) return null;
  return (
    <div
      className={`job-banner${a.refusal ? ' locked' : ''}`}
      data-testid="job-banner"
      data-locked={a.refusal ? 'true' : 'false'}
      role="note"
    >
      {a.text}
    </div>
  );
}
