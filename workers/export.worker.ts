/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { fittedPolygons, projectToCoco } from '../src/core/coco/export.ts';
import { CocoFormatError, parseCoco, type ImportedAnnotation } from '../src/core/coco/import.ts';
import { encodeErrorForTransfer } from '../src/core/errors.ts';
import { maskPngFiles } from '../src/core/export/masks.ts';
import { yoloFiles } from '../src/core/export/yolo.ts';
import type { Project } from '../src/core/project/types.ts';
import { decodePng, labelMapFromPng } from '../src/core/image/png.ts';
import { coarsePrompts } from '../src/core/sam/coarse.ts';
import { masksFromPng } from '../src/core/coco/maskPng.ts';
import { maskFromRle, rleBbox, rleStringFromCounts } from '../src/core/mask/rle.ts';
import { palettePngFiles, tracksFromPalettePngs } from '../src/core/video/palettePng.ts';
import { parseYtvis, projectToYtvis, ytvisTrackImport } from '../src/core/video/ytvis.ts';
import type { ExportApi, ExportRequest, ExportResult, ParsedTracks, ProgressCallback } from './protocol.ts';

function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_') || 'project';
}

async function run(req: ExportRequest, onProgress?: ProgressCallback): Promise<ExportResult> {
  const p = req.project;
  const base = safeName(p.name);
  if (req.kind === 'coco-rle' || req.kind === 'coco-polygon') {
    const coco = projectToCoco(p, {
      segmentation: req.kind === 'coco-rle' ? 'rle' : 'polygon',
      tolerance: req.tolerance,
      minIou: req.minIou,
    });
    onProgress?.(1, 1);
    const { fidelity, ...data } = coco as typeof coco & { fidelity?: ExportResult['fidelity'] };
    return {
      bytes: strToU8(JSON.stringify(data)),
      // the name says the format: RLE and polygon exports of one project must not overwrite each other
      fileName: `${base}-coco-${req.kind === 'coco-rle' ? 'rle' : 'polygons'}.json`,
      mime: 'application/json',
      ...(fidelity ? { fidelity } : {}),
      missingImages: [],
    };
  }
  if (req.kind === 'ytvis') {
    onProgress?.(1, 1);
    return {
      bytes: strToU8(JSON.stringify(projectToYtvis(p))),
      fileName: `${base}-ytvis.json`,
      mime: 'application/json',
      missingImages: [],
    };
  }
  if (req.kind === 'palette') {
    const files = palettePngFiles(p);
    onProgress?.(1, 1);
    return { bytes: zipSync(files, { level: 0 }), fileName: `${base}.palette.zip`, mime: 'application/zip', missingImages: [] };
  }
  if (req.kind === 'masks') {
    const files = maskPngFiles(p, (done, total) => onProgress?.(done, total));
    return { bytes: zipSync(files, { level: 0 }), fileName: `${base}.masks.zip`, mime: 'application/zip', missingImages: [] };
  }
  const { files, imageNames } = yoloFiles(p, req.tolerance);
  const zip: Zippable = {};
  for (const [k, v] of Object.entries(files)) zip[k] = strToU8(v);
  const blobs = new Map((req.images ?? []).map((i) => [i.id, i.blob]));
  const missingImages: string[] = [];
  let done = 0;
  for (const im of p.images) {
    const blob = blobs.get(im.id);
    if (blob) zip[imageNames.get(im.id)!] = [new Uint8Array(await blob.arrayBuffer()), { level: 0 }];
    else missingImages.push(im.fileName);
    onProgress?.(++done, p.images.length);
  }
  return { bytes: zipSync(zip, { level: 6 }), fileName: `${base}.yolo.zip`, mime: 'application/zip', missingImages };
}

/** The annotations of the last COCO file parsed, handed over in pieces (see takeParsedAnnotations). */
let parsedAnnotations: ImportedAnnotation[] = [];

const api: ExportApi = {
  takeParsedAnnotations(start, n) {
    return parsedAnnotations.slice(start, start + n);
  },
  async parseCoco(blob, onProgress) {
    let data: unknown;
    try {
      data = JSON.parse(await blob.text());
    } catch (e) {
      return { ok: false, kind: 'json', message: e instanceof Error ? e.message : String(e) };
    }
    try {
      const coco = parseCoco(data as Parameters<typeof parseCoco>[0], onProgress ? (d, t) => void onProgress(d, t) : undefined);
      parsedAnnotations = coco.annotations;
      return { ok: true, coco: { ...coco, annotations: [] }, annotationCount: coco.annotations.length };
    } catch (e) {
      if (e instanceof CocoFormatError) return { ok: false, kind: 'coco', message: e.message };
      throw encodeErrorForTransfer(e);
    }
  },
  async maskPngObjects(blob) {
    try {
      const raw = decodePng(new Uint8Array(await blob.arrayBuffer()));
      const objects = masksFromPng(raw).objects.map((o) => ({
        rle: { size: [raw.height, raw.width] as [number, number], counts: rleStringFromCounts(o.counts) },
        area: o.area,
        bbox: o.bbox,
      }));
      return { ok: true, width: raw.width, height: raw.height, objects };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  },
  async parseTracks(files): Promise<ParsedTracks> {
    const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
    const json = files.filter((f) => /\.json$/i.test(f.name));
    const pngs = files.filter((f) => /\.png$/i.test(f.name));
    if (pngs.length === 0) {
      if (json.length !== 1) return { ok: false, message: 'pick one YouTube-VIS JSON file, or a folder of palette PNGs' };
      let data: unknown;
      try {
        data = JSON.parse(await json[0]!.blob.text());
      } catch (e) {
        return { ok: false, message: `${json[0]!.name} is not valid JSON: ${message(e)}` };
      }
      try {
        return { ok: true, format: 'ytvis', tracks: ytvisTrackImport(parseYtvis(data as Parameters<typeof parseYtvis>[0])) };
      } catch (e) {
        if (e instanceof CocoFormatError) return { ok: false, message: `${json[0]!.name} is not a valid YouTube-VIS file: ${e.message}` };
        throw encodeErrorForTransfer(e);
      }
    }
    const meta = json.find((f) => /(^|\/)(instances|meta)\.json$/i.test(f.name));
    let instances: unknown;
    try {
      instances = meta ? JSON.parse(await meta.blob.text()) : undefined;
    } catch (e) {
      return { ok: false, message: `${meta!.name} is not valid JSON: ${message(e)}` };
    }
    const images = [];
    for (const f of pngs) {
      try {
        const m = labelMapFromPng(new Uint8Array(await f.blob.arrayBuffer()));
        images.push({ path: f.name, width: m.width, height: m.height, data: m.labels });
      } catch (e) {
        return { ok: false, message: `${f.name}: ${message(e)}` };
      }
    }
    try {
      return { ok: true, format: 'palette', tracks: tracksFromPalettePngs(images, instances) };
    } catch (e) {
      return { ok: false, message: message(e) };
    }
  },
  async coarsePrompts(blob, options) {
    try {
      const map = labelMapFromPng(new Uint8Array(await blob.arrayBuffer()));
      return { ok: true, width: map.width, height: map.height, prompts: coarsePrompts(map.labels, map.width, map.height, options) };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  },
  async run(req, onProgress) {
    try {
      const r = await run(req, onProgress);
      return Comlink.transfer(r, [r.bytes.buffer]);
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },
  polygonPreview(rle, tolerance, minIou, width, height) {
    try {
      const f = fittedPolygons(rle, tolerance, minIou);
      const [bx, by, bw, bh] = rleBbox(rle);
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#111418';
      ctx.fillRect(0, 0, width, height);
      if (bw > 0 && bh > 0) {
        // the mask's box with a margin, scaled to fit
        const m = Math.max(2, Math.round(Math.max(bw, bh) * 0.08));
        const k = Math.min((width - 8) / (bw + 2 * m), (height - 8) / (bh + 2 * m));
        const ox = (width - (bw + 2 * m) * k) / 2 - (bx - m) * k;
        const oy = (height - (bh + 2 * m) * k) / 2 - (by - m) * k;
        const mask = maskFromRle(rle);
        const W = rle.size[1];
        ctx.fillStyle = 'rgba(80, 140, 255, 0.55)';
        for (let y = by; y < by + bh; y++)
          for (let x = bx; x < bx + bw; x++) if (mask[y * W + x]) ctx.fillRect(ox + x * k, oy + y * k, Math.ceil(k), Math.ceil(k));
        ctx.strokeStyle = '#ffd400';
        ctx.lineWidth = 1.5;
        ctx.lineJoin = 'round';
        for (const poly of f.polygons) {
          ctx.beginPath();
          for (let i = 0; i < poly.length; i += 2) ctx[i ? 'lineTo' : 'moveTo'](ox + poly[i]! * k, oy + poly[i + 1]! * k);
          ctx.closePath();
          ctx.stroke();
        }
      }
      const bitmap = canvas.transferToImageBitmap();
      const vertices = f.polygons.reduce((n, p) => n + p.length / 2, 0);
      return Comlink.transfer({ bitmap, iou: f.iou, tolerance: f.tolerance, vertices, polygons: f.polygons.length }, [bitmap]);
    } catch (e) {
      throw encodeErrorForTransfer(e);
    }
  },
  fidelity(project: Project, tolerance, minIou, sample) {
    const anns = project.annotations.filter((a) => !a.iscrowd);
    const step = Math.max(1, Math.ceil(anns.length / sample));
    let min = 1;
    let sum = 0;
    let n = 0;
    let tightened = 0;
    let finest = tolerance;
    for (let i = 0; i < anns.length; i += step) {
      const f = fittedPolygons(anns[i]!.segmentation, tolerance, minIou);
      min = Math.min(min, f.iou);
      sum += f.iou;
      n++;
      if (f.tolerance < tolerance) tightened++;
      finest = Math.min(finest, f.tolerance);
    }
    return { minIou: min, meanIou: n ? sum / n : 1, annotations: n, tightened, finestTolerance: finest };
  },
};

Comlink.expose(api);
