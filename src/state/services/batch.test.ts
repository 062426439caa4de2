import { describe, expect, it } from 'vitest';
import { DiffBuilder } from '../../core/project/changes.ts';
import { rleFromMask } from '../../core/mask/rle.ts';
import type { InferenceEngine } from '../../inference/engine.ts';
import { imageFile, testStore } from '../test/fakeDeps.ts';
import { FakeImages, turns } from '../test/fakeServices.ts';
import { BatchRunner } from './batch.ts';

const W = 40;
const H = 20;

/**
 * The engine's batch side as PreannotateRun calls it (inference/preannotate.ts): an embedding per
 * image, then a mask per box. Embeddings can be held to pause the run at a known point.
 */
class FakeBatchEngine {
  readonly embedded: number[] = [];
  hold = false;
  /** an embedding that finishes although the run was stopped meanwhile (the worker was already done) */
  ignoreStop = false;
  private readonly held: (() => void)[] = [];

  async batchEmbedding(imageId: number, _crop: unknown, shouldStop: () => boolean, onHold: (h: 'user' | 'encoder' | null) => void) {
    this.embedded.push(imageId);
    // held as the engine holds a batch while the annotator works, and says so
    if (this.hold) {
      onHold('user');
      await new Promise<void>((r) => this.held.push(r));
    }
    onHold(null);
    if (shouldStop() && !this.ignoreStop) return null;
    return { source: { imageId } as never, width: W, height: H };
  }

  batchMask() {
    const m = new Uint8Array(W * H).fill(1, 0, 10);
    return Promise.resolve({ rle: rleFromMask(m, W, H), area: 10, bbox: [0, 0, 10, 1] as [number, number, number, number], score: 0.9 });
  }

  /** the batched decoder's call: one mask per prompt */
  batchMasks(_s: unknown, prompts: unknown[]) {
    return Promise.all(prompts.map(() => this.batchMask()));
  }

  /** Lets the held embeddings finish. */
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

/** A project of two images with a waiting box on each; the files are open unless `filesOpen` is false. */
async function setup(filesOpen = true) {
  const { store } = testStore();
  await store.getState().addImageBlobs([
    { blob: imageFile(W, H), name: 'a.png' },
    { blob: imageFile(W, H), name: 'b.png' },
  ]);
  const s = store.getState();
  const b = new DiffBuilder(s.project);
  for (const imageId of [1, 2]) b.add('pendingBoxes', { id: imageId, imageId, categoryId: 1, bbox: [2, 2, 10, 5] });
  s.change(b.diff, 'record');
  const images = new FakeImages();
  if (filesOpen) for (const id of [1, 2]) images.register(id, imageFile(W, H), `${id}.png`);
  const engine = new FakeBatchEngine();
  const batch = new BatchRunner({ store, engine: engine as unknown as InferenceEngine, images });
  const state = () => store.getState().batch.progress?.state;
  const notes = (level: 'error' | 'warning' | 'info') => store.getState().notifications.filter((n) => n.level === level);
  return { store, engine, batch, state, notes };
}

describe('BatchRunner', () => {
  it('runs every image with waiting boxes: proposals land, the boxes are consumed, and the end is said', async () => {
    const t = await setup();
    expect(await t.batch.start({ mode: 'box' })).toEqual({ ok: true, images: 2 });
    expect(t.store.getState().batch.mode).toBe('box');
    const end = await t.batch.whenFinished();
    expect(end).toMatchObject({ state: 'done', imagesDone: 2, masks: 2 });
    expect(t.state()).toBe('done');
    expect(t.batch.running()).toBe(false);
    const anns = t.store.getState().project.annotations;
    expect(anns.map((a) => [a.imageId, a.review, a.source])).toEqual([
      [1, 'pending', 'auto'],
      [2, 'pending', 'auto'],
    ]);
    expect(t.store.getState().project.pendingBoxes).toEqual([]);
    expect(t.notes('info').map((n) => n.message)).toEqual([expect.stringMatching(/^Pre-annotation done: 2 proposals on 2 image\(s\)/)]);
  });

  it('a second start while one runs is refused', async () => {
    const t = await setup();
    t.engine.hold = true;
    expect(await t.batch.start({ mode: 'box' })).toMatchObject({ ok: true });
    await turns();
    expect(t.batch.running()).toBe(true);
    expect(await t.batch.start({ mode: 'box' })).toEqual({ ok: false, error: 'A pre-annotation is already running.' });
    expect(t.notes('error')).toHaveLength(1);
    t.engine.hold = false;
    t.engine.release();
    await t.batch.whenFinished();
    expect(t.engine.embedded).toEqual([1, 2]);
  });

  // `running()` holds from the start, not from the run's first progress report (a double submit, a model switch)
  it('a start made right after another (same task) is refused', async () => {
    const t = await setup();
    t.engine.hold = true;
    const first = t.batch.start({ mode: 'box' });
    // what a second caller (or models.ts's chooseModel) sees once the first start has returned
    expect(t.batch.running()).toBe(true);
    const second = t.batch.start({ mode: 'box' });
    expect(await first).toMatchObject({ ok: true });
    expect(await second).toEqual({ ok: false, error: 'A pre-annotation is already running.' });
  });

  it('nothing starts when the model could not be loaded', async () => {
    const t = await setup();
    t.store.getState().setModel({ status: 'error', error: { code: 'UNKNOWN', message: 'no model', hint: 'Reload.' } });
    expect(await t.batch.start({ mode: 'box' })).toEqual({
      ok: false,
      error: 'The model could not be loaded, so nothing can be pre-annotated.',
    });
    expect(t.notes('error').map((n) => n.hint)).toEqual(['Reload.']);
    expect(t.engine.embedded).toEqual([]);
    expect(t.store.getState().batch.progress).toBeNull();
  });

  it('images whose files are not open are left out, and said; with none open nothing starts', async () => {
    const t = await setup(false);
    expect(await t.batch.start({ mode: 'box' })).toEqual({ ok: false, error: 'No boxes are waiting to become masks.' });
    expect(t.notes('warning').map((n) => n.message)).toEqual(['2 image(s) are left out: their files are not open.']);
    expect(await t.batch.start({ mode: 'everything' })).toEqual({ ok: false, error: 'Open images first.' });
    expect(t.engine.embedded).toEqual([]);
  });

  it("pause, resume and cancel reach the run and the store's progress", async () => {
    const t = await setup();
    t.engine.hold = true;
    await t.batch.start({ mode: 'box' });
    await turns();
    expect(t.state()).toBe('waiting');

    t.batch.pause();
    expect(t.state()).toBe('paused');
    t.engine.hold = false;
    t.engine.release();
    await turns();
    // the image under way finishes; the next one waits for resume
    expect(t.state()).toBe('paused');
    expect(t.store.getState().batch.progress?.imagesDone).toBe(1);
    expect(t.engine.embedded).toEqual([1]);

    t.batch.resume();
    expect(t.state()).toBe('running');
    await t.batch.whenFinished();
    expect(t.state()).toBe('done');
    expect(t.engine.embedded).toEqual([1, 2]);
  });

  it('cancel stops the run; what was done is kept and the cancel is said', async () => {
    const t = await setup();
    t.engine.hold = true;
    await t.batch.start({ mode: 'box' });
    await turns();
    t.batch.cancel();
    t.engine.release();
    const end = await t.batch.whenFinished();
    expect(end).toMatchObject({ state: 'cancelled', imagesDone: 0 });
    expect(t.state()).toBe('cancelled');
    expect(t.batch.running()).toBe(false);
    expect(t.engine.embedded).toEqual([1]);
    await turns();
    expect(t.notes('info').map((n) => n.message)).toEqual(['Pre-annotation cancelled after 0 of 2 image(s); their 0 proposals are kept.']);
  });

  it('abandon (another project opened): the batch state is cleared and nothing more of the run lands', async () => {
    const t = await setup();
    t.engine.hold = true;
    t.engine.ignoreStop = true;
    await t.batch.start({ mode: 'box' });
    await turns();
    t.batch.abandon();
    expect(t.store.getState().batch).toEqual({ mode: null, progress: null });
    expect(t.batch.running()).toBe(false);

    // the embedding under way finishes anyway: its masks must not reach the project now shown
    t.engine.release();
    await turns();
    expect(t.store.getState().project.annotations).toEqual([]);
    expect(t.store.getState().batch).toEqual({ mode: null, progress: null });
    expect(t.notes('info')).toEqual([]);
    expect(await t.batch.whenFinished()).toBeNull();
  });
});
