import { describe, expect, it } from 'vitest';
import { DEFAULT_AMG_PARAMS } from '../core/sam/amg.ts';
import { rleFromMask } from '../core/mask/rle.ts';
import type { PixelRect } from '../core/sam/roi.ts';
import type { Prompts } from '../core/sam/prompts.ts';
import type { InferenceEngine } from './engine.ts';
import { PreannotateRun, type PreannotateItem, type PreannotateProgress, type ProducedMask } from './preannotate.ts';

/** A 20x20 mask with one pixel at the box's top-left corner. */
function maskAtBoxCorner(prompts: Prompts) {
  const b = prompts.box!;
  const w = 20;
  const m = new Uint8Array(w * w);
  m[Math.floor(b.y0) * w + Math.floor(b.x0)] = 1;
  return { rle: rleFromMask(m, w, w), area: 1, bbox: [0, 0, 1, 1] as [number, number, number, number], score: 0.9 };
}

/** A stand-in for the engine's batch calls that records what it was asked (the real one is covered end to end). */
function fakeEngine(delayMs = 0) {
  const calls: string[] = [];
  let scratch = '';
  const tick = () => new Promise((r) => setTimeout(r, delayMs));
  const engine = {
    async batchEmbedding(imageId: number, crop: PixelRect | null, shouldStop: () => boolean) {
      await tick();
      if (shouldStop()) return null;
      scratch = crop ? `${imageId}:${crop.x0},${crop.y0},${crop.x1},${crop.y1}` : `${imageId}:whole`;
      calls.push(`embed ${scratch}`);
      return { source: 'scratch' as const, width: 0, height: 0 };
    },
    async batchMask(_s: unknown, prompts: Prompts, paste: { roi: PixelRect; width: number; height: number } | null) {
      await tick();
      calls.push(`mask on ${scratch}${paste ? ' pasted' : ''}`);
      return maskAtBoxCorner(prompts);
    },
    async batchMasks(_s: unknown, prompts: Prompts[]) {
      await tick();
      calls.push(`${prompts.length} masks in one call on ${scratch}`);
      return prompts.map(maskAtBoxCorner);
    },
    async amgMask() {
      await tick();
      return null;
    },
    async amgMasks(_s: unknown, points: unknown[]) {
      await tick();
      calls.push(`${points.length} grid points in one call`);
      return points.map(() => null);
    },
    async amgSmallRegions(m: unknown[]) {
      return m;
    },
  };
  return { engine: engine as unknown as InferenceEngine, calls };
}

const opts = { mode: 'auto-box' as const, boxPlan: { minCropSide: 0 }, amg: DEFAULT_AMG_PARAMS, everythingCategoryId: 1 };

describe('PreannotateRun', () => {
  it('does whole-image boxes first on one embedding, crops each on their own, and hands over each image', async () => {
    const { engine, calls } = fakeEngine();
    const items: PreannotateItem[] = [
      {
        imageId: 1,
        width: 1000,
        height: 800,
        boxes: [
          { id: 11, bbox: [10, 10, 50, 50], categoryId: 2 }, // small: cropped
          { id: 12, bbox: [100, 100, 600, 500], categoryId: 3 }, // large: whole image
          { id: 13, bbox: [0, 0, 700, 700], categoryId: 3 },
        ],
      },
      { imageId: 2, width: 100, height: 100, boxes: [{ id: 21, bbox: [1, 1, 90, 90], categoryId: 1 }] },
    ];
    const done: [number, ProducedMask[], number[]][] = [];
    const run = new PreannotateRun(engine, items, opts, { onProgress: () => undefined, onImageDone: (i, m, c) => done.push([i, m, c]) });
    const end = await run.finished;
    expect(end).toMatchObject({ state: 'done', imagesDone: 2, imagesTotal: 2, masks: 4, etaMs: 0 });
    // the whole image's boxes go to the batched decoder in one call; each crop has its own embedding
    expect(calls).toEqual([
      'embed 1:whole',
      '2 masks in one call on 1:whole',
      'embed 1:2,2,68,68',
      'mask on 1:2,2,68,68 pasted',
      'embed 2:whole',
      '1 masks in one call on 2:whole',
    ]);
    expect(done.map(([i, m, c]) => [i, m.length, c])).toEqual([
      // results come in the boxes' order, whatever order they were computed in
      [1, 3, [11, 12, 13]],
      [2, 1, [21]],
    ]);
    // each mask keeps its box's category and the box in image px
    const small = done[0]![1].find((m) => m.prompts.box!.x0 === 10)!;
    expect(small).toMatchObject({ categoryId: 2, source: 'auto', prompts: { points: [], box: { x0: 10, y0: 10, x1: 60, y1: 60 } } });
  });

  it('says "waiting" only while held back for the user or another encode, and "encoding" while its own image encodes', async () => {
    const { engine } = fakeEngine();
    // the engine: held for the annotator's clicks, then for the shown image's encode, then its own encode
    const holds: ('user' | 'encoder' | null)[] = ['user', 'encoder', null];
    const seen: string[] = [];
    const e = engine as unknown as { batchEmbedding: (...a: unknown[]) => Promise<unknown> };
    const plain = e.batchEmbedding.bind(engine);
    e.batchEmbedding = async (imageId, crop, stop, onHold) => {
      for (const h of holds) {
        (onHold as (h: 'user' | 'encoder' | null) => void)(h);
        await new Promise((r) => setTimeout(r, 1));
      }
      return plain(imageId, crop, stop);
    };
    const run = new PreannotateRun(
      engine,
      [{ imageId: 1, width: 100, height: 100, boxes: [{ id: 1, bbox: [1, 1, 90, 90], categoryId: 1 }] }],
      opts,
      {
        onProgress: (p) => {
          const said = `${p.state}${p.holdup ? `:${p.holdup}` : ''}${p.phase ? `/${p.phase}` : ''}`;
          if (seen.at(-1) !== said) seen.push(said);
        },
        onImageDone: () => undefined,
      },
    );
    await run.finished;
    expect(seen).toEqual([
      'running/encoding',
      'waiting:user/encoding',
      'waiting:encoder/encoding',
      'running/encoding',
      'running/masks',
      'done',
    ]);
  });

  it('pauses between decoder calls, resumes, and cancels without handing over a half-done image', async () => {
    const { engine } = fakeEngine(5);
    const boxes = Array.from({ length: 20 }, (_, k) => ({
      id: k,
      bbox: [k, k, 900, 700] as [number, number, number, number],
      categoryId: 1,
    }));
    const items: PreannotateItem[] = [
      { imageId: 1, width: 1000, height: 800, boxes: boxes.slice(0, 2) },
      { imageId: 2, width: 1000, height: 800, boxes },
    ];
    const states: PreannotateProgress[] = [];
    const handed: number[] = [];
    const run = new PreannotateRun(
      engine,
      items,
      // two boxes per call of the batched decoder
      { ...opts, mode: 'box', pointsPerBatch: 2 },
      { onProgress: (p) => states.push(p), onImageDone: (i) => handed.push(i) },
    );
    while (!(handed.length === 1 && (states.at(-1)?.step?.done ?? 0) >= 3)) await new Promise((r) => setTimeout(r, 2));
    run.pause();
    const at = states.at(-1)!.step!.done;
    await new Promise((r) => setTimeout(r, 60));
    expect(states.at(-1)!.state).toBe('paused');
    // at most the call under way ends
    expect(states.at(-1)!.step!.done).toBeLessThanOrEqual(at + 2);
    const pausedElapsed = states.at(-1)!.elapsedMs;
    run.resume();
    await new Promise((r) => setTimeout(r, 20));
    run.cancel();
    const end = await run.finished;
    expect(end.state).toBe('cancelled');
    expect(end.imagesDone).toBe(1);
    expect(handed).toEqual([1]);
    // the clock does not run while paused
    expect(end.elapsedMs - pausedElapsed).toBeLessThan(60);
  });

  it('reports an error and keeps what was handed over', async () => {
    const { engine } = fakeEngine();
    (engine as unknown as { batchMasks: () => Promise<never> }).batchMasks = () => Promise.reject(new Error('decoder gone'));
    const run = new PreannotateRun(
      engine,
      [{ imageId: 1, width: 10, height: 10, boxes: [{ id: 1, bbox: [0, 0, 5, 5], categoryId: 1 }] }],
      opts,
      {
        onProgress: () => undefined,
        onImageDone: () => undefined,
      },
    );
    expect(await run.finished).toMatchObject({ state: 'error', error: 'decoder gone', imagesDone: 0 });
  });
});
