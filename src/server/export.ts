/** Exports of a server project with the app's own core (the same COCO the browser writes), streamed. */
import { readFileSync } from 'node:fs';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { projectToCoco, type CocoExportOptions } from '../core/coco/export.ts';
import type { CocoImport } from '../core/coco/import.ts';
import { mergeCocoIntoProject } from '../core/coco/merge.ts';
import type { SyncOp } from '../core/sync/protocol.ts';
import { maskPngEntries } from '../core/export/masks.ts';
import { yoloEntries, yoloImageNames } from '../core/export/yolo.ts';
import type { Collection } from '../core/project/changes.ts';
import { emptyProject, type Project } from '../core/project/types.ts';
import type { Service } from './service.ts';
import { HttpError } from './errors.ts';
import { RECORD_SCHEMAS } from './validate.ts';

/** The project's current records as a document (annotations whose image or category is gone are left out). */
export async function loadProject(service: Service, projectId: number, name: string): Promise<Project> {
  const p: Project = { ...emptyProject(name), categories: [] };
  let after: { coll: Collection; id: number } | null = null;
  for (;;) {
    const page = await service.records(projectId, after, 10_000);
    for (const r of page.records) (p[r.coll] as unknown[]).push(r.data);
    if (!page.next) break;
    const [coll, id] = page.next.split(':');
    after = { coll: coll as Collection, id: Number(id) };
  }
  const images = new Set(p.images.map((i) => i.id));
  const cats = new Set(p.categories.map((c) => c.id));
  p.annotations = p.annotations.filter((a) => images.has(a.imageId) && cats.has(a.categoryId));
  p.pendingBoxes = p.pendingBoxes.filter((b) => images.has(b.imageId) && cats.has(b.categoryId));
  p.skipped = p.skipped.filter((s) => images.has(s.imageId));
  return p;
}

/** COCO JSON as chunks of text (one image or annotation per line), never the whole file as one string. */
export function* cocoJsonChunks(project: Project, options: CocoExportOptions): Generator<string> {
  const coco = projectToCoco(project, options);
  const { images, annotations, categories, info } = coco;
  yield `{"info":${JSON.stringify(info)},\n"images":[`;
  for (let i = 0; i < images.length; i++) yield (i ? ',\n' : '\n') + JSON.stringify(images[i]);
  yield '],\n"annotations":[';
  for (let i = 0; i < annotations.length; i++) yield (i ? ',\n' : '\n') + JSON.stringify(annotations[i]);
  yield `],\n"categories":${JSON.stringify(categories)}}\n`;
}

type ZipEntry = [name: string, data: Uint8Array | string];

/**
 * A zip as a byte stream, made as it is read: each read takes entries from `entries` (one image's
 * files at a time) until some bytes are out, so memory holds one image's files, not the project's.
 * Already-compressed data (PNG, JPEG) is stored, text is deflated.
 */
export function zipStream(entries: Iterator<ZipEntry>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let out: Uint8Array[] = [];
  let failed: Error | null = null;
  let done = false;
  const zip = new Zip((err, chunk, final) => {
    if (err) failed = err;
    else out.push(chunk);
    if (final) done = true;
  });
  return new ReadableStream<Uint8Array>({
    pull(ctl) {
      while (out.length === 0 && !done && !failed) {
        const next = entries.next();
        if (next.done) {
          zip.end();
          break;
        }
        const [name, data] = next.value;
        const bytes = typeof data === 'string' ? enc.encode(data) : data;
        const file = typeof data === 'string' || name.endsWith('.json') ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
        zip.add(file);
        file.push(bytes, true);
      }
      if (failed) return ctl.error(failed);
      for (const c of out) ctl.enqueue(c);
      out = [];
      if (done) ctl.close();
    },
  });
}

/** Mask PNGs (per annotation, per image instance and semantic maps, index.json), as the app's export writes them. */
export function maskPngZip(project: Project): ReadableStream<Uint8Array> {
  return zipStream(maskPngEntries(project));
}

/** YOLO segmentation labels and data.yaml, with the image files the server holds (`images/`). */
export function yoloZip(project: Project, fileOf: (sha: string) => string | null): ReadableStream<Uint8Array> {
  const names = yoloImageNames(project);
  function* entries(): Generator<ZipEntry> {
    yield* yoloEntries(project);
    for (const im of project.images) {
      const path = im.sha256 ? fileOf(im.sha256) : null;
      if (path) yield [names.get(im.id)!, new Uint8Array(readFileSync(path))];
    }
  }
  return zipStream(entries());
}

/** What an import added. */
export interface ImportReport {
  masks: number;
  boxes: number;
  newImages: number;
  newCategories: string[];
  sizeMismatches: string[];
  /** reserved ids the import did not use because a record already had them (pushed with an id nobody reserved) */
  idsPassedOver: number;
}

/**
 * Merges a parsed COCO file into a server project with the app's own merge (images matched by file
 * name, categories by name, masks as annotations, box-only annotations as waiting boxes), new records
 * numbered from blocks reserved on the server, all written in one push (one transaction: all or
 * nothing) that every client pulls.
 */
export async function importCoco(
  service: Service,
  projectId: number,
  name: string,
  user: Parameters<Service['push']>[1],
  imp: CocoImport,
): Promise<ImportReport & { seq: number }> {
  const project = await loadProject(service, projectId, name);
  const pools = new Map<Collection, { ids: number[]; next: number }>();
  const need: Partial<Record<Collection, number>> = {
    images: imp.images.length,
    categories: imp.categories.length,
    annotations: imp.annotations.length,
    pendingBoxes: imp.annotations.length,
  };
  // new records get reserved ids that no record has: a record pushed with an id nobody reserved is
  // passed over (and counted), never replaced
  let idsPassedOver = 0;
  for (const [coll, n] of Object.entries(need) as [Collection, number][]) {
    if (n <= 0) continue;
    const taken = new Set((project[coll] as { id: number }[]).map((r) => r.id));
    const pool: number[] = [];
    while (pool.length < n) {
      const [first, last] = await service.reserveIds(projectId, coll, n - pool.length);
      for (let id = first; id <= last; id++)
        if (taken.has(id)) idsPassedOver++;
        else pool.push(id);
    }
    pools.set(coll, { ids: pool, next: 0 });
  }
  const newId = (coll: 'images' | 'categories' | 'annotations' | 'pendingBoxes') => {
    const p = pools.get(coll)!;
    return p.ids[p.next++]!;
  };
  const r = mergeCocoIntoProject(project, imp, Date.now(), newId);
  const ops: SyncOp[] = [];
  const tag = `import-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  for (const coll of ['images', 'categories', 'annotations', 'pendingBoxes'] as const) {
    const before = new Map((project[coll] as { id: number }[]).map((x) => [x.id, JSON.stringify(x)]));
    for (const rec of r.project[coll] as { id: number }[]) {
      if (before.get(rec.id) === JSON.stringify(rec)) continue;
      ops.push({ opId: `${tag}:${ops.length}`, coll, id: rec.id, baseRev: null, data: rec as SyncOp['data'] });
    }
  }
  // what a client's push must pass, an import passes too (names of any length were stored, then the app could not push them back)
  const problems: string[] = [];
  for (const o of ops) {
    const r = RECORD_SCHEMAS[o.coll].safeParse(o.data);
    if (!r.success) {
      const i = r.error.issues[0]!;
      problems.push(`${o.coll} ${o.id}: ${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
    }
  }
  if (problems.length)
    throw new HttpError(
      400,
      `The file has ${problems.length === 1 ? 'a record' : `${problems.length} records`} the project cannot hold: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}.`,
      'Nothing was imported. Shorten the names (file names up to 1024 characters, category names up to 200) and import again.',
    );
  const res = ops.length ? await service.push(projectId, user, 'admin', { clientId: tag, ops }) : { seq: 0 };
  return {
    masks: r.masks,
    boxes: r.boxes,
    newImages: r.newImages.length,
    newCategories: r.newCategories,
    sizeMismatches: r.sizeMismatches,
    idsPassedOver,
    seq: res.seq,
  };
}
