/** Exports of a server project with the app's own core (the same COCO the browser writes), streamed. */
import { projectToCoco, type CocoExportOptions } from '../core/coco/export.ts';
import type { Collection } from '../core/project/changes.ts';
import { emptyProject, type Project } from '../core/project/types.ts';
import type { Service } from './service.ts';

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
