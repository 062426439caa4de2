import { useEffect, useRef, useState } from 'react';
import type { ServerJob, ServerReview } from '../io/serverApi.ts';
import { useApp, useStore } from '../state/useApp.tsx';
import { JobHistoryList, SentBack, useJobHistory } from './JobHistory.tsx';

/** One of the user's jobs to work on: its buttons, why it was last sent back, and its history. */
function JobWithHistory({ job, children, testId }: { job: ServerJob; children: React.ReactNode; testId: string }) {
  const events = useJobHistory(job.id, job.state);
  return (
    <div className="job" data-testid={testId} data-job={job.id} data-state={job.state}>
      <div className="row">{children}</div>
      {job.state !== 'done' && <SentBack events={events} />}
      {events.length > 0 && (
        <details className="fold">
          <summary className="sub">History ({events.length})</summary>
          <JobHistoryList events={events} />
        </details>
      )}
    </div>
  );
}

const STATE_LABEL: Record<ServerJob['state'], string> = {
  new: 'new',
  annotating: 'annotating',
  in_review: 'in review',
  done: 'done',
  rejected: 'sent back',
};

/**
 * The user's jobs in the open server project (issue 14): jobs to annotate (start, submit for review,
 * resume after being sent back) and to review (accept or reject masks with a comment, accept the job
 * or send it back), and the reviewers' comments on the shown image's masks.
 */
export function JobsPanel() {
  const app = useApp();
  const sync = useStore((s) => s.sync);
  const currentImageId = useStore((s) => s.currentImageId);
  const selected = useStore((s) => s.selectedAnnotationId);
  const notify = useStore((s) => s.notify);
  const [queue, setQueue] = useState<{ annotate: ServerJob[]; review: ServerJob[] }>({ annotate: [], review: [] });
  const [reviews, setReviews] = useState<ServerReview[]>([]);
  const [all, setAll] = useState<ServerJob[]>([]);
  /** the user's own jobs that are out of their hands (in review, done): kept in view with their history */
  const [handedIn, setHandedIn] = useState<ServerJob[]>([]);
  const [comment, setComment] = useState('');
  const [tick, setTick] = useState(0);
  /** the states of my jobs at the last load */
  const seen = useRef(new Map<number, ServerJob['state']>());
  const loaded = useRef(false);
  const linked = sync.project?.id ?? null;

  useEffect(() => {
    // another project: its jobs are new, nothing to tell about them
    loaded.current = false;
    seen.current = new Map();
  }, [linked]);
  useEffect(() => {
    // another project, or none: the jobs known are not its
    app.store.getState().setProjectJobs([]);
    app.store.getState().setReviews([]);
    if (linked === null || !sync.user) return;
    let live = true;
    const load = () => {
      app.team.myQueue().then(
        (q) => {
          if (!live) return;
          // a job of mine sent back, or one given to me to review: said at once
          const before = seen.current;
          const first = !loaded.current;
          loaded.current = true;
          for (const j of q.annotate)
            if (!first && j.state === 'rejected' && before.get(j.id) !== 'rejected')
              app.store
                .getState()
                .notify('warning', `“${j.name}” was sent back for fixes.`, 'The reviewer’s comments are by the masks they concern.');
          for (const j of q.review)
            if (!first && !before.has(j.id)) app.store.getState().notify('info', `“${j.name}” waits for your review.`);
          seen.current = new Map([...q.annotate, ...q.review].map((j) => [j.id, j.state]));
          setQueue(q);
        },
        () => undefined,
      );
      app.team.jobReviews().then(
        (r) => {
          if (!live) return;
          setReviews(r);
          app.store.getState().setReviews(r);
        },
        () => undefined,
      );
      // every member: whose job each image is in (the list and the canvas say so, the tools follow it)
      app.team.projectJobs().then(
        (j) => {
          if (!live) return;
          app.store.getState().setProjectJobs(j);
          if (sync.project?.role === 'admin') setAll(j);
          const me = app.store.getState().sync.user?.username;
          setHandedIn(j.filter((x) => x.annotator === me && (x.state === 'in_review' || x.state === 'done')));
        },
        () => undefined,
      );
    };
    load();
    const t = setInterval(load, 15_000);
    return () => {
      live = false;
      clearInterval(t);
    };
    // the server says when jobs move or reviews land (a slow poll stays, for a missed notice)
  }, [linked, sync.user, sync.project?.role, tick, sync.jobsChanged, app]);

  // the job of the shown image, for its keys (J; reviewing: Enter accepts, Delete rejects the selected mask)
  const reviewJob = queue.review.find((j) => currentImageId !== null && j.imageIds.includes(currentImageId)) ?? null;
  const workJob =
    reviewJob ??
    queue.annotate.find((j) => j.state === 'annotating' && currentImageId !== null && j.imageIds.includes(currentImageId)) ??
    null;
  // the focus follows the job objects (new ones only when the server's lists are loaded again), not every render
  useEffect(() => {
    const s = app.store.getState();
    if (!workJob) return s.setJobFocus(null);
    const prev = s.jobFocus?.jobId === workJob.id && s.jobFocus.reviewing === !!reviewJob ? s.jobFocus.decided : [];
    // each mask's latest decision on the server (a later rejection undoes an acceptance)
    const latest = new Map<number, string>();
    for (const r of reviews) if (reviewJob && r.jobId === reviewJob.id) latest.set(r.annotationId, r.decision);
    const fromServer = [...latest].filter(([, d]) => d === 'accept').map(([id]) => id);
    s.setJobFocus({
      jobId: workJob.id,
      name: workJob.name,
      imageIds: workJob.imageIds,
      reviewing: !!reviewJob,
      decided: [...new Set([...prev, ...fromServer])].sort((a, b) => a - b),
    });
  }, [workJob, reviewJob, reviews, app]);
  useEffect(
    () => () => {
      app.store.getState().setJobFocus(null);
      app.store.getState().setProjectJobs([]);
    },
    [app],
  );

  if (linked === null || !sync.user) return null;
  const refresh = () => setTick((t) => t + 1);
  const act = (what: string, fn: () => Promise<unknown>) =>
    void fn().then(refresh, (e: unknown) => notify('error', `${what} failed: ${e instanceof Error ? e.message : String(e)}`));
  const show = (job: ServerJob) => {
    const first = job.imageIds.find((id) => app.store.getState().project.images.some((im) => im.id === id));
    if (first !== undefined) app.store.getState().showImage(first);
  };
  /** The job's image after the shown one (the first after the last). */
  const next = (job: ServerJob) => {
    const here = job.imageIds.indexOf(currentImageId ?? -1);
    const id = job.imageIds[(here + 1) % job.imageIds.length];
    if (id !== undefined) app.store.getState().showImage(id);
  };
  const split = (form: HTMLFormElement) => {
    const f = new FormData(form);
    const annotators = String(f.get('annotators') ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const reviewer = String(f.get('reviewer') ?? '').trim();
    const nameFilter = String(f.get('filterName') ?? '').trim();
    const has = String(f.get('filterHas') ?? '');
    act('Making jobs', async () => {
      const made = await app.team.createJobs({
        split: f.get('by') === 'folder' ? { by: 'folder' } : { by: 'count', size: Number(f.get('size') ?? 50) },
        ...(nameFilter || has
          ? {
              filter: {
                ...(nameFilter ? { name: nameFilter } : {}),
                ...(has ? { has: has as 'nothing' | 'proposals' | 'annotations' } : {}),
              },
            }
          : {}),
        annotators,
        reviewer: reviewer || null,
        name: 'Job',
      });
      notify('info', `${made.length} job(s) made.`);
      form.reset();
    });
  };
  // the latest decision per mask of the shown image
  const latest = new Map<number, ServerReview>();
  for (const r of reviews) if (r.imageId === currentImageId) latest.set(r.annotationId, r);
  const reviewing = queue.review.find((j) => currentImageId !== null && j.imageIds.includes(currentImageId));

  return (
    <div className="jobs" data-testid="jobs-panel">
      <p className="sub">Your jobs</p>
      {queue.annotate.length + queue.review.length + handedIn.length === 0 && <p className="muted">No job for you in this project.</p>}
      {sync.project?.role === 'admin' && all.length > 0 && (
        <>
          <p className="sub">All jobs</p>
          <ul className="all-jobs" data-testid="all-jobs">
            {all.map((j) => (
              <li key={j.id} data-job={j.id} data-state={j.state}>
                <button className="link" onClick={() => show(j)}>
                  {j.name}
                </button>{' '}
                <span className="muted">
                  {STATE_LABEL[j.state]} · {j.imageIds.length} img · {j.annotator ?? 'no annotator'} / {j.reviewer ?? 'no reviewer'}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      {sync.project?.role === 'admin' && <p className="sub">Make jobs of the images in no job yet</p>}
      {sync.project?.role === 'admin' && (
        <form
          className="row"
          aria-label="Make jobs"
          onSubmit={(e) => {
            e.preventDefault();
            split(e.currentTarget);
          }}
        >
          <select name="by" aria-label="Split jobs by" defaultValue="count">
            <option value="count">by count</option>
            <option value="folder">by folder</option>
          </select>
          <input name="size" type="number" min={1} defaultValue={50} aria-label="Images per job" title="Images per job" />
          <input name="filterName" aria-label="Only images named" placeholder="only names (street/*)" />
          <select name="filterHas" aria-label="Only images that have" defaultValue="">
            <option value="">any image</option>
            <option value="nothing">with nothing yet</option>
            <option value="proposals">with proposals</option>
            <option value="annotations">with masks</option>
          </select>
          <input name="annotators" aria-label="Job annotators" placeholder="annotators (a, b)" />
          <input name="reviewer" aria-label="Job reviewer" placeholder="reviewer" />
          <button type="submit">Make jobs</button>
        </form>
      )}
      {queue.annotate.map((j) => (
        <JobWithHistory key={j.id} job={j} testId="job-annotate">
          <button className="link" onClick={() => show(j)} title="Show its first image">
            {j.name}
          </button>
          <span className="muted">
            {STATE_LABEL[j.state]}, {j.imageIds.length} image(s)
          </span>
          {j.state === 'new' && <button onClick={() => act('Starting the job', () => app.team.moveJob(j.id, 'annotating'))}>Start</button>}
          {j.state === 'rejected' && (
            <button onClick={() => act('Resuming the job', () => app.team.moveJob(j.id, 'annotating'))}>Resume</button>
          )}
          {j.state === 'annotating' && (
            <button title="The job's next image" onClick={() => next(j)}>
              Next image
            </button>
          )}
          {j.state === 'annotating' && (
            <button onClick={() => act('Submitting the job', () => app.team.moveJob(j.id, 'in_review'))}>Submit for review</button>
          )}
        </JobWithHistory>
      ))}
      {handedIn.map((j) => (
        <HandedIn key={j.id} job={j} onShow={() => show(j)} />
      ))}
      {queue.review.map((j) => (
        <div key={j.id} className="row job" data-testid="job-review" data-job={j.id} data-state={j.state}>
          <button className="link" onClick={() => show(j)} title="Show its first image">
            {j.name}
          </button>
          <span className="muted">to review ({j.annotator ?? 'nobody'})</span>
          <button onClick={() => act('Accepting the job', () => app.team.moveJob(j.id, 'done'))}>Accept job</button>
          <button
            onClick={() => {
              if (!comment.trim()) return notify('warning', 'Write why the job goes back in the comment field first.');
              act('Sending the job back', () => app.team.moveJob(j.id, 'rejected', comment.trim()));
              setComment('');
            }}
          >
            Send back
          </button>
        </div>
      ))}
      {reviewing && (
        <div className="row" data-testid="review-mask">
          <input
            aria-label="Review comment"
            placeholder="comment (why rejected)"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
          <button
            disabled={selected === null}
            onClick={() => selected !== null && act('Accepting the mask', () => app.team.reviewMask(selected, 'accept'))}
          >
            Accept mask
          </button>
          <button
            disabled={selected === null}
            onClick={() => {
              if (selected === null) return;
              act('Rejecting the mask', () => app.team.reviewMask(selected, 'reject', comment.trim() || undefined));
              setComment('');
            }}
          >
            Reject mask
          </button>
        </div>
      )}
      {[...latest.values()]
        .filter((r) => r.decision === 'reject')
        .map((r) => (
          <button
            key={r.id}
            className="link review-comment"
            data-testid="review-comment"
            data-annotation={r.annotationId}
            onClick={() => app.store.getState().selectAnnotation(r.annotationId)}
          >
            #{r.annotationId} rejected by {r.reviewer}
            {r.comment ? `: ${r.comment}` : ''}
          </button>
        ))}
    </div>
  );
}

/** A job of the user's that is with its reviewer or done: its state and its history, folded. */
function HandedIn({ job, onShow }: { job: ServerJob; onShow: () => void }) {
  const events = useJobHistory(job.id, job.state);
  return (
    <details className="job fold" data-testid="job-mine" data-job={job.id} data-state={job.state}>
      <summary>
        {job.name}{' '}
        <span className="muted">
          {job.state === 'done' ? 'done' : `in review${job.reviewer ? ` with ${job.reviewer}` : ''}`}, {job.imageIds.length} image(s)
        </span>
      </summary>
      <button className="link" onClick={onShow} title="Show its first image">
        show its images
      </button>
      <JobHistoryList events={events} />
    </details>
  );
}
