import type { CocoRle } from '../mask/rle.ts';
import type { Project } from '../project/types.ts';

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  iscrowd: 0 | 1;
  score?: number;
  attributes: Record<string, unknown>;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
}

export interface CocoDataset {
  info: { description: string; version: string; date_created: string };
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/**
 * COCO instances JSON of a project, segmentation as compressed RLE (lossless). Ordinary annotations
 * are `iscrowd: 0`; area is the mask's pixel count and bbox its tight box, both in image px.
 */
export function projectToCoco(project: Project, now: Date = new Date()): CocoDataset {
  return {
    info: { description: project.name, version: '1.0', date_created: now.toISOString() },
    images: project.images.map((im) => ({ id: im.id, file_name: im.fileName, width: im.width, height: im.height })),
    annotations: project.annotations.map((a) => ({
      id: a.id,
      image_id: a.imageId,
      category_id: a.categoryId,
      segmentation: { size: [a.segmentation.size[0], a.segmentation.size[1]], counts: a.segmentation.counts },
      area: a.area,
      bbox: [...a.bbox],
      iscrowd: 0,
      ...(a.score !== null ? { score: a.score } : {}),
      attributes: { source: a.source, prompts: a.prompts },
    })),
    categories: project.categories.map((c) => ({ id: c.id, name: c.name, supercategory: '' })),
  };
}
