/** Exports of the project (run in a worker) and the export settings kept between sessions. */
import { DEFAULT_POLYGON_MIN_IOU } from '../../core/coco/export.ts';
import { downloadBytes, startExport, type ExportJob } from '../../io/exporter.ts';
export { polygonFidelity, polygonPreview, type ExportJob } from '../../io/exporter.ts';
import type { ExportKind } from '../../../workers/protocol.ts';
import type { AppStore } from '../store/store.ts';

export interface ExportSettings {
  kind: ExportKind;
  tolerance: number;
}

export const KINDS: { kind: ExportKind; label: string; note: string }[] = [
  { kind: 'coco-rle', label: 'COCO JSON, RLE masks', note: 'lossless; read by pycocotools and most tools' },
  { kind: 'coco-polygon', label: 'COCO JSON, polygons', note: 'every part and hole kept; simplified by the tolerance' },
  { kind: 'masks', label: 'Mask PNGs (zip)', note: 'one binary PNG per annotation, plus instance-id and semantic PNGs per image' },
  { kind: 'yolo', label: 'YOLO segmentation (zip)', note: 'images/, labels/*.txt with normalized polygons, data.yaml' },
  { kind: 'ytvis', label: 'YouTube-VIS JSON (video tracks)', note: 'one record per track, its RLE mask on each frame (null where unseen)' },
  {
    kind: 'palette',
    label: 'Palette PNGs (zip, DAVIS / YouTube-VOS)',
    note: 'a folder per clip, one indexed PNG per frame (colour index = object), instances.json',
  },
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

export function saveExportSettings(s: ExportSettings): void {
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(s));
  } catch {
    // settings are a convenience; a full or blocked storage must not stop the export
  }
}

/** Runs an export and downloads the result; resolves to a message for the user. */
export async function runExport(
  store: AppStore,
  images: { file(id: number): { read(): Promise<Blob> } | undefined },
  settings: ExportSettings,
  onProgress?: (d: number, t: number) => void,
  onJob?: (j: ExportJob) => void,
): Promise<string> {
  // an accept under way is part of what the user asked to export
  await store.session.acceptsDone();
  const project = store.getState().project;
  const job = startExport(
    settings.kind,
    project,
    { tolerance: settings.tolerance, minIou: DEFAULT_POLYGON_MIN_IOU },
    (id) => images.file(id),
    onProgress,
  );
  onJob?.(job);
  const r = await job.result;
  downloadBytes(r.bytes, r.fileName, r.mime);
  const parts = [`Exported ${project.annotations.length} annotation(s) of ${project.images.length} image(s) as ${r.fileName}.`];
  if (r.fidelity) {
    const f = r.fidelity;
    // IoU as pycocotools computes it from the file (whole image, the reference rasterizer)
    parts.push(`Polygons vs masks: IoU ≥ ${f.minIou.toFixed(3)}, mean ${f.meanIou.toFixed(4)}.`);
    if (f.tightened)
      parts.push(
        `${f.tightened} of ${f.annotations} masks could not keep IoU ≥ ${DEFAULT_POLYGON_MIN_IOU} at ${settings.tolerance} px and were written at a finer tolerance (down to ${f.finestTolerance} px).`,
      );
  }
  if (r.missingImages.length) parts.push(`${r.missingImages.length} image file(s) were not open and are missing from the zip.`);
  return parts.join(' ');
}
