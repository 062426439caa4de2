import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskIou } from '../mask/iou.ts';
import { maskFromPolygons } from '../mask/polygon.ts';
import { maskFromRle, type CocoRle } from '../mask/rle.ts';
import { emptyProject } from '../project/types.ts';
import { DEFAULT_POLYGON_TOLERANCE, fittedPolygons, projectToCoco } from './export.ts';
import { parseCoco } from './import.ts';
import { mergeCocoIntoProject } from './merge.ts';

const COCO = resolve(import.meta.dirname, '../../../../shared/datasets/coco-val2017-tiny/instances_val2017.json');
const raw = JSON.parse(readFileSync(COCO, 'utf8')) as {
  annotations: { id: number; iscrowd: number; area: number; segmentation: unknown; image_id: number }[];
  images: { id: number; width: number; height: number }[];
};

describe('the real COCO val2017 subset round-trips', () => {
  const imported = parseCoco(raw);
  const merged = mergeCocoIntoProject({ ...emptyProject('coco'), categories: [] }, imported);

  it('imports every annotation, polygons and crowd RLE alike', () => {
    expect(imported.images).toHaveLength(50);
    expect(imported.categories).toHaveLength(80);
    expect(imported.annotations).toHaveLength(382);
    expect(imported.annotations.filter((a) => a.iscrowd && a.format === 'rle')).toHaveLength(5);
    expect(imported.annotations.filter((a) => a.format === 'polygon')).toHaveLength(377);
    expect(merged.masks).toBe(382);
    expect(merged.project.images).toHaveLength(50);
    expect(merged.newCategories).toHaveLength(80);
    // COCO's `area` is geometric (polygons) or from another stage (crowd); pixel counts agree within a few percent
    const rel = imported.annotations
      .map((a) => {
        const orig = raw.annotations.find((r) => r.id === a.cocoId)!;
        return Math.abs(a.area - orig.area) / orig.area;
      })
      .sort((x, y) => x - y);
    expect(rel[Math.floor(rel.length / 2)]).toBeLessThan(0.05);
  });

  it('crowd RLE (uncompressed counts) decodes to the same pixels as given', () => {
    for (const a of imported.annotations.filter((x) => x.iscrowd)) {
      const orig = raw.annotations.find((r) => r.id === a.cocoId)!.segmentation as { size: [number, number]; counts: number[] };
      const mine = maskFromRle(a.segmentation!);
      const theirs = maskFromRle(orig);
      expect(maskIou(mine, theirs)).toBe(1);
    }
  });

  it('exported as RLE and re-imported: identical masks, crowd flags kept', () => {
    const coco = projectToCoco(merged.project);
    expect(coco.annotations).toHaveLength(382);
    expect(coco.annotations.filter((a) => a.iscrowd === 1)).toHaveLength(5);
    const again = parseCoco(JSON.parse(JSON.stringify(coco)));
    expect(again.annotations).toHaveLength(382);
    const before = new Map(merged.project.annotations.map((a) => [a.coco!.id, a.segmentation.counts]));
    for (const a of again.annotations) expect(a.segmentation!.counts).toBe(before.get(a.cocoId));
  });

  it('an export of the imported annotations, unedited, keeps the file’s ids, area, bbox, iscrowd and every other field', () => {
    const coco = projectToCoco(merged.project);
    const file = JSON.parse(readFileSync(COCO, 'utf8')) as {
      annotations: Record<string, unknown>[];
      images: Record<string, unknown>[];
      categories: Record<string, unknown>[];
    };
    const out = new Map(coco.annotations.map((a) => [a.id, a as unknown as Record<string, unknown>]));
    expect(out.size).toBe(file.annotations.length);
    for (const orig of file.annotations) {
      const a = out.get(orig['id'] as number)!;
      expect(a, `annotation ${String(orig['id'])}`).toBeDefined();
      for (const k of Object.keys(orig)) if (k !== 'segmentation') expect(a[k], `annotation ${String(orig['id'])}.${k}`).toEqual(orig[k]);
    }
    // a crowd region's area is the file's, not its pixel count (that moved it between COCOeval's size ranges)
    const crowd = file.annotations.find((a) => a['iscrowd'] === 1)!;
    expect(out.get(crowd['id'] as number)!['area']).toBe(crowd['area']);
    expect(coco.images.map((im) => im.id).sort((x, y) => x - y)).toEqual(file.images.map((im) => im['id'] as number).sort((x, y) => x - y));
    const catIds = new Map(file.categories.map((c) => [c['name'] as string, c['id']]));
    for (const c of coco.categories) expect(c.id, c.name).toBe(catIds.get(c.name));
  });

  it('the polygon check measures what pycocotools gets: the full frame rasterized by the reference, tolerances 0.5-10 px', () => {
    const sample = merged.project.annotations.filter((a, i) => !a.iscrowd && i % 3 === 0);
    for (const tolerance of [0.5, 1, 2, 4, 7, 10]) {
      const coco = projectToCoco({ ...merged.project, annotations: sample }, { segmentation: 'polygon', tolerance });
      const byId = new Map(sample.map((a) => [a.coco!.id, a]));
      let worst = 1;
      let tightened = 0;
      for (const a of coco.annotations) {
        const orig = byId.get(a.id)!;
        const [h, w] = orig.segmentation.size;
        // what pycocotools does with the exported file: annToMask (frPyObjects + merge) on the whole image
        const iou = maskIou(maskFromPolygons(a.segmentation as number[][], w, h), maskFromRle(orig.segmentation));
        expect(iou, `annotation ${a.id} at ${tolerance} px`).toBeGreaterThanOrEqual(0.98);
        worst = Math.min(worst, iou);
        const f = fittedPolygons(orig.segmentation, tolerance, 0.98);
        expect(f.iou).toBeCloseTo(iou, 12);
        if (f.tolerance < tolerance) tightened++;
      }
      // the promise is the truth: the smallest IoU reported is the smallest pycocotools gets
      expect(coco.fidelity!.minIou).toBeCloseTo(worst, 12);
      expect(coco.fidelity!.tightened).toBe(tightened);
      if (tolerance >= 4) expect(tightened).toBeGreaterThan(0);
    }
  });

  it(`exported as polygons (tolerance ${DEFAULT_POLYGON_TOLERANCE}): IoU ≥ 0.98 for every annotation, by the reference rasterizer`, () => {
    const coco = projectToCoco(merged.project, { segmentation: 'polygon' });
    expect(coco.fidelity!.minIou).toBeGreaterThanOrEqual(0.98);
    const byId = new Map(merged.project.annotations.map((a) => [a.coco!.id, a]));
    let worst = 1;
    for (const a of coco.annotations) {
      const orig = byId.get(a.id)!;
      const [h, w] = orig.segmentation.size;
      const mask = maskFromRle(orig.segmentation);
      const back = Array.isArray(a.segmentation) ? maskFromPolygons(a.segmentation, w, h) : maskFromRle(a.segmentation as CocoRle);
      const iou = maskIou(back, mask);
      worst = Math.min(worst, iou);
      expect(iou, `annotation ${a.id}`).toBeGreaterThanOrEqual(0.98);
    }
    console.log(`polygon export: worst IoU ${worst.toFixed(5)}, mean ${coco.fidelity!.meanIou.toFixed(5)}`);
    // a coarse tolerance does deviate, and is then tightened where an annotation would fall below the bound
    const coarse = projectToCoco(merged.project, { segmentation: 'polygon', tolerance: 3, minIou: 0 });
    expect(coarse.fidelity!.minIou).toBeLessThan(0.98);
    const bounded = projectToCoco(merged.project, { segmentation: 'polygon', tolerance: 3, minIou: 0.98 });
    expect(bounded.fidelity!.minIou).toBeGreaterThanOrEqual(0.98);
    // re-imported through the parser as well
    const again = parseCoco(JSON.parse(JSON.stringify(coco)));
    expect(again.annotations).toHaveLength(382);
  });
});
