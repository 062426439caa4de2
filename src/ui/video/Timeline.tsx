/**
 * The timeline under the canvas, while a frame of a clip is shown: frame stepping, play/pause, a
 * scrubber with the frame number and time, propagation and interpolation of the selected track with
 * their progress, and one lane per track showing where it has a mask (keyframe, propagated,
 * interpolated, flagged). Clicking a lane selects its track and shows that frame.
 */
import { memo, useCallback, useEffect, useRef } from 'react';
import { frameTime, type Track } from '../../core/video/clips.ts';
import type { ImageRecord } from '../../core/project/types.ts';
import { annotationColor } from '../../core/project/palette.ts';
import { useApp, useStore } from '../../state/useApp.tsx';
import { useShownClip } from './useShownClip.ts';

/** The lane's name column and the gap after it, px (styles.css: .track-name 110 px wide, .track-lane gap 6 px). */
const LANE_NAME_PX = 116;

export function Timeline() {
  const { store, tracking, team } = useApp();
  const onServer = useStore((s) => s.sync.project !== null && s.sync.project.role !== 'reviewer');
  const categories = useStore((s) => s.project.categories);
  const currentImageId = useStore((s) => s.currentImageId);
  const selected = useStore((s) => s.selectedTrackId);
  const playing = useStore((s) => s.playing);
  const progress = useStore((s) => s.tracking);
  const colorBy = useStore((s) => s.display.colorBy);
  // the clip and its tracks change with the project, not with each step: the lanes are not drawn again on a step
  const { clip, tracks, index } = useShownClip();
  const frame = clip?.frames[index]?.video?.frame ?? 0;
  const paletteRef = useRef<HTMLInputElement>(null);
  // after every render: the input is there only while a clip is shown (the first render may have none)
  useEffect(() => {
    paletteRef.current?.setAttribute('webkitdirectory', '');
  });
  // a lane's clicks, the same functions across renders (the lanes are memoized)
  const selectTrack = useCallback((trackId: number) => store.getState().selectTrack(trackId), [store]);
  const showTrackFrame = useCallback(
    (trackId: number, imageId: number) => {
      store.getState().selectTrack(trackId);
      store.getState().showImage(imageId);
    },
    [store],
  );

  // playing: one frame after another at the clip's rate (10 a second for a sequence without one), stopping at the end
  useEffect(() => {
    if (!playing || !clip) return;
    const ms = 1000 / (clip.fps ?? 10);
    const t = setInterval(() => {
      const s = store.getState();
      const i = clip.frames.findIndex((f) => f.id === s.currentImageId);
      if (i < 0 || i >= clip.frames.length - 1) s.setPlaying(false);
      else s.stepFrame(1);
    }, ms);
    return () => clearInterval(t);
  }, [playing, clip, store]);
  useEffect(() => {
    if (!clip && playing) store.getState().setPlaying(false);
  }, [clip, playing, store]);

  if (!clip) return null;
  const last = clip.frames[clip.frames.length - 1]!.video!.frame;
  const s = store.getState();
  const running = tracking.isRunning();
  const category = (id: number) => categories.find((c) => c.id === id);
  return (
    <section className="timeline" data-testid="timeline" data-video-id={clip.id} data-frame={frame}>
      <div className="timeline-bar">
        <button title="Previous frame (,)" data-testid="timeline-previous" onClick={() => s.stepFrame(-1)} disabled={index <= 0}>
          ◀
        </button>
        <button title="Play or pause (K)" data-testid="timeline-play" onClick={() => s.setPlaying(!playing)}>
          {playing ? '❚❚' : '▶'}
        </button>
        <button
          title="Next frame (.)"
          data-testid="timeline-next"
          onClick={() => s.stepFrame(1)}
          disabled={index >= clip.frames.length - 1}
        >
          ▶
        </button>
        <input
          type="range"
          className="timeline-scrubber"
          data-testid="timeline-scrubber"
          min={0}
          max={clip.frames.length - 1}
          value={Math.max(0, index)}
          onChange={(e) => s.showImage(clip.frames[Number(e.currentTarget.value)]!.id)}
          aria-label="Frame"
        />
        <span className="timeline-frame" data-testid="timeline-frame">
          {clip.name} · frame {frame} / {last} · {frameTime(frame, clip.fps)}
        </span>
        <span className="sep" />
        <button
          data-testid="propagate-backward"
          title="Propagate the selected track backward (Shift+T)"
          disabled={selected === null || running}
          onClick={() => void tracking.propagate({ direction: -1 })}
        >
          ◀ Propagate
        </button>
        <button
          data-testid="propagate-forward"
          title="Propagate the selected track forward, to its next keyframe (T)"
          disabled={selected === null || running}
          onClick={() => void tracking.propagate({ direction: 1 })}
        >
          Propagate ▶
        </button>
        <button
          data-testid="propagate-end"
          title="Propagate the selected track to the clip's end, following each keyframe on the way"
          disabled={selected === null || running}
          onClick={() => void tracking.propagate({ direction: 1, until: 'end' })}
        >
          To the end ▶▶
        </button>
        {onServer && (
          <button
            data-testid="propagate-server"
            title="Propagate the selected track forward on the project server's workers (a queued job; the masks arrive as they are made)"
            disabled={selected === null || currentImageId === null}
            onClick={() => {
              const st = store.getState();
              team
                .queueTrackPropagation({
                  trackId: selected!,
                  fromImageId: currentImageId!,
                  direction: 1,
                  until: 'next-key',
                  stopOnFlag: st.stopOnFlag,
                })
                .then(
                  (r) => st.notify('info', `Propagation queued on the server: ${r.frames} frame(s), run ${r.runId}.`),
                  (e: unknown) =>
                    st.notify(
                      'error',
                      `The server did not queue the propagation: ${e instanceof Error ? e.message : String(e)}`,
                      'Check the server panel (workers, your role), then try again.',
                    ),
                );
            }}
          >
            On the server ▶
          </button>
        )}
        <button
          data-testid="interpolate"
          title="Fill the frames between the selected track's keyframes by interpolation (no model)"
          disabled={selected === null || running}
          onClick={() => void tracking.interpolate()}
        >
          Interpolate
        </button>
        <label
          className="button"
          title="Tracks from a YouTube-VIS JSON, or a folder of DAVIS / YouTube-VOS palette PNGs (with instances.json)"
        >
          Import tracks
          <input
            type="file"
            multiple
            accept=".json,.png,application/json,image/png"
            data-testid="tracks-input"
            onChange={(e) => {
              const files = [...(e.currentTarget.files ?? [])].map((f) => ({ blob: f as Blob, name: f.webkitRelativePath || f.name }));
              e.currentTarget.value = '';
              void s.importTracks(files);
            }}
          />
        </label>
        <label
          className="button"
          title="Tracks from a folder of DAVIS / YouTube-VOS palette PNGs (a folder per clip, one PNG per frame, instances.json)"
        >
          Import palette folder
          <input
            ref={paletteRef}
            type="file"
            multiple
            data-testid="palette-input"
            onChange={(e) => {
              const files = [...(e.currentTarget.files ?? [])].map((f) => ({ blob: f as Blob, name: f.webkitRelativePath || f.name }));
              e.currentTarget.value = '';
              void s.importTracks(files);
            }}
          />
        </label>
        {progress && (
          <span
            className="tracking-status"
            data-testid="tracking-status"
            data-status={progress.status}
            data-method={progress.kind === 'propagate' ? (progress.method ?? 'sam') : 'interpolate'}
            role="status"
          >
            {progress.kind === 'propagate'
              ? progress.method === 'sam2-video'
                ? 'Propagation (SAM 2 memory)'
                : 'Propagation'
              : 'Interpolation'}{' '}
            {progress.status}: {progress.done}/{progress.total}
            {progress.flagged > 0 && ` · ${progress.flagged} flagged`}
            {progress.message && ` · ${progress.message}`}
            {running && progress.status !== 'paused' && <button onClick={() => tracking.pause()}>Pause</button>}
            {running && progress.status === 'paused' && <button onClick={() => tracking.resume()}>Resume</button>}
            {running && (
              <button data-testid="tracking-cancel" onClick={() => tracking.cancel()}>
                Cancel
              </button>
            )}
          </span>
        )}
      </div>
      <div className="timeline-lanes">
        {tracks.length === 0 && <div className="muted">Click an object and accept its mask (Enter) to start a track.</div>}
        {tracks.map((t) => (
          <TrackLane
            key={t.id}
            track={t}
            frames={clip.frames}
            color={annotationColor(colorBy, t.id, category(t.categoryId)?.color)}
            name={category(t.categoryId)?.name ?? ''}
            selected={t.id === selected}
            onSelect={selectTrack}
            onShow={showTrackFrame}
          />
        ))}
        {tracks.length > 0 && index >= 0 && (
          // the shown frame: one marker over the lanes (not a class on every lane's cell, which drew every lane again on each step)
          <div
            className="timeline-playhead"
            data-testid="timeline-playhead"
            style={{
              // a cell's width as the lanes give it: a share of the width, at least 1 px (a long clip's lanes overflow)
              left: `calc(${LANE_NAME_PX}px + max(1px, (100% - ${LANE_NAME_PX}px) / ${clip.frames.length}) * ${index})`,
              width: `max(1px, (100% - ${LANE_NAME_PX}px) / ${clip.frames.length})`,
            }}
          />
        )}
      </div>
    </section>
  );
}

/**
 * One track's lane: where it has a mask on the clip (keyframe, propagated, interpolated, flagged). Memoized: a
 * frame step changes none of its props, so a step draws no lane again (a clip of 2,000 frames has 2,000 cells a lane).
 */
const TrackLane = memo(function TrackLane(props: {
  track: Track;
  frames: readonly ImageRecord[];
  color: string;
  name: string;
  selected: boolean;
  onSelect: (trackId: number) => void;
  onShow: (trackId: number, imageId: number) => void;
}) {
  const { track: t, frames, color, selected, onSelect, onShow } = props;
  return (
    <div
      className={`track-lane${selected ? ' selected' : ''}`}
      data-testid="track-lane"
      data-track-id={t.id}
      onClick={(e) => {
        // a cell: that frame shown; elsewhere on the lane: the track selected
        const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-image-id]');
        if (cell) onShow(t.id, Number(cell.dataset['imageId']));
        else onSelect(t.id);
      }}
    >
      <span className="track-name" style={{ borderColor: color }}>
        #{t.id} {props.name}
      </span>
      <span className="track-cells">
        {frames.map((f) => {
          const a = t.byFrame.get(f.video!.frame);
          const role = a ? (a.flag ? 'flagged' : (a.track ?? 'key')) : 'none';
          return (
            <span
              key={f.id}
              className={`cell ${role}`}
              data-frame={f.video!.frame}
              data-image-id={f.id}
              data-role={role}
              title={`frame ${f.video!.frame}: ${role === 'none' ? 'no mask' : role}${a?.flag ? ` (${a.flag})` : ''}`}
              style={a && role !== 'flagged' ? { background: color, opacity: role === 'key' ? 1 : 0.5 } : undefined}
            />
          );
        })}
      </span>
    </div>
  );
});
