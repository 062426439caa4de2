import { useEffect, useRef, useState } from 'react';
import type { ServerJob, ServerRun, ServerWorker } from '../io/serverApi.ts';
import { useApp, useStore } from '../state/useApp.tsx';
import { type ServerPreannotateRequest } from '../state/services/teamClient.ts';

const MODES: { value: ServerPreannotateRequest['mode']; label: string }[] = [
  { value: 'auto-box', label: 'Boxes → masks (auto crop)' },
  { value: 'box', label: 'Boxes → masks (whole image)' },
  { value: 'box-crop', label: 'Boxes → masks (crop each box)' },
  { value: 'coarse', label: 'Coarse label maps → masks' },
  { value: 'everything', label: 'Segment everything' },
];

export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/**
 * Pre-annotation on the server's workers (issue 14): admins queue a run for the project or a job
 * (the options of the in-app batch and the CLI); everyone sees its progress, its ETA and the workers.
 * The proposals arrive as changes, like anyone's.
 */
export function ServerRuns() {
  const app = useApp();
  const sync = useStore((s) => s.sync);
  const notify = useStore((s) => s.notify);
  const [runs, setRuns] = useState<ServerRun[]>([]);
  const [workers, setWorkers] = useState<ServerWorker[]>([]);
  const [workerMode, setWorkerMode] = useState<'external' | number>('external');
  const [jobs, setJobs] = useState<ServerJob[]>([]);
  const [mode, setMode] = useState<ServerPreannotateRequest['mode']>('auto-box');
  const [scope, setScope] = useState('project');
  const [redo, setRedo] = useState(false);
  const [tick, setTick] = useState(0);
  const labels = useRef<HTMLInputElement>(null);
  const linked = sync.project?.id ?? null;
  const admin = sync.project?.role === 'admin';
  const going = runs.some((r) => r.state === 'running');

  useEffect(() => {
    if (linked === null || !sync.user) return;
    let live = true;
    const load = () => {
      app.team.serverRuns().then(
        (r) => {
          if (!live) return;
          setRuns(r.runs);
          setWorkers(r.workers);
          setWorkerMode(r.workerMode);
        },
        () => undefined,
      );
      if (admin)
        app.team.projectJobs().then(
          (j) => live && setJobs(j),
          () => undefined,
        );
    };
    load();
    // quicker while a run goes on
    const t = setInterval(load, going ? 2000 : 6000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [linked, sync.user, admin, going, tick, app]);

  if (linked === null || !sync.user) return null;
  const refresh = () => setTick((t) => t + 1);
  const queue = async () => {
    const req: ServerPreannotateRequest = { mode, redo };
    if (scope !== 'project') req.jobId = Number(scope);
    if (mode === 'coarse') {
      const files = [...(labels.current?.files ?? [])];
      if (!files.length)
        return notify('warning', 'Choose the coarse model’s label PNGs first.', 'One PNG per image, named like the image.');
      req.coarseFiles = files.map((f) => ({ blob: f, name: f.name }));
    }
    try {
      const r = await app.team.queueServerPreannotation(req);
      notify('info', `Pre-annotation queued: ${r.images} image(s) for the workers.`, 'Their proposals arrive here as they are done.');
      refresh();
    } catch (e) {
      notify('error', e instanceof Error ? e.message : String(e), (e as { hint?: string }).hint);
    }
  };
  const noWorkers = workers.length === 0;

  return (
    <div className="server-runs" data-testid="server-runs">
      <p className="sub">Pre-annotation on the server</p>
      <p className="muted" data-testid="server-workers" data-count={workers.length}>
        {noWorkers
          ? workerMode === 'external'
            ? 'No worker running: start one with npm run worker (see README).'
            : 'This server has no workers: restart it with --workers 1.'
          : `${workers.length} worker(s): ${workers.map((w) => w.name).join(', ')}`}
      </p>
      {admin && (
        <form
          className="row"
          aria-label="Queue pre-annotation"
          onSubmit={(e) => {
            e.preventDefault();
            void queue();
          }}
        >
          <select aria-label="Server pre-annotation mode" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)}>
            {MODES.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
          <select aria-label="Server pre-annotation scope" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="project">whole project</option>
            {jobs.map((j) => (
              <option key={j.id} value={String(j.id)}>
                {j.name} ({j.imageIds.length} img)
              </option>
            ))}
          </select>
          {mode === 'coarse' && <input ref={labels} type="file" accept="image/png" multiple aria-label="Label PNGs for the server" />}
          {(mode === 'coarse' || mode === 'everything') && (
            <label title="Also images that have machine-made masks already">
              <input type="checkbox" checked={redo} onChange={(e) => setRedo(e.target.checked)} /> again
            </label>
          )}
          <button type="submit">Queue</button>
        </form>
      )}
      {runs.slice(0, 5).map((r) => {
        const share = r.images ? (r.done + r.failed + r.cancelled) / r.images : 0;
        return (
          <div
            key={r.id}
            className="run"
            data-testid="server-run"
            data-run={r.id}
            data-state={r.state}
            data-done={r.done}
            data-images={r.images}
          >
            <div className="row">
              <span>
                #{r.id} {r.mode}
                {r.jobName ? ` · ${r.jobName}` : ''}
              </span>
              <span className="muted">
                {r.done}/{r.images} images · {r.masks} masks
                {r.failed ? ` · ${r.failed} failed` : ''}
                {r.state === 'running'
                  ? r.done
                    ? ` · ETA ${formatSeconds(r.etaS)}`
                    : ' · waiting for a worker'
                  : r.state === 'done'
                    ? ` · done in ${formatSeconds(r.elapsedS)}`
                    : ' · cancelled'}
              </span>
              {admin && r.state === 'running' && (
                <button
                  onClick={() =>
                    void app.team
                      .cancelServerRun(r.id)
                      .then(refresh, (e: unknown) => notify('error', e instanceof Error ? e.message : String(e)))
                  }
                >
                  Cancel
                </button>
              )}
            </div>
            <progress max={1} value={share} aria-label={`Run ${r.id} progress`} />
            {r.now.length > 0 && <p className="muted">now: {r.now.map((n) => `image ${n.imageId} on ${n.worker}`).join(', ')}</p>}
            {r.errors.slice(0, 3).map((e) => (
              <p key={e.imageId} className="muted error-line">
                image {e.imageId}: {e.error}
              </p>
            ))}
          </div>
        );
      })}
    </div>
  );
}
