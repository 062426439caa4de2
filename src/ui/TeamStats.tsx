import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { HISTOGRAM_BIN_S, HISTOGRAM_BINS } from '../core/project/stats.ts';
import { RATE_MIN_ACTIVE_MS, RATE_MIN_MASKS, type AnnotatorStats, type TeamStats } from '../core/team/stats.ts';
import type { ServerJob } from '../io/serverApi.ts';
import { useApp } from '../state/useApp.tsx';
import { useModal } from './keyboard.ts';

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

/** One uPlot chart, drawn into a div and redrawn when its data change. */
function Chart({ options, data, testId }: { options: Omit<uPlot.Options, 'width' | 'height'>; data: uPlot.AlignedData; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const el = box.current;
    // the x range drawn, for a person reading the page's source and for tests (the axes are drawn on a canvas)
    const noteRange = (u: uPlot, key: string) => {
      if (key !== 'x') return;
      el.dataset.xMin = String(u.scales.x?.min ?? '');
      el.dataset.xMax = String(u.scales.x?.max ?? '');
    };
    const plot = new uPlot({ ...options, width: 520, height: 220, hooks: { ...options.hooks, setScale: [noteRange] } }, data, el);
    return () => plot.destroy();
  }, [options, data]);
  return <div ref={box} data-testid={testId} />;
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

const DAY_S = 86_400;
const isoDay = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);

/** Masks per hour, or a dash with why when there are too few masks or minutes for a rate to mean anything. */
function Rate({ p }: { p: AnnotatorStats }) {
  const basis = `${p.timedMasks} timed masks over ${(p.activeMs / 60_000).toFixed(1)} min of active time`;
  return p.masksPerHourShown ? (
    <td data-stat="masksPerHour" title={`From ${basis}.`}>
      {p.masksPerHour.toFixed(0)}
    </td>
  ) : (
    <td
      data-stat="masksPerHour"
      className="muted"
      title={`Too little to give a rate: ${basis} (a rate needs ${RATE_MIN_MASKS} masks and ${RATE_MIN_ACTIVE_MS / 60_000} minutes).`}
    >
      —
    </td>
  );
}
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
                    <Rate p={p} />
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
                    // the days the data have, half a day either side, one tick per day (or per week, month)
                    scales: {
                      x: {
                        time: true,
                        // from the data, not the range uPlot offers: for one day it offers a thousand days
                        range: () => [perDay[0][0]! - DAY_S * 0.6, perDay[0][perDay[0].length - 1]! + DAY_S * 0.6],
                      },
                    },
                    axes: [
                      { space: 70, incrs: [DAY_S, 2 * DAY_S, 7 * DAY_S, 30 * DAY_S], values: (_u, ticks) => ticks.map(isoDay) },
                      { label: 'masks' },
                    ],
                    series: [
                      { label: 'day', value: (_u, v) => (v == null ? '' : isoDay(v)) },
                      ...series.map((s) => ({ ...s, paths: bars, fill: `${s.stroke}80` })),
                    ],
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
