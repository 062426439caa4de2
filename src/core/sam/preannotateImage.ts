/**
 * Pre-annotation of one image, whatever runs the model: masks from boxes (whole image, ROI crop, or
 * chosen by box size), from a coarse model's prompts, or SAM's automatic mask generator. The CLI
 * drives it with onnxruntime-node in-process, the app with its workers; both give the same masks.
 */
import type { Size } from '../geometry.ts';
import type { CocoRle } from '../mask/rle.ts';
import type { Annotation } from '../project/types.ts';
import { DEFAULT_POINTS_PER_BATCH, generateMasks, type AmgCropDecoder, type AmgMask, type AmgParams, type BoxXyxy } from './amg.ts';
import type { CoarsePrompt } from './coarse.ts';
import { promptBatches, type Prompts } from './prompts.ts';
import { boxPromptPlan, type BoxMode, type BoxPlanOptions, type PixelRect } from './roi.ts';

export type PreannotateMode = BoxMode | 'coarse' | 'everything';

/** One image's work. */
export interface PreannotateWork extends Size {
  /** box modes: the boxes ([x, y, w, h] in image px), each with the id it is known by and its category */
  boxes?: { id: number; bbox: [number, number, number, number]; categoryId: number }[];
  /** coarse mode: prompts from the label map, with the category of each */
  coarse?: (CoarsePrompt & { categoryId: number })[];
}

export interface PreannotateOptions {
  mode: PreannotateMode;
  boxPlan: Partial<BoxPlanOptions>;
  amg: AmgParams;
  /** category of segment-everything masks */
  everythingCategoryId: number;
  /** prompts per batched decoder call where the runtime batches (default: the runtime's; 1: one call per prompt) */
  pointsPerBatch?: number;
}

/** A machine-made mask in image px, with what made it. */
export interface ProducedMask {
  rle: CocoRle;
  area: number;
  bbox: [number, number, number, number];
  score: number;
  categoryId: number;
  /** the prompts in image px */
  prompts: Prompts;
  source: string;
  /** how it was made (COCO `attributes` of the CLI's output): crop, the box or class it came from, AMG scores */
  attributes: Record<string, unknown>;
  /** the model that made it (see Annotation.model) */
  model?: string;
}

/**
 * The annotation a machine-made mask becomes: a proposal to review (review 'pending', no time or
 * clicks of a person yet). The app's batches and the server's workers make the same records.
 */
export function proposalAnnotation(id: number, imageId: number, m: ProducedMask, createdAt: number): Annotation {
  return {
    id,
    imageId,
    categoryId: m.categoryId,
    segmentation: m.rle,
    area: m.area,
    bbox: m.bbox,
    score: m.score,
    prompts: m.prompts,
    source: m.source,
    timeMs: 0,
    clicks: 0,
    strokes: 0,
    createdAt,
    review: 'pending',
    ...(m.model ? { model: m.model } : {}),
  };
}

/** How a runtime runs SAM for a batch. `E` is its handle on an embedding. */
export interface PreannotateBackend<E> {
  /** An embedding of the whole image (`crop` null) or of a crop (image px); null when stopped. */
  embed(crop: PixelRect | null): Promise<E | null>;
  /**
   * A mask for prompts in the embedded region's px. With `paste`, the embedded region is the crop
   * `paste.roi` and the mask comes back in image px.
   */
  mask(
    e: E,
    prompts: Prompts,
    paste: { roi: PixelRect; width: number; height: number } | null,
  ): Promise<{ rle: CocoRle; area: number; bbox: [number, number, number, number]; score: number }>;
  /** Segment everything: the mask one grid point of a crop gives, if it passes the filters. */
  amgMask(e: E, point: { x: number; y: number }, crop: BoxXyxy, image: Size, params: AmgParams): Promise<AmgMask | null>;
  /**
   * A batched decoder's {@link amgMask}: several grid points in one call (optional; without it
   * every point is one call). `pointsPerBatch` points at a time.
   */
  amgMasks?(e: E, points: { x: number; y: number }[], crop: BoxXyxy, image: Size, params: AmgParams): Promise<(AmgMask | null)[]>;
  /**
   * A batched decoder's {@link mask} for prompts on the whole image's embedding (optional), in the
   * order given; every prompt of one call gives the decoder the same number of points.
   */
  masks?(e: E, prompts: Prompts[]): Promise<{ rle: CocoRle; area: number; bbox: [number, number, number, number]; score: number }[]>;
  /** prompts per batched call (default {@link DEFAULT_POINTS_PER_BATCH}) */
  pointsPerBatch?: number;
  /** Segment everything's last step (small holes and islands, NMS again). */
  smallRegions(masks: AmgMask[], minArea: number, nmsThresh: number): Promise<AmgMask[]>;
  /** Waits while paused; true when the run is stopped. */
  checkpoint(): Promise<boolean>;
  onStep?(done: number, total: number): void;
}

/** The masks of one image and the boxes they replace, or null when stopped half-way. */
export async function preannotateImage<E>(
  work: PreannotateWork,
  options: PreannotateOptions,
  backend: PreannotateBackend<E>,
): Promise<{ masks: ProducedMask[]; consumed: number[] } | null> {
  const size: Size = { width: work.width, height: work.height };
  if (options.mode === 'everything') return everything(size, options, backend);
  interface Job {
    prompts: Prompts;
    roi: PixelRect | null;
    categoryId: number;
    boxId: number | null;
    imagePrompts: Prompts;
    attributes: Record<string, unknown>;
  }
  const jobs: Job[] = [];
  if (options.mode === 'coarse') {
    for (const c of work.coarse ?? []) {
      jobs.push({
        prompts: c.prompts,
        roi: null,
        categoryId: c.categoryId,
        boxId: null,
        imagePrompts: c.prompts,
        attributes: {
          class_value: c.value,
          prompt: c.prompts.points.length ? 'box+points' : 'box',
          ...(c.fellBack ? { fell_back_to_box: true } : {}),
        },
      });
    }
  } else {
    for (const b of work.boxes ?? []) {
      const plan = boxPromptPlan(b.bbox, size, options.mode, options.boxPlan);
      const [x, y, w, h] = b.bbox;
      jobs.push({
        prompts: { points: [], box: plan.box },
        roi: plan.roi,
        categoryId: b.categoryId,
        boxId: b.id,
        imagePrompts: { points: [], box: { x0: x, y0: y, x1: x + w, y1: y + h } },
        attributes: { mode: plan.roi ? 'box-crop' : 'box', from_annotation: b.id },
      });
    }
  }
  // whole-image prompts first: they share one embedding (a runtime may hold one at a time); with a
  // batched decoder they go in calls of one point count
  const out: (ProducedMask | undefined)[] = [];
  const produced = (i: number, r: { rle: CocoRle; area: number; bbox: [number, number, number, number]; score: number }) => {
    const j = jobs[i]!;
    out[i] = { ...r, categoryId: j.categoryId, prompts: j.imagePrompts, source: 'auto', attributes: j.attributes };
  };
  const wholeJobs = jobs.flatMap((j, i) => (j.roi ? [] : [i]));
  const cropJobs = jobs.flatMap((j, i) => (j.roi ? [i] : []));
  let done = 0;
  let whole: E | null = null;
  if (wholeJobs.length > 0 && backend.masks) {
    const batches = promptBatches(
      wholeJobs.map((i) => jobs[i]!.prompts),
      backend.pointsPerBatch ?? DEFAULT_POINTS_PER_BATCH,
    );
    for (const b of batches) {
      if (await backend.checkpoint()) return null;
      const e: E | null = (whole ??= await backend.embed(null));
      if (e === null) return null;
      const idx = b.map((k) => wholeJobs[k]!);
      const rs = await backend.masks(
        e,
        idx.map((i) => jobs[i]!.prompts),
      );
      idx.forEach((i, k) => produced(i, rs[k]!));
      done += idx.length;
      backend.onStep?.(done, jobs.length);
    }
  }
  const oneByOne = backend.masks ? cropJobs : [...wholeJobs, ...cropJobs];
  for (const i of oneByOne) {
    const j = jobs[i]!;
    if (await backend.checkpoint()) return null;
    const e = j.roi ? await backend.embed(j.roi) : (whole ??= await backend.embed(null));
    if (e === null) return null;
    produced(i, await backend.mask(e, j.prompts, j.roi ? { roi: j.roi, ...size } : null));
    backend.onStep?.(++done, jobs.length);
  }
  return {
    masks: out.filter((m): m is ProducedMask => m !== undefined),
    consumed: jobs.flatMap((j) => (j.boxId === null ? [] : [j.boxId])),
  };
}

async function everything<E>(
  size: Size,
  options: PreannotateOptions,
  backend: PreannotateBackend<E>,
): Promise<{ masks: ProducedMask[]; consumed: number[] } | null> {
  const amg = options.amg;
  let stopped = false;
  const found = await generateMasks(
    size,
    // small regions are cleaned by the backend, where the masks are
    { ...amg, minMaskRegionArea: 0 },
    async (crop) => {
      const whole = crop.x0 === 0 && crop.y0 === 0 && crop.x1 === size.width && crop.y1 === size.height;
      const e = await backend.embed(whole ? null : crop);
      const box: BoxXyxy = [crop.x0, crop.y0, crop.x1, crop.y1];
      const stop = async () => {
        if (e === null || (await backend.checkpoint())) stopped = true;
        return stopped;
      };
      const dec: AmgCropDecoder = {
        maskAtPoint: async (p) => ((await stop()) ? null : backend.amgMask(e!, p, box, size, amg)),
      };
      const many = backend.amgMasks?.bind(backend);
      if (many) dec.masksAtPoints = async (ps) => ((await stop()) ? ps.map(() => null) : many(e!, ps, box, size, amg));
      return dec;
    },
    (p) => backend.onStep?.(p.done, p.total),
    () => stopped,
    backend.pointsPerBatch ?? DEFAULT_POINTS_PER_BATCH,
  );
  if (!found || stopped) return null;
  const cleaned =
    amg.minMaskRegionArea > 0
      ? await backend.smallRegions(found, amg.minMaskRegionArea, Math.max(amg.boxNmsThresh, amg.cropNmsThresh))
      : found;
  return {
    masks: cleaned.map((m) => ({
      rle: m.rle,
      area: m.area,
      bbox: [m.box[0], m.box[1], m.box[2] - m.box[0] + 1, m.box[3] - m.box[1] + 1],
      score: m.predictedIou,
      categoryId: options.everythingCategoryId,
      prompts: { points: [{ x: m.point.x, y: m.point.y, positive: true }], box: null },
      source: 'auto',
      attributes: { predicted_iou: m.predictedIou, stability_score: m.stabilityScore, point: [m.point.x, m.point.y], crop_box: m.cropBox },
    })),
    consumed: [],
  };
}
