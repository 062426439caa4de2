import { useMemo, useState } from 'react';
import { annotationStats, HISTOGRAM_BIN_S, HISTOGRAM_BINS } from '../core/project/stats.ts';
import { videoStats } from '../core/video/stats.ts';
import { useStore } from '../state/useApp.tsx';

/** Pace statistics (per image or project) with a histogram of seconds per mask. */
export function StatsPanel() {
  const project = useStore((s) => s.project);
  const imageId = useStore((s) => s.currentImageId);
  const [scope, setScope] = useState<'image' | 'project'>('project');
  const forImage = scope === 'image' && imageId !== null ? imageId : undefined;
  // once per change of the annotations (or skips), not on every render
  const st = useMemo(
    () => annotationStats(project, forImage),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the figures depend on these two lists only
    [project.annotations, project.skipped, forImage],
  );
  const video = useMemo(() => videoStats(project), [project]);
  const max = Math.max(1, ...st.histogram);
  const w = 240;
  const h = 60;
  const bw = w / HISTOGRAM_BINS;
  return (
    <section className="stats" data-testid="stats">
      <h2>
        Statistics{' '}
        <select aria-label="Statistics scope" value={scope} onChange={(e) => setScope(e.target.value as 'image' | 'project')}>
          <option value="project">project</option>
          <option value="image">this image</option>
        </select>
      </h2>
      <table>
        <tbody>
          <tr>
            <td>masks</td>
            <td>
              {st.masks} ({st.masksPerImage.toFixed(1)} per image)
            </td>
          </tr>
          <tr>
            <td>seconds per mask</td>
            <td>
              median {st.medianSeconds.toFixed(1)}, mean {st.meanSeconds.toFixed(1)}
            </td>
          </tr>
          <tr>
            <td>clicks per mask</td>
            <td>
              {st.clicksPerMask.toFixed(1)} (+ {st.strokesPerMask.toFixed(1)} strokes)
            </td>
          </tr>
          <tr>
            <td>over 30 s</td>
            <td>{(st.overBudgetShare * 100).toFixed(0)} %</td>
          </tr>
          <tr>
            <td>skipped</td>
            <td>{st.skipped}</td>
          </tr>
          {st.proposalsPending + st.proposalsAccepted > 0 && (
            <tr>
              <td>proposals</td>
              <td>
                {st.proposalsAccepted} accepted · {st.proposalsPending} to review
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <svg width={w} height={h + 14} role="img" aria-label="Histogram of seconds per mask">
        {st.histogram.map((c, i) => (
          <rect
            key={i}
            x={i * bw + 1}
            y={h - (c / max) * h}
            width={bw - 2}
            height={(c / max) * h}
            fill={i * HISTOGRAM_BIN_S >= 30 ? '#f5a623' : '#4c8dff'}
          >
            <title>
              {i * HISTOGRAM_BIN_S}
              {i === HISTOGRAM_BINS - 1 ? '+' : `–${(i + 1) * HISTOGRAM_BIN_S}`} s: {c}
            </title>
          </rect>
        ))}
        <text x={0} y={h + 12} fontSize={10} fill="#9aa3ad">
          0 s
        </text>
        <text x={(30 / HISTOGRAM_BIN_S) * bw - 8} y={h + 12} fontSize={10} fill="#9aa3ad">
          30 s
        </text>
        <text x={w - 24} y={h + 12} fontSize={10} fill="#9aa3ad">
          60+
        </text>
      </svg>
      {video.clips.length > 0 && (
        <table className="video-stats" data-testid="video-stats">
          <thead>
            <tr>
              <th>clip / track</th>
              <th title="frames with a mask: keyframes + propagated + interpolated">frames</th>
              <th title="a person's active seconds per frame with a mask">s / frame</th>
              <th>flagged</th>
            </tr>
          </thead>
          <tbody>
            {video.clips.map((c) => [
              <tr key={`c${c.id}`} data-testid="clip-stats" data-video-id={c.id}>
                <td>
                  {c.name} ({c.tracks} tracks)
                </td>
                <td>
                  {c.frames} = {c.keyframes} + {c.propagated} + {c.interpolated}
                </td>
                <td>{c.secondsPerFrame.toFixed(1)}</td>
                <td>{c.flagged}</td>
              </tr>,
              ...video.tracks
                .filter((t) => t.videoId === c.id)
                .map((t) => (
                  <tr key={`t${t.id}`} data-testid="track-stats" data-track-id={t.id}>
                    <td>· track #{t.id}</td>
                    <td>
                      {t.frames} = {t.keyframes} + {t.propagated} + {t.interpolated}
                    </td>
                    <td>{t.secondsPerFrame.toFixed(1)}</td>
                    <td>{t.flagged}</td>
                  </tr>
                )),
            ])}
          </tbody>
        </table>
      )}
    </section>
  );
}
