import { describe, expect, it } from 'vitest';
import { maskFromRle, rleFromMask, type CocoRle } from '../../core/mask/rle.ts';
import { batchSource, type EmbeddingSource } from '../../core/sam/keys.ts';
import { emptyProject } from '../../core/project/types.ts';
import { tracksOf } from '../../core/video/clips.ts';
import type { BatchMask, TrackMask } from '../../../workers/protocol.ts';
import { imageFile, testStore } from '../test/fakeDeps.ts';
import { TrackingService, type TrackingEngine, type VideoMemory } from './tracking.ts';

const W = 40;
const H = 20;

/** A mask of the columns [x0, x1). */
function cols(x0: number, x1: number): CocoRle {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 1;
  return rleFromMask(m, W, H);
}

/** The columns a mask covers, as [first, end). */
function span(rle: CocoRle): [number, number] {
  const m = maskFromRle(rle);
  let a = W;
  let b = 0;
  for (let i = 0; i < m.length; i++)
    if (m[i]) {
      a = Math.min(a, i % W);
      b = Math.max(b, (i % W) + 1);
    }
  return [a, b];
}

/**
 * An engine whose "model" moves the object one column right per frame (forward, from the previous
 * mask), flags what `flagOn` says, and records which frames it encoded.
 */
class MovingObject implements TrackingEngine {
  encoded: number[] = [];
  flagOn = new Map<number, TrackMask['flag']>();
  private jobs = 0;
  private frameOfJob = new Map<number, number>();
  constructor(private readonly frameOf: (imageId: number) => number) {}
  embeddingStatus() {
    return 'pending' as const;
  }
  async batchEmbedding(imageId: number) {
    this.encoded.push(imageId);
    const jobId = ++this.jobs;
    this.frameOfJob.set(jobId, this.frameOf(imageId));
    return { source: batchSource(jobId), width: W, height: H };
  }
  /** called as each frame's mask is asked for (a person acting meanwhile) */
  onTrack: (frame: number) => void = () => undefined;
  async trackMask(source: EmbeddingSource, previous: CocoRle): Promise<TrackMask> {
    const frame = this.frameOfJob.get((source as { jobId: number }).jobId)!;
    this.onTrack(frame);
    const [a, b] = span(previous);
    const rle = this.flagOn.get(frame) === 'lost' ? rleFromMask(new Uint8Array(W * H), W, H) : cols(a + 1, b + 1);
    return {
      rle,
      area: (b - a) * H,
      bbox: [a + 1, 0, b - a, H],
      score: 0.9,
      flag: this.flagOn.get(frame) ?? null,
      prompts: { points: [], box: null },
    };
  }
  interpolations: [number, number, number][] = [];
  async interpolateMasks(a: CocoRle, b: CocoRle, between: number): Promise<BatchMask[]> {
    this.interpolations.push([span(a)[0], span(b)[0], between]);
    const [x0, x1] = span(a);
    const shift = (span(b)[0] - x0) / (between + 1);
    return Array.from({ length: between }, (_, k) => {
      const d = Math.round(shift * (k + 1));
      return {
        rle: cols(x0 + d, x1 + d),
        area: (x1 - x0) * H,
        bbox: [x0 + d, 0, x1 - x0, H] as [number, number, number, number],
        score: 0,
      };
    });
  }
}

/**
 * SAM 2's video memory as a fake worker API: the bank per track is the list of frames put in it; a step's
 * mask is the bank's last mask moved two columns right (so it differs from the image model's one column).
 */
class FakeMemory implements VideoMemory {
  loaded = true;
  calls: string[] = [];
  private banks = new Map<number, CocoRle[]>();
  ready() {
    return this.loaded;
  }
  async encodeFrame(imageId: number) {
    this.calls.push(`encode ${imageId}`);
  }
  async startTrack(trackId: number, numFrames: number, direction: 1 | -1) {
    this.calls.push(`start ${trackId} ${numFrames} ${direction}`);
    this.banks.set(trackId, []);
  }
  async addMask(trackId: number, frame: number, imageId: number, rle: CocoRle) {
    this.calls.push(`key ${frame} ${imageId} @${span(rle)[0]}`);
    this.banks.get(trackId)!.push(rle);
  }
  async track(trackId: number, frame: number, imageId: number) {
    this.calls.push(`track ${frame} ${imageId}`);
    const bank = this.banks.get(trackId)!;
    const [a, b] = span(bank.at(-1)!);
    const rle = cols(a + 2, b + 2);
    bank.push(rle);
    return { rle, area: (b - a) * H, bbox: [a + 2, 0, b - a, H] as [number, number, number, number], score: 3, flag: null };
  }
}

async function setup(frames = 6, memory?: VideoMemory) {
  const t = testStore();
  const s = () => t.store.getState();
  const ids = await s().addFrames(Array.from({ length: frames }, (_, i) => ({ blob: imageFile(W, H), name: `clip/${i}.png` })));
  const engine = new MovingObject((id) => s().project.images.find((im) => im.id === id)!.video!.frame);
  const tracking = new TrackingService({ store: t.store, engine, memory });
  // frame 0: a person's mask of columns 2..6
  s().addPoint(4, 10, true);
  await t.store.session.settled();
  const a = (await s().accept())!;
  // the fake decoder's mask is what it is: make the keyframe a known shape
  s().change(
    {
      ops: [
        {
          coll: 'annotations',
          id: a.id,
          before: s().project.annotations[0]!,
          after: { ...s().project.annotations[0]!, segmentation: cols(2, 6) },
        },
      ],
    },
    'ignore',
  );
  return { ...t, s, ids, engine, tracking, track: a.id };
}

const spans = (s: () => import('../store/store.ts').StoreState, track: number) =>
  [
    ...tracksOf(s().project)
      .find((t) => t.id === track)!
      .byFrame.entries(),
  ]
    .sort((a, b) => a[0] - b[0])
    .map(([f, a]) => [f, span(a.segmentation)[0], a.track]);

describe('TrackingService', () => {
  it('propagates forward frame after frame from the shown keyframe, each frame from the one before, as one undo step', async () => {
    const { s, tracking, track, engine, ids } = await setup(4);
    expect(await tracking.propagate()).toEqual({ ok: true, frames: 3 });
    expect(spans(s, track)).toEqual([
      [0, 2, 'key'],
      [1, 3, 'propagated'],
      [2, 4, 'propagated'],
      [3, 5, 'propagated'],
    ]);
    expect(engine.encoded).toEqual(ids.slice(1));
    expect(s().tracking).toMatchObject({ status: 'done', done: 3, total: 3, trackId: track });
    s().undo();
    expect(spans(s, track)).toEqual([[0, 2, 'key']]);
  });

  it('stops at the next keyframe, never changing it; "to the end" follows the keyframe on', async () => {
    const { s, tracking, track, ids } = await setup(6);
    // a person's keyframe on frame 3 (columns 20..24)
    s().putTrackMasks(
      track,
      [
        {
          imageId: ids[3]!,
          rle: cols(20, 24),
          area: 80,
          bbox: [20, 0, 4, H],
          score: null,
          prompts: { points: [], box: null },
          flag: null,
          role: 'propagated',
        },
      ],
      'x',
    );
    const k = s().project.annotations.find((a) => a.imageId === ids[3])!;
    s().change({ ops: [{ coll: 'annotations', id: k.id, before: k, after: { ...k, track: 'key' } }] }, 'ignore');
    await tracking.propagate();
    expect(spans(s, track).map((x) => x[0])).toEqual([0, 1, 2, 3]);
    expect(spans(s, track)[3]).toEqual([3, 20, 'key']);
    await tracking.propagate({ until: 'end' });
    expect(spans(s, track)).toEqual([
      [0, 2, 'key'],
      [1, 3, 'propagated'],
      [2, 4, 'propagated'],
      [3, 20, 'key'],
      [4, 21, 'propagated'],
      [5, 22, 'propagated'],
    ]);
  });

  it('a keyframe a person makes while the run goes on stops it there (next-key), and is never overwritten', async () => {
    const { s, tracking, track, ids, engine } = await setup(6);
    engine.onTrack = (frame) => {
      if (frame !== 2) return;
      // while frame 2 is computed, a person makes frame 4 a keyframe (columns 30..34)
      s().putTrackMasks(
        track,
        [
          {
            imageId: ids[4]!,
            rle: cols(30, 34),
            area: 80,
            bbox: [30, 0, 4, H],
            score: null,
            prompts: { points: [], box: null },
            flag: null,
            role: 'propagated',
          },
        ],
        'p',
      );
      const k = s().project.annotations.find((a) => a.imageId === ids[4])!;
      s().change({ ops: [{ coll: 'annotations', id: k.id, before: k, after: { ...k, track: 'key' } }] }, 'ignore');
    };
    await tracking.propagate();
    expect(spans(s, track)).toEqual([
      [0, 2, 'key'],
      [1, 3, 'propagated'],
      [2, 4, 'propagated'],
      [3, 5, 'propagated'],
      [4, 30, 'key'],
    ]);
    expect(s().tracking).toMatchObject({ status: 'done', done: 3 });
  });

  it('a track deleted while the run goes on stays deleted (nothing more is put on it)', async () => {
    const { s, tracking, track, engine } = await setup(6);
    engine.onTrack = (frame) => {
      if (frame === 2) s().deleteTrack(track);
    };
    await tracking.propagate();
    expect(s().project.annotations.filter((a) => a.trackId === track)).toEqual([]);
  });

  it('undoing the run while it goes on stops it: what it made is taken back and nothing more lands', async () => {
    const { s, tracking, track, engine } = await setup(6);
    engine.onTrack = (frame) => {
      // frames 1 and 2 have landed (one undo step); the person undoes it while frame 3 is computed
      if (frame === 3) s().undo();
    };
    expect(await tracking.propagate({ until: 'end' })).toEqual({ ok: true, frames: 2 });
    expect(
      s()
        .project.annotations.filter((a) => a.trackId === track)
        .map((a) => a.track),
    ).toEqual(['key']);
    expect(s().tracking).toMatchObject({ status: 'cancelled', message: /undone/ });
    // and a redo brings the two frames back
    s().redo();
    expect(s().project.annotations.filter((a) => a.trackId === track)).toHaveLength(3);
  });

  it('undone, then another step made before its next frame lands: the run still stops (its step left the history)', async () => {
    const { s, tracking, track, engine } = await setup(6);
    engine.onTrack = (frame) => {
      if (frame !== 3) return;
      s().undo();
      s().addCategory('cat'); // a new step: the redo (the run) is gone
    };
    expect(await tracking.propagate({ until: 'end' })).toEqual({ ok: true, frames: 2 });
    expect(
      s()
        .project.annotations.filter((a) => a.trackId === track)
        .map((a) => a.track),
    ).toEqual(['key']);
    expect(s().tracking).toMatchObject({ status: 'cancelled', message: /undone/ });
  });

  it('an undo of something else while the run goes on keeps its redo, and the run stays one undo step', async () => {
    const { s, tracking, track, engine } = await setup(6);
    engine.onTrack = (frame) => {
      if (frame === 2) s().addCategory('cat');
      if (frame === 3) s().undo(); // the category (the last step)
    };
    await tracking.propagate({ until: 'end' });
    expect(s().project.annotations.filter((a) => a.trackId === track)).toHaveLength(6);
    expect(s().future.map((e) => e.label)).toEqual([s().future[0]!.label]);
    s().redo();
    expect(s().project.categories.some((c) => c.name === 'cat')).toBe(true);
    s().undo(); // the category again
    s().undo(); // the whole run, frames 1-5
    expect(s().project.annotations.filter((a) => a.trackId === track)).toHaveLength(1);
  });

  it('another project opened while the run goes on gets nothing of it', async () => {
    const { s, store, tracking, engine } = await setup(6);
    engine.onTrack = (frame) => {
      if (frame !== 2) return;
      // another project opened, with frames of the same image ids (the same clip opened there)
      store.setState({ projectId: 'other' });
      s().loadDocument({ ...emptyProject('other'), images: s().project.images.map((im) => ({ ...im })) });
    };
    await tracking.propagate();
    expect(s().project.images.length).toBe(6);
    expect(s().project.annotations).toEqual([]);
  });

  it('backward from a later keyframe', async () => {
    const { s, tracking, track, ids } = await setup(4);
    s().showImage(ids[0]!);
    await tracking.propagate({ until: 'end' });
    // frame 3 made a keyframe by a person; back from there fills nothing before frame 0's key... only frames between
    const k = s().project.annotations.find((a) => a.imageId === ids[3])!;
    s().change({ ops: [{ coll: 'annotations', id: k.id, before: k, after: { ...k, track: 'key' } }] }, 'ignore');
    const r = await tracking.propagate({ from: ids[3]!, direction: -1 });
    expect(r).toEqual({ ok: true, frames: 2 });
    expect(spans(s, track).map((x) => x[2])).toEqual(['key', 'propagated', 'propagated', 'key']);
  });

  it('a flagged frame stops it when the user chose so (the frame kept, flagged); a lost object always stops it', async () => {
    const { s, tracking, track, engine } = await setup(6);
    engine.flagOn.set(2, 'abrupt');
    await tracking.propagate();
    expect(spans(s, track).map((x) => x[0])).toEqual([0, 1, 2]);
    expect(s().tracking).toMatchObject({ status: 'stopped', flagged: 1, frame: 2 });
    expect(s().tracking!.message).toMatch(/frame 2: the object changed abruptly/);
    s().setStopOnFlag(false);
    engine.flagOn.set(4, 'lost');
    await tracking.propagate({ until: 'end' });
    expect(spans(s, track).map((x) => x[0])).toEqual([0, 1, 2, 3, 4]);
    expect(s().tracking!.status).toBe('stopped');
  });

  it('cancel stops after the frame under way; what was made stays', async () => {
    const { s, tracking, track } = await setup(8);
    const run = tracking.propagate();
    tracking.cancel();
    await run;
    expect(s().tracking!.status).toBe('cancelled');
    expect(spans(s, track).length).toBeLessThan(8);
  });

  it('refuses without a track or off a clip, with a message', async () => {
    const { s, tracking } = await setup(3);
    s().selectTrack(null);
    expect(await tracking.propagate()).toMatchObject({ ok: false });
    expect(s().notifications.at(-1)!.message).toMatch(/No track is selected/);
  });

  it('interpolates every gap between keyframes and leaves the keyframes alone', async () => {
    const { s, tracking, track, ids, engine } = await setup(5);
    s().putTrackMasks(
      track,
      [
        {
          imageId: ids[4]!,
          rle: cols(10, 14),
          area: 80,
          bbox: [10, 0, 4, H],
          score: null,
          prompts: { points: [], box: null },
          flag: null,
          role: 'propagated',
        },
      ],
      'x',
    );
    const k = s().project.annotations.find((a) => a.imageId === ids[4])!;
    s().change({ ops: [{ coll: 'annotations', id: k.id, before: k, after: { ...k, track: 'key' } }] }, 'ignore');
    expect(await tracking.interpolate()).toEqual({ ok: true, frames: 3 });
    expect(engine.interpolations).toEqual([[2, 10, 3]]);
    expect(spans(s, track)).toEqual([
      [0, 2, 'key'],
      [1, 4, 'interpolated'],
      [2, 6, 'interpolated'],
      [3, 8, 'interpolated'],
      [4, 10, 'key'],
    ]);
  });

  it('with SAM 2’s video memory loaded: a fresh bank, the start mask and a keyframe on the way put in it, every other frame tracked by the memory (method sam2-video)', async () => {
    const memory = new FakeMemory();
    const { s, tracking, track, ids, engine } = await setup(5, memory);
    // a person's keyframe on frame 3 (columns 20..24)
    s().putTrackMasks(
      track,
      [
        {
          imageId: ids[3]!,
          rle: cols(20, 24),
          area: 80,
          bbox: [20, 0, 4, H],
          score: null,
          prompts: { points: [], box: null },
          flag: null,
          role: 'propagated',
        },
      ],
      'x',
    );
    const k = s().project.annotations.find((a) => a.imageId === ids[3])!;
    s().change({ ops: [{ coll: 'annotations', id: k.id, before: k, after: { ...k, track: 'key' } }] }, 'ignore');
    s().setVideoModel({ status: 'ready', source: 'sam2.1_tiny/', id: 'sam2-video:sam2.1_tiny' });
    expect(await tracking.propagate({ until: 'end' })).toEqual({ ok: true, frames: 3 });
    expect(memory.calls).toEqual([
      `start ${track} 5 1`,
      `encode ${ids[0]}`,
      `key 0 ${ids[0]} @2`,
      `encode ${ids[1]}`,
      `track 1 ${ids[1]}`,
      `encode ${ids[2]}`,
      `track 2 ${ids[2]}`,
      `encode ${ids[3]}`,
      `key 3 ${ids[3]} @20`,
      `encode ${ids[4]}`,
      `track 4 ${ids[4]}`,
    ]);
    expect(engine.encoded).toEqual([]);
    expect(spans(s, track)).toEqual([
      [0, 2, 'key'],
      [1, 4, 'propagated'],
      [2, 6, 'propagated'],
      [3, 20, 'key'],
      [4, 22, 'propagated'],
    ]);
    expect(s().tracking).toMatchObject({ status: 'done', method: 'sam2-video', done: 3 });
    // the memory's object score (a logit) recorded as a probability, as the CLI and the server's workers record it,
    // and the masks name the video model that made them, not the image model
    const made = s().project.annotations.find((a) => a.imageId === ids[1])!;
    expect(made.score).toBeCloseTo(1 / (1 + Math.exp(-3)), 9);
    expect(made.model).toBe('sam2-video:sam2.1_tiny');
    expect(tracking.timings.map((t) => t.frame)).toEqual([1, 2, 4]);

    // unloaded: the image model again, frame after frame
    memory.loaded = false;
    memory.calls.length = 0;
    s().showImage(ids[0]!);
    await tracking.propagate();
    expect(memory.calls).toEqual([]);
    expect(engine.encoded).toEqual([ids[1], ids[2]]);
    expect(s().tracking).toMatchObject({ status: 'done', method: 'sam' });
  });
});
