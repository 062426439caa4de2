import { useEffect, useRef, useState } from 'react';
import { DEFAULT_POLYGON_MIN_IOU } from '../core/coco/export.ts';
import { downloadBytes, polygonFidelity, startExport, type ExportJob } from '../io/exporter.ts';
import { useStore, whenAccepted } from '../state/store.ts';
import type { ExportKind } from '../../workers/protocol.ts';

export interface ExportSettings {
  kind: ExportKind;
  tolerance: number;
}

const KINDS: { kind: ExportKind; label: string; note: string }[] = [
  { kind: 'coco-rle', label: 'COCO JSON, RLE masks', note: 'lossless; read by pycocotools and most tools' },
  { kind: 'coco-polygon', label: 'COCO JSON, polygons', note: 'every part and hole kept; simplified by the tolerance' },
  { kind: 'masks', label: 'Mask PNGs (zip)', note: 'one binary PNG per annotation, plus instance-id and semantic PNGs per image' },
  { kind: 'yolo', label: 'YOLO segmentation (zip)', note: 'images/, labels/*.txt with normalized polygons, data.yaml' },
];

const SETTINGS_KEY = 'sam-annotator.export';

export function loadExportSettings(): ExportSettings {
  try {
    const s = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '') as Partial<ExportSettings>;
    const kind = KINDS.some((k) => k.kind === s.kind) ? s.kind! : 'coco-rle';
    return { kind, tolerance: typeof s.tolerance === 'number' && s.tolerance >= 0 ? s.tolerance : 0.5 };
  } catch {
    return { kind: 'coco-rle', tolerance: 0.5 };
  }
}

function saveExportSettings(s: ExportSettings): void {
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(s));
  } catch {
    // settings are a convenience; a full or blocked storage must not stop the export
  }
}

/** Runs an export and downloads the result; resolves to a message for the user. */
export async function runExport(
  settings: ExportSettings,
  onProgress?: (d: number, t: number) => void,
  onJob?: (j: ExportJob) => void,
): Promise<string> {
  await whenAccepted();
  const project = useStore.getState().project;
  const job = startExport(settings.kind, project, { tolerance: settings.tolerance, minIou: DEFAULT_POLYGON_MIN_IOU }, onProgress);
  onJob?.(job);
  const r = await job.result;
  downloadBytes(r.bytes, r.fileName, r.mime);
  const parts = [`Exported ${project.annotations.length} annotation(s) of ${project.images.length} image(s) as ${r.fileName}.`];
  if (r.fidelity) parts.push(`Polygons vs masks: IoU ≥ ${r.fidelity.minIou.toFixed(3)}, mean ${r.fidelity.meanIou.toFixed(4)}.`);
  if (r.missingImages.length) parts.push(`${r.missingImages.length} image file(s) were not open and are missing from the zip.`);
  return parts.join(' ');
}

export function ExportDialog({ onClose }: { onClose: () => void }) {
  const [settings, setSettings] = useState<ExportSettings>(loadExportSettings);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [preview, setPreview] = useState<string>('');
  const job = useRef<ExportJob | null>(null);
  const notify = useStore((s) => s.notify);
  const project = useStore((s) => s.project);
  const polygons = settings.kind === 'coco-polygon' || settings.kind === 'yolo';

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
    <div className="modal" role="dialog" aria-label="Export">
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
