import { appErrorFromUnknown } from '../core/errors.ts';
import { useEffect, useRef, useState } from 'react';
import { DEFAULT_POLYGON_MIN_IOU } from '../core/coco/export.ts';
import { useApp, useStore } from '../state/useApp.tsx';
import {
  KINDS,
  loadExportSettings,
  polygonFidelity,
  polygonPreview,
  runExport,
  saveExportSettings,
  type ExportJob,
  type ExportSettings,
} from '../state/services/exporting.ts';
import { useModal } from './keyboard.ts';

const PREVIEW_W = 300;
const PREVIEW_H = 200;

/** The selected annotation (else the shown image's first) as the polygon export writes it, drawn over its mask. */
function PolygonPreview({ tolerance }: { tolerance: number }) {
  const ann = useStore(
    (s) =>
      s.project.annotations.find((a) => a.id === s.selectedAnnotationId) ??
      s.project.annotations.find((a) => a.imageId === s.currentImageId && !a.iscrowd) ??
      null,
  );
  const category = useStore((s) => s.project.categories.find((c) => c.id === ann?.categoryId)?.name ?? '?');
  const canvas = useRef<HTMLCanvasElement>(null);
  const [info, setInfo] = useState<{ id: number; iou: number; vertices: number; polygons: number; tolerance: number } | null>(null);
  useEffect(() => {
    if (!ann) return;
    let alive = true;
    const t = setTimeout(() => {
      polygonPreview(ann.segmentation, tolerance, DEFAULT_POLYGON_MIN_IOU, PREVIEW_W, PREVIEW_H).then(
        (r) => {
          if (!alive) return r.bitmap.close();
          canvas.current?.getContext('2d')?.drawImage(r.bitmap, 0, 0);
          r.bitmap.close();
          setInfo({ id: ann.id, iou: r.iou, vertices: r.vertices, polygons: r.polygons, tolerance: r.tolerance });
        },
        () => undefined,
      );
    }, 200);
    return () => {
      alive = false;
      clearTimeout(t);
    };
  }, [ann, tolerance]);
  if (!ann) return <p className="muted">Select an annotation to see its polygons.</p>;
  return (
    <div className="polygon-preview" data-testid="polygon-preview">
      <canvas ref={canvas} width={PREVIEW_W} height={PREVIEW_H} />
      {info && info.id === ann.id && (
        <p className="muted" data-testid="polygon-preview-info">
          #{ann.id} {category}: {info.vertices} vertices in {info.polygons} polygon{info.polygons === 1 ? '' : 's'}, IoU with the mask{' '}
          {info.iou.toFixed(4)}
          {info.tolerance !== tolerance
            ? ` (tolerance lowered to ${info.tolerance} px to keep IoU ≥ ${DEFAULT_POLYGON_MIN_IOU})`
            : ` at ${tolerance} px`}
        </p>
      )}
    </div>
  );
}

export function ExportDialog({ onClose }: { onClose: () => void }) {
  const { store, images } = useApp();
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
            // IoU as pycocotools gets it from the exported polygons (whole image, the reference rasterizer)
            `At ${settings.tolerance} px the polygons match their masks with IoU ≥ ${f.minIou.toFixed(3)} (mean ${f.meanIou.toFixed(4)}, ${f.annotations} checked).` +
              (f.minIou < DEFAULT_POLYGON_MIN_IOU
                ? ` This tolerance cannot keep IoU ≥ ${DEFAULT_POLYGON_MIN_IOU}: the export writes the masks below it at a finer tolerance.`
                : ''),
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
        store,
        images,
        settings,
        (done, total) => setProgress({ done, total }),
        (j) => (job.current = j),
      );
      notify('info', msg);
      onClose();
    } catch (e) {
      const err = appErrorFromUnknown(e);
      notify(err.message === 'Export cancelled.' ? 'info' : 'error', err.message, err.hint);
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
        {polygons && <PolygonPreview tolerance={settings.tolerance} />}
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
