/**
 * A job's history for the people on it (issue 28): every move with who made it, when and why, so the
 * annotator sees why their job was sent back, and still sees it after resubmitting.
 */
import { useEffect, useState } from 'react';
import type { ServerJob, ServerJobEvent } from '../io/serverApi.ts';
import { useApp } from '../state/useApp.tsx';

const MOVE: Partial<Record<ServerJob['state'], string>> = {
  annotating: 'started',
  in_review: 'submitted',
  done: 'accepted',
  rejected: 'sent back',
};

function moveText(e: ServerJobEvent): string {
  if (e.from === 'rejected' && e.to === 'annotating') return `resumed by ${e.by}`;
  if (e.from === 'done' && e.to === 'in_review') return `reopened by ${e.by}`;
  return `${MOVE[e.to] ?? e.to.replace('_', ' ')} by ${e.by}`;
}

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });

/** The job's moves, loaded when `version` changes (the job moved). */
export function useJobHistory(jobId: number, version: string): ServerJobEvent[] {
  const { team } = useApp();
  const [events, setEvents] = useState<ServerJobEvent[]>([]);
  useEffect(() => {
    let live = true;
    team.jobHistory(jobId).then(
      (e) => live && setEvents(e),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [team, jobId, version]);
  return events;
}

/** The last time the job was sent back, and why: shown with the job while it is the annotator's to fix. */
export function SentBack({ events }: { events: readonly ServerJobEvent[] }) {
  const last = [...events].reverse().find((e) => e.to === 'rejected');
  if (!last) return null;
  return (
    <p className="job-comment" data-testid="job-comment">
      Sent back by {last.by} ({when(last.at)}){last.comment ? `: “${last.comment}”` : ''}
    </p>
  );
}

/** Every move of the job, oldest first. */
export function JobHistoryList({ events }: { events: readonly ServerJobEvent[] }) {
  if (!events.length) return <p className="muted">No moves yet.</p>;
  return (
    <ol className="job-history" data-testid="job-history">
      {events.map((e, i) => (
        <li key={i}>
          <span>{moveText(e)}</span> <span className="muted">{when(e.at)}</span>
          {e.comment && <div className="comment">“{e.comment}”</div>}
        </li>
      ))}
    </ol>
  );
}
