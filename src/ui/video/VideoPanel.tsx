/**
 * The side panel's video section: open a folder of numbered frames or a video file as a clip (every
 * frame or every k-th; a video file's decoding progress), whether a flagged frame stops propagation,
 * and the shown clip's tracks (select, category, delete).
 */
import { useEffect, useRef, useState } from 'react';
import { fileDisplayName } from '../../core/project/imageFiles.ts';
import { useAppStore, useStore } from '../../state/useApp.tsx';
import { Collapsible } from '../panels/Collapsible.tsx';
import { useShownClip } from './useShownClip.ts';

export function VideoPanel() {
  const store = useAppStore();
  const categories = useStore((s) => s.project.categories);
  const selected = useStore((s) => s.selectedTrackId);
  const stopOnFlag = useStore((s) => s.stopOnFlag);
  const decoding = useStore((s) => s.videoDecoding);
  const [every, setEvery] = useState(1);
  const [fps, setFps] = useState('');
  // the settings as the fields hold them when a file is picked (a handler's closure can be a render behind the field)
  const everyRef = useRef<HTMLInputElement>(null);
  const fpsRef = useRef<HTMLInputElement>(null);
  const everyNow = () => Math.max(1, Math.floor(Number(everyRef.current?.value ?? every)) || 1);
  const folderRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    folderRef.current?.setAttribute('webkitdirectory', '');
  }, []);
  const { clip, tracks } = useShownClip();
  const s = store.getState();
  return (
    <Collapsible title="Video" testId="video-section" open={clip !== null}>
      <label className="button">
        Open frames folder
        <input
          ref={folderRef}
          type="file"
          multiple
          data-testid="frames-input"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            const rate = Number(fpsRef.current?.value ?? fps);
            void store.getState().addFrames(
              files.map((f) => ({ blob: f, name: fileDisplayName(f) })),
              { every: everyNow(), fps: rate > 0 ? rate : null },
            );
          }}
        />
      </label>
      <label className="button">
        Open video
        <input
          type="file"
          accept="video/*"
          data-testid="video-input"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = '';
            if (file) void store.getState().addVideoFile(file, file.name, { every: everyNow() });
          }}
        />
      </label>
      {decoding && (
        <div className="row" data-testid="video-progress" role="status">
          {decoding.total ? `Decoding ${decoding.name}: ${decoding.done}/${decoding.total} frames` : `Reading ${decoding.name}…`}
        </div>
      )}
      <label className="row">
        Annotate every
        <input
          type="number"
          min={1}
          max={1000}
          ref={everyRef}
          value={every}
          data-testid="frames-every"
          onChange={(e) => setEvery(Math.max(1, Number(e.currentTarget.value) || 1))}
        />
        frame(s)
      </label>
      <label className="row">
        Frames per second
        <input
          type="number"
          min={0}
          step="any"
          placeholder="unknown"
          ref={fpsRef}
          value={fps}
          data-testid="frames-fps"
          onChange={(e) => setFps(e.currentTarget.value)}
        />
      </label>
      <label className="row">
        <input type="checkbox" checked={stopOnFlag} data-testid="stop-on-flag" onChange={(e) => s.setStopOnFlag(e.currentTarget.checked)} />
        Stop propagation on a flagged frame
      </label>
      {clip && (
        <ul className="track-list" data-testid="track-list">
          {tracks.map((t) => (
            <li
              key={t.id}
              data-testid="track-row"
              data-track-id={t.id}
              className={t.id === selected ? 'selected' : ''}
              onClick={() => s.selectTrack(t.id)}
            >
              <span>
                Track #{t.id} · {t.byFrame.size} frame(s)
              </span>
              <select
                value={t.categoryId}
                aria-label="Track category"
                onChange={(e) => s.setTrackCategory(t.id, Number(e.currentTarget.value))}
              >
                {categories.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
              <button
                title="Delete the track (every frame's mask)"
                onClick={(e) => {
                  e.stopPropagation();
                  s.deleteTrack(t.id);
                }}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </Collapsible>
  );
}
