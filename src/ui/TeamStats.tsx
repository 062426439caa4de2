import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { HISTOGRAM_BIN_S, HISTOGRAM_BINS } from '../core/project/stats.ts';
import type { TeamStats } from '../core/team/stats.ts';
import type { ServerJob } from '../io/serverApi.ts';
import { useApp } from '../state/useApp.tsx';
import { useModal } from './keyboard.ts';

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

/** One uPlot chart, drawn into a div and redrawn when its data change. */
function Chart({ options, data, testId }: { options: Omit<uPlot.Options, 'width' | 'height'>; data: uPlot.AlignedData; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const plot = new uPlot({ ...options, width: 520, height: 220 }, data, box.current);
    return () => plot.destroy();
  }, [options, data]);
  return <div ref={box} data-testid={testId} />;
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

/**
 * The team's numbers (issue 14) for the open server project or one job: a table per annotator and
 * two plots (seconds per mask, masks per day), from the server's `/stats`.
 */
export function TeamStatsDialog({ onClose }: { onClose: () => void }) {
  const { team } = useApp();
  const [jobs, setJobs] = useState<ServerJob[]>([]);
  const [job, setJob] = useState<number | null>(null);
  const [result, setResult] = useState<{ job: number | null; stats?: TeamStats; error?: string } | null>(null);
  useEffect(() => {
    team.projectJobs().then(setJobs, () => setJobs([]));
  }, [team]);
  useEffect(() => {
    let live = true;
    team.teamStatistics(job ?? undefined).then(
      (s: unknown) => live && setResult({ job, stats: s as TeamStats }),
      (e: unknown) => live && setResult({ job, error: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      live = false;
    };
  }, [job, team]);
  useModal(true, onClose);
  const current = result && result.job === job ? result : null;
  const stats = current?.stats ?? null;
  const error = current?.error ?? '';

  const people = stats?.annotators ?? [];
  const bins = Array.from({ length: HISTOGRAM_BINS }, (_, i) => i * HISTOGRAM_BIN_S);
  const histogram: uPlot.AlignedData = [bins, ...people.map((p) => p.histogram)];
  const days = [...new Set(people.flatMap((p) => Object.keys(p.perDay)))].sort();
  const perDay: uPlot.AlignedData = [
    days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
    ...people.map((p) => days.map((d) => p.perDay[d] ?? 0)),
  ];
  const series = people.map((p, i) => ({ label: p.username, stroke: COLORS[i % COLORS.length]!, width: 2 }));
  const bars = uPlot.paths.bars!({ size: [0.8, 40] });

  return (
    <div className="modal" role="dialog" aria-modal="true" aria-label="Team statistics">
      <div className="modal-body team-stats">
        <h2>Team statistics</h2>
        <label className="row">
          Scope{' '}
          <select aria-label="Statistics scope" value={job ?? ''} onChange={(e) => setJob(e.target.value ? Number(e.target.value) : null)}>
            <option value="">whole project</option>
            {jobs.map((j) => (
              <option key={j.id} value={j.id}>
                {j.name}
              </option>
            ))}
          </select>
        </label>
        {error && <p className="muted">{error}</p>}
        {!stats && !error && <p className="muted">Counting…</p>}
        {stats && people.length === 0 && <p className="muted">No masks or skipped objects yet{job !== null ? ' in this job' : ''}.</p>}
        {stats && people.length > 0 && (
          <>
            <table data-testid="team-stats-table">
              <thead>
                <tr>
                  <th>annotator</th>
                  <th>masks</th>
                  <th>masks/h</th>
                  <th>median s</th>
                  <th>clicks/mask</th>
                  <th>&gt; 30 s</th>
                  <th>skipped</th>
                  <th>rejected</th>
                </tr>
              </thead>
              <tbody>
                {people.map((p) => (
                  <tr key={p.username} data-annotator={p.username}>
                    <td>{p.username}</td>
                    <td data-stat="masks">{p.masks}</td>
                    <td data-stat="masksPerHour">{p.masksPerHour.toFixed(0)}</td>
                    <td data-stat="medianSeconds">{p.medianSeconds.toFixed(1)}</td>
                    <td data-stat="clicksPerMask">{p.clicksPerMask.toFixed(1)}</td>
                    <td data-stat="overBudgetShare">{pct(p.overBudgetShare)}</td>
                    <td data-stat="skipped">{p.skipped}</td>
                    <td data-stat="rejectionRate">{p.reviewed ? `${pct(p.rejectionRate)} of ${p.reviewed}` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {people.length > 0 && (
              <>
                <h3>Seconds per mask</h3>
                <Chart
                  testId="chart-seconds"
                  data={histogram}
                  options={{
                    scales: { x: { time: false } },
                    axes: [
                      { label: `seconds (${HISTOGRAM_BIN_S} s bins, the last ≥ ${(HISTOGRAM_BINS - 1) * HISTOGRAM_BIN_S} s)` },
                      { label: 'masks' },
                    ],
                    series: [{ label: 's' }, ...series.map((s) => ({ ...s, paths: bars, fill: `${s.stroke}80` }))],
                  }}
                />
                <h3>Masks per day</h3>
                <Chart
                  testId="chart-per-day"
                  data={perDay}
                  options={{
                    axes: [{}, { label: 'masks' }],
                    series: [{ label: 'day' }, ...series.map((s) => ({ ...s, points: { show: true } }))],
                  }}
                />
              </>
            )}
          </>
        )}
        <div className="row">
          <button onClick={onClose}>Close</button>
        </div>
      </div>
    </div>
  );
}
