import { resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { readRgbaImage, type RgbaImage } from '../src/node/image.ts';
import { NodeSam } from '../src/node/sam-node.ts';
import type { Prompts } from '../src/core/sam/prompts.ts';
import type { ImageRecord, Project } from '../src/core/project/types.ts';

export const SAMPLES = resolve(import.meta.dirname, '../public/samples');
export const SHARED = resolve(import.meta.dirname, '../../shared');

let sam: Promise<NodeSam> | null = null;
const embeddings = new Map<string, Promise<{ image: RgbaImage; embedding: Float32Array }>>();

/**
 * Reference masks of a prompt sequence, as the app computes them with mask feedback on (its default):
 * each decode after the first gets the previous low-res logits as `mask_input`.
 */
export async function referenceSequence(path: string, steps: Prompts[], feedback = true): Promise<Uint8Array[]> {
  sam ??= NodeSam.load();
  const s = await sam;
  await referenceMask(path, steps[0]!);
  const { image, embedding } = await embeddings.get(path)!;
  const out: Uint8Array[] = [];
  let low: Float32Array | null = null;
  for (const p of steps) {
    const r = await s.decode(embedding, image, p, 'model', feedback ? low : null);
    low = r.lowRes;
    out.push(r.mask);
  }
  return out;
}

/** Reference mask: the same model files run directly with onnxruntime-node. */
export async function referenceMask(
  path: string,
  prompts: Prompts,
): Promise<{ mask: Uint8Array; width: number; height: number; score: number }> {
  sam ??= NodeSam.load();
  const s = await sam;
  let e = embeddings.get(path);
  if (!e) {
    e = (async () => {
      const image = readRgbaImage(path);
      return { image, embedding: await s.embed(image) };
    })();
    embeddings.set(path, e);
  }
  const { image, embedding } = await e;
  const r = await s.decode(embedding, image, prompts);
  return { ...r, width: image.width, height: image.height };
}

declare global {
  interface Window {
    /** Long tasks' durations (ms), where a page collects them (bench/server.ts's `collectLongTasks`). */
    __longtasks: number[];
  }
}

export async function ready(page: Page): Promise<void> {
  await page.evaluate(() => window.annotator.ready());
}

export async function clientOf(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(([x, y]) => window.annotator.imageToClient(x!, y!), [x, y]);
}

/** Clicks image pixel (x, y) at the current zoom and pan. */
export async function clickImage(page: Page, x: number, y: number, button: 'left' | 'right' = 'left'): Promise<void> {
  const p = await clientOf(page, x, y);
  await page.mouse.click(p.x, p.y, { button });
}

export async function liveMask(page: Page) {
  return page.evaluate(() => window.annotator.getLiveMask());
}

export async function currentImage(page: Page): Promise<ImageRecord | null> {
  return page.evaluate(() => window.annotator.currentImage());
}

export async function project(page: Page): Promise<Project> {
  return page.evaluate(() => window.annotator.getProject());
}

/** Opens files through the contract's image input and waits until the first is ready for clicks. */
export async function openImages(page: Page, files: string[]): Promise<void> {
  await page.locator('input[type=file][accept*="image/"]').setInputFiles(files);
}

export async function gotoApp(page: Page, path = '/'): Promise<void> {
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  if (process.env['E2E_CONSOLE']) page.on('console', (m) => console.log('console:', m.type(), m.text()));
  await page.goto(path);
}

export async function editorState(page: Page) {
  return page.evaluate(() => window.annotator.editorState());
}

/** Reference of the app's ROI-crop mode: the crop encoded on its own, the box prompt in crop px, the mask pasted back. */
export async function referenceCropMask(
  path: string,
  bbox: [number, number, number, number],
  options: { margin?: number; minCropSide?: number } = {},
) {
  const { boxPromptPlan, cropRgba, pasteMask } = await import('../src/core/sam/roi.ts');
  sam ??= NodeSam.load();
  const s = await sam;
  const image = readRgbaImage(path);
  const plan = boxPromptPlan(bbox, image, 'box-crop', options);
  const roi = plan.roi!;
  const size = { width: roi.x1 - roi.x0, height: roi.y1 - roi.y0 };
  const emb = await s.embed({ ...size, data: cropRgba(image.data, image, roi) });
  const r = await s.decode(emb, size, { points: [], box: plan.box }, 'core');
  return { mask: pasteMask(r.mask, roi, image), roi };
}

/** Reference of segment everything: the core's generator on onnxruntime-node (whole image only). */
export async function referenceEverything(path: string, params: Partial<import('../src/core/sam/amg.ts').AmgParams>) {
  const { amgPointDecoder, DEFAULT_AMG_PARAMS, generateMasks } = await import('../src/core/sam/amg.ts');
  sam ??= NodeSam.load();
  const s = await sam;
  const image = readRgbaImage(path);
  const emb = await s.embed(image);
  const p = { ...DEFAULT_AMG_PARAMS, ...params };
  return (await generateMasks(image, p, async (c) =>
    amgPointDecoder(
      (pt) => s.decodeLogits(emb, image, { points: [{ ...pt, positive: true }], box: null }),
      [c.x0, c.y0, c.x1, c.y1],
      image,
      p,
    ),
  ))!;
}

/**
 * A reference refinement of one object as the app runs it (feedback, candidates, zoom-in with the
 * given settings), on onnxruntime-node with the decoder rewritten for candidates.
 */
export async function referenceRefiner(path: string, zoomIn: import('../src/core/sam/zoomIn.ts').ZoomInOptions | null) {
  const { NodeRefiner } = await import('../src/cli/refiner.ts');
  candidateSam ??= NodeSam.load(undefined, { candidates: true });
  const s = await candidateSam;
  const image = readRgbaImage(path);
  return new NodeRefiner(s, image, await s.embed(image), { feedback: true, zoomIn });
}
let candidateSam: Promise<NodeSam> | null = null;
