import * as Comlink from 'comlink';
import { appErrorFromUnknown } from '../core/errors.ts';
import type { Project } from '../core/project/types.ts';
import type { CocoRle } from '../core/mask/rle.ts';
import type {
  CoarsePromptsResult,
  ExportApi,
  ExportKind,
  ExportResult,
  MaskPngObjects,
  ParsedCoco,
  ParsedTracks,
} from '../../workers/protocol.ts';
import type { CoarseOptions } from '../core/sam/coarse.ts';

/** An export running in its own worker: the page stays responsive, and cancel stops it at once. */
export interface ExportJob {
  result: Promise<ExportResult>;
  cancel(): void;
}

export function startExport(
  kind: ExportKind,
  project: Project,
  opts: { tolerance: number; minIou: number },
  /** an image's file, if open (YOLO zips hold the images; a video frame is decoded when read) */
  imageFile: (id: number) => { read(): Promise<Blob> } | undefined,
  onProgress?: (done: number, total: number) => void,
): ExportJob {
  const worker = new Worker(new URL('../../workers/export.worker.ts', import.meta.url), { type: 'module', name: 'export' });
  const api = Comlink.wrap<ExportApi>(worker);
  let cancelled = false;
  let rejectCancel: (e: Error) => void = () => undefined;
  const cancelledPromise = new Promise<never>((_, reject) => (rejectCancel = reject));
  // one image after another (a video's frames are decoded a few at a time, in frame order): never all at once
  const readAll = async (): Promise<{ id: number; blob: Blob }[]> => {
    const out: { id: number; blob: Blob }[] = [];
    if (kind !== 'yolo') return out;
    for (const im of project.images) {
      if (cancelled) break;
      const blob = await imageFile(im.id)
        ?.read()
        .catch(() => undefined);
      if (blob) out.push({ id: im.id, blob });
    }
    return out;
  };
  const images = readAll();
  const run = images
    .then((files) =>
      api.run(
        { kind, project, tolerance: opts.tolerance, minIou: opts.minIou, images: files },
        onProgress ? Comlink.proxy(onProgress) : undefined,
      ),
    )
    .catch((e: unknown) => {
      const err = appErrorFromUnknown(e);
      throw new Error(`${err.message} ${err.hint}`.trim());
    });
  const result = Promise.race([run, cancelledPromise]).finally(() => worker.terminate());
  return {
    result,
    cancel() {
      if (cancelled) return;
      cancelled = true;
      worker.terminate();
      rejectCancel(new Error('Export cancelled.'));
    },
  };
}

/** IoU of polygons with their masks at a tolerance, on a sample of annotations (for the export dialog). */
export async function polygonFidelity(
  project: Project,
  tolerance: number,
): Promise<{ minIou: number; meanIou: number; annotations: number }> {
  const worker = new Worker(new URL('../../workers/export.worker.ts', import.meta.url), { type: 'module', name: 'export-preview' });
  try {
    return await Comlink.wrap<ExportApi>(worker).fidelity(project, tolerance, 0, 200);
  } finally {
    worker.terminate();
  }
}

/** One annotation's polygons drawn over its mask (in a worker), with vertex count, IoU and tolerance used. */
export async function polygonPreview(rle: CocoRle, tolerance: number, minIou: number, width: number, height: number) {
  const worker = new Worker(new URL('../../workers/export.worker.ts', import.meta.url), { type: 'module', name: 'polygon-preview' });
  try {
    return await Comlink.wrap<ExportApi>(worker).polygonPreview(rle, tolerance, minIou, width, height);
  } finally {
    worker.terminate();
  }
}

export function downloadBytes(bytes: Uint8Array, fileName: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** Decodes mask PNGs in a worker (large PNGs would block the page): one RLE per object and file. */
export async function decodeMaskPngs(blobs: readonly Blob[]): Promise<MaskPngObjects[]> {
  const worker = new Worker(new URL('../../workers/export.worker.ts', import.meta.url), { type: 'module', name: 'mask-import' });
  try {
    const api = Comlink.wrap<ExportApi>(worker);
    const out: MaskPngObjects[] = [];
    for (const b of blobs) out.push(await api.maskPngObjects(b));
    return out;
  } finally {
    worker.terminate();
  }
}

/** Reads video tracks (a YouTube-VIS JSON, or palette PNGs) in a worker. */
export async function parseTrackFiles(files: readonly { blob: Blob; name: string }[]): Promise<ParsedTracks> {
  const worker = new Worker(new URL('../../workers/export.worker.ts', import.meta.url), { type: 'module', name: 'tracks-import' });
  try {
    return await Comlink.wrap<ExportApi>(worker).parseTracks([...files]);
  } finally {
    worker.terminate();
  }
}

/** Reads coarse label PNGs in a worker and derives SAM prompts from their objects (one result per file). */
export async function coarsePromptsFromPngs(blobs: readonly Blob[], options: Partial<CoarseOptions>): Promise<CoarsePromptsResult[]> {
  const worker = new Worker(new URL('../../workers/export.worker.ts', import.meta.url), { type: 'module', name: 'coarse-import' });
  try {
    const api = Comlink.wrap<ExportApi>(worker);
    const out: CoarsePromptsResult[] = [];
    for (const b of blobs) out.push(await api.coarsePrompts(b, options));
    return out;
  } finally {
    worker.terminate();
  }
}

/** Annotations handed over from the parsing worker per message (each message is one task on the page). */
const TAKE_CHUNK = 4000;

/**
 * Parses and validates a COCO file in a worker, reporting progress (annotations checked / all).
 * `signal` cancels: the worker is stopped at once and the answer is `kind: 'cancelled'`.
 */
export async function parseCocoFile(
  blob: Blob,
  options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<ParsedCoco> {
  const worker = new Worker(new URL('../../workers/export.worker.ts', import.meta.url), { type: 'module', name: 'coco-import' });
  const cancelled = new Promise<ParsedCoco>((resolve) => {
    const stop = () => resolve({ ok: false, kind: 'cancelled', message: 'the import was cancelled' });
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener('abort', stop, { once: true });
  });
  const run = async (): Promise<ParsedCoco> => {
    const api = Comlink.wrap<ExportApi>(worker);
    const head = await api.parseCoco(blob, options.onProgress ? Comlink.proxy(options.onProgress) : undefined);
    if (!head.ok) return head;
    const annotations = [];
    for (let i = 0; i < (head.annotationCount ?? 0); i += TAKE_CHUNK) {
      if (options.signal?.aborted) break;
      annotations.push(...(await api.takeParsedAnnotations(i, TAKE_CHUNK)));
    }
    return { ok: true, coco: { ...head.coco, annotations } };
  };
  try {
    return await Promise.race([run(), cancelled]);
  } finally {
    worker.terminate();
  }
}
