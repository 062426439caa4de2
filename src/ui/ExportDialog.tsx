import { useEffect, useRef, useState } from 'react';
import { DEFAULT_POLYGON_MIN_IOU } from '../core/coco/export.ts';
import { useStore } from '../state/store.ts';
import {
  KINDS,
  loadExportSettings,
  polygonFidelity,
  runExport,
  saveExportSettings,
  type ExportJob,
  type ExportSettings,
} from '../state/exporting.ts';
import { useModal } from './keyboard.ts';

export function ExportDialog({ onClose }: { onClose: () => void }) {
  const [settings, setSettings] = useState<ExportSettings>(loadExportSettings);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [preview, setPreview] = useState<string>('');
  const job = useRef<ExportJob | null>(null);
  const notify = useStore((s) => s.notify);
  const project = useStore((s) => s.project);
  const polygons = settings.kind === 'coco-polygon' || settings.kind === 'yolo';
  // the dialog has the keyboard: Esc closes it, no key reaches the canvas behind it
  useModal(true, onClose);

  useEffect(() => {
    if (!polygons || project.annotations.length === 0) return;
    let alive = true;
    const t = setTimeout(() => {
      polygonFidelity(project, settings.tolerance).then(
        (f) =>
          alive &&
          setPreview(
            `At ${settings.tolerance} px the polygons match their masks with IoU ≥ ${f.minIou.toFixed(3)} (mean ${f.meanIou.toFixed(4)}, ${f.annotations} checked); COCO polygon export tightens any annotation below ${DEFAULT_POLYGON_MIN_IOU}.`,
          ),
        () => undefined,
      );
    }, 300);
    return () => {
      alive = false;
      clearTimeout(t);
    };
  }, [polygons, settings.tolerance, project]);

  const start = async () => {
    saveExportSettings(settings);
    setProgress({ done: 0, total: 1 });
    try {
      const msg = await runExport(
        settings,
        (done, total) => setProgress({ done, total }),
        (j) => (job.current = j),
      );
      notify('info', msg);
      onClose();
    } catch (e) {
      notify(e instanceof Error && e.message === 'Export cancelled.' ? 'info' : 'error', e instanceof Error ? e.message : String(e));
    } finally {
      job.current = null;
      setProgress(null);
    }
  };

  return (
    <div className="modal" role="dialog" aria-modal="true" aria-label="Export">
      <div className="modal-body">
        <h2>Export</h2>
        {KINDS.map((k) => (
          <label key={k.kind} className="radio">
            <input
              type="radio"
              name="export-kind"
              checked={settings.kind === k.kind}
              onChange={() => setSettings({ ...settings, kind: k.kind })}
            />
            <span>
              {k.label} <span className="muted">— {k.note}</span>
            </span>
          </label>
        ))}
        {polygons && (
          <label className="row">
            Polygon tolerance (px)
            <input
              type="number"
              min={0}
              step={0.25}
              value={settings.tolerance}
              aria-label="Polygon tolerance"
              onChange={(e) => setSettings({ ...settings, tolerance: Math.max(0, Number(e.target.value) || 0) })}
            />
          </label>
        )}
        {polygons && preview && (
          <p className="muted" data-testid="fidelity">
            {preview}
          </p>
        )}
        {progress && <progress max={progress.total} value={progress.done} />}
        <div className="row">
          {progress ? (
            <button onClick={() => job.current?.cancel()}>Cancel</button>
          ) : (
            <>
              <button className="active" onClick={() => void start()}>
                Export
              </button>
              <button onClick={onClose}>Close</button>
            </>
          )}
        </div>
      </div>
    </div>
  );
}
