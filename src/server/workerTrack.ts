/**
 * A propagation worker: takes one track's run from the work queue and follows the track frame after frame, as
 * `npm run track` does: each frame's file read from the image source, encoded, the step from the previous mask
 * (`nodeTrackStep` on onnxruntime-node), or with SAM 2's video memory where the worker was given its graphs
 * (`--sam2-video DIR`, as `npm run track --sam2-video`), the mask landed on the track at once (`landTrackFrame`).
 * It shares its slot's turn with the slot's pre-annotation worker (one model run at a time per slot), heartbeats
 * its run every few seconds, and now and then queues again the runs of workers that stopped answering.
 */
import { sql } from 'kysely';
import type PgBoss from 'pg-boss';
import { maskFromRle, rleFromMask } from '../core/mask/rle.ts';
import type { Annotation, ImageRecord } from '../core/project/types.ts';
import { maskAreaAndBbox } from '../core/sam/postprocess.ts';
import { EMPTY_PROMPTS, type Prompts } from '../core/sam/prompts.ts';
import type { FrameFlag } from '../core/video/propagate.ts';
import { sam2ObjectProbability } from '../core/video/sam2Memory.ts';
import { tracksOf } from '../core/video/clips.ts';
import { decodeImageBytes } from '../node/image.ts';
import type { RgbaImage } from '../node/image.ts';
import { NodeSam2Video } from '../node/sam2-video-node.ts';
import type { NodeSam } from '../node/sam-node.ts';
import { nodeTrackStep } from '../node/track-node.ts';
import type { Service } from './service.ts';
import type { ImageSource, WorkerLog } from './worker.ts';
import { clipAndTrack } from './tracks/queue.ts';
import { endRun, landTrackFrame, requeueTrackRun, startTrackRun, sweepStalledTracks, trackHeartbeat } from './tracks/runs.ts';
import { TRACK_QUEUE, type StartedTrackRun, type TrackJobData } from './tracks/spec.ts';

/** One thing at a time: a worker slot's pre-annotation images and propagation frames take turns. */
export class Turns {
  private last: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.last.then(fn, fn);
    this.last = next.catch(() => undefined);
    return next;
  }
}

/** How a run follows its frames: the position of a frame in the clip, its record, the mask before it. */
interface FrameStepper {
  /** a person's mask (the start, a keyframe on the way): where the run follows on from */
  key(index: number, rec: ImageRecord, mask: Uint8Array): Promise<void>;
  next(
    index: number,
    rec: ImageRecord,
    previous: Uint8Array,
  ): Promise<{ mask: Uint8Array; score: number | null; prompts: Prompts; flag: FrameFlag | null }>;
}

const isKey = (a: Annotation | undefined) => !!a && (a.track ?? 'key') === 'key';

export class TrackWorker {
  private workId: string | null = null;
  private beat: ReturnType<typeof setInterval> | null = null;
  private current: StartedTrackRun | null = null;
  private stopping = false;
  private active: Promise<void> | null = null;
  readonly done = { runs: 0, frames: 0 };

  constructor(
    private readonly service: Service,
    private readonly boss: PgBoss,
    private readonly images: ImageSource,
    /** the model (loaded on the first run): the image model with its candidates, or SAM 2's video memory graphs */
    private readonly model: () => Promise<NodeSam | NodeSam2Video>,
    readonly name: string,
    private readonly log: WorkerLog = () => undefined,
    private readonly turns: Turns = new Turns(),
  ) {}

  async start(): Promise<void> {
    this.stopping = false;
    let beats = 0;
    this.beat = setInterval(() => {
      if (this.current) void trackHeartbeat(this.service.db, this.current).catch(() => undefined);
      if (++beats % 6 === 0) void sweepStalledTracks(this.service.db, this.boss).catch(() => undefined);
    }, 5000);
    this.workId = await this.boss.work<TrackJobData>(TRACK_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs) => {
      for (const job of jobs) await this.handle(job.data.runId, job.id);
    });
  }

  /** Stops taking work; a run under way is given back to the queue after its frame (another worker goes on from there). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.beat) clearInterval(this.beat);
    this.beat = null;
    if (this.workId) await this.boss.offWork({ id: this.workId });
    this.workId = null;
    // the frame under way is finished and landed, and the run given back
    await this.active;
  }

  /** One run, to its end (or until cancelled, taken, or this worker stops). */
  async handle(runId: number, jobId: string): Promise<void> {
    const work = this.handleRun(runId, jobId);
    this.active = work;
    try {
      await work;
    } finally {
      this.active = null;
    }
  }

  private async handleRun(runId: number, jobId: string): Promise<void> {
    const run = await startTrackRun(this.service.db, runId, this.name, jobId);
    if (!run) return; // ended, cancelled, or another job's now
    this.current = run;
    const t0 = performance.now();
    const before = this.done.frames;
    try {
      const end = await this.follow(run);
      this.log(
        `track run ${runId} (track ${run.trackId}): ${end}, ${this.done.frames - before} frames in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const what = await requeueTrackRun(this.service.db, this.boss, runId, `error: ${msg.slice(0, 500)}`, run).catch(() => null);
      this.log(`track run ${runId}: ${msg} (${what === 'queued' ? 'to be tried again' : 'failed'})`);
    } finally {
      this.current = null;
      this.done.runs++;
    }
  }

  /** The track's masks on one frame now. */
  private async masksOn(run: StartedTrackRun, imageId: number): Promise<Annotation[]> {
    const rows = await this.service.db
      .selectFrom('records')
      .select('data')
      .where('project_id', '=', run.projectId)
      .where('coll', '=', 'annotations')
      .where('data', 'is not', null)
      .where(sql<string>`data->>'imageId'`, '=', String(imageId))
      .execute();
    return rows
      .map((r) => r.data as Annotation)
      .filter((a) => a.trackId === run.trackId)
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  private async follow(run: StartedTrackRun): Promise<string> {
    const db = this.service.db;
    const start = await db
      .selectFrom('records')
      .select('data')
      .where('project_id', '=', run.projectId)
      .where('coll', '=', 'images')
      .where('id', '=', run.fromImageId)
      .executeTakeFirst();
    const video = (start?.data as ImageRecord | null | undefined)?.video;
    const fail = async (message: string) => ((await endRun(db, run, 'failed', message)) ? `failed: ${message}` : 'taken');
    if (!video) return fail('The start frame was removed.');
    const { frames, annotations } = await clipAndTrack(db, run.projectId, video.id, run.trackId);
    const frameOf = new Map(frames.map((f) => [f.id, f]));
    // a frame's position in the clip (SAM 2's frame index: its memory's distances are counted in it)
    const clipOrder = frames.filter((f) => f.video).sort((x, y) => x.video!.frame - y.video!.frame);
    const indexOf = new Map(clipOrder.map((f, i) => [f.id, i]));
    const track = tracksOf({ images: frames, annotations }, video.id)[0];
    const from = run.lastImageId ?? run.fromImageId;
    const fromRec = frameOf.get(from);
    const startMask = track?.byFrame.get(fromRec?.video?.frame ?? -1);
    if (!track || !startMask || !fromRec) return fail(`The track's mask on frame ${fromRec?.video?.frame ?? from} is gone.`);
    const categoryId = track.categoryId;
    let previous = maskFromRle(startMask.segmentation);
    const model = await this.model();
    if (model instanceof NodeSam2Video) {
      // the memory encodes the person's frames too (the start, each keyframe on the way): their files must be here
      // (the queue checked only the frames to compute); said at once, not tried again
      const keys = [fromRec, ...run.frames.filter((p) => p.key).map((p) => frameOf.get(p.imageId))];
      const lacking = keys.find((r) => r && !r.sha256);
      if (lacking)
        return fail(
          `${lacking.fileName}, a keyframe SAM 2's memory starts from, has no file on the server: upload it, then propagate again.`,
        );
    }
    const stepper = model instanceof NodeSam2Video ? this.memoryStepper(model, run, clipOrder.length) : this.samStepper(model, run);
    await stepper.key(indexOf.get(fromRec.id)!, fromRec, previous);
    for (
      let i = run.lastImageId === null ? 0 : run.frames.findIndex((p) => p.imageId === run.lastImageId) + 1;
      i < run.frames.length;
      i++
    ) {
      const planned = run.frames[i]!;
      const rec = frameOf.get(planned.imageId);
      const now = await db.selectFrom('track_runs').select(['state', 'attempts']).where('id', '=', run.runId).executeTakeFirst();
      if (now?.state !== 'running' || now.attempts !== run.attempt) return now?.state === 'cancelled' ? 'cancelled' : 'taken';
      if (this.stopping) {
        await requeueTrackRun(db, this.boss, run.runId, `its worker ${this.name} was stopped`, run);
        return 'given back (worker stopping)';
      }
      if (!rec?.video)
        return (await endRun(db, run, 'stopped', `Stopped: a frame of the run (image ${planned.imageId}) was removed.`))
          ? 'stopped'
          : 'taken';
      const index = indexOf.get(rec.id)!;
      const here = (await this.masksOn(run, rec.id))[0];
      if (isKey(here)) {
        // a keyframe on the way (until the end): the person's mask is what is followed on from there
        if (planned.key && run.until === 'end') {
          previous = maskFromRle(here!.segmentation);
          await stepper.key(index, rec, previous);
          continue;
        }
        const message = `Stopped before frame ${rec.video.frame}: a person's keyframe of the track is there (it is never overwritten).`;
        return (await endRun(db, run, 'stopped', message)) ? 'stopped at a keyframe' : 'taken';
      }
      const size = { width: rec.width, height: rec.height };
      const step = await stepper.next(index, rec, previous);
      const { area, bbox } = maskAreaAndBbox(step.mask, size.width, size.height);
      const landed = await landTrackFrame(
        this.service,
        run,
        {
          imageId: rec.id,
          frame: rec.video.frame,
          segmentation: rleFromMask(step.mask, size.width, size.height),
          area,
          bbox,
          score: step.score,
          prompts: step.prompts,
          flag: step.flag,
        },
        { categoryId, model: model.modelId },
      );
      if (!landed.landed) return landed.message ?? landed.why;
      this.done.frames++;
      if (step.flag === 'lost' || (step.flag && run.stopOnFlag)) {
        const why =
          step.flag === 'lost' ? 'the object is lost' : step.flag === 'abrupt' ? 'the object changed abruptly' : 'the model is unsure';
        const message = `Stopped on frame ${rec.video.frame}: ${why}. Correct it and propagate again.`;
        return (await endRun(db, run, 'stopped', message)) ? message : 'taken';
      }
      previous = step.mask;
    }
    return (await endRun(db, run, 'done', null)) ? 'done' : 'taken';
  }

  /** A frame's pixels from its file on the server, checked against the project's size. */
  private async readFrame(run: StartedTrackRun, rec: ImageRecord): Promise<RgbaImage> {
    if (!rec.sha256) throw new Error(`Frame ${rec.fileName} has no file on the server.`);
    const image = decodeImageBytes(await this.images.read(run.projectId, rec.sha256, `The file of ${rec.fileName}`), rec.fileName);
    if (image.width !== rec.width || image.height !== rec.height)
      throw new Error(`${rec.fileName} is ${image.width}x${image.height} px, the project says ${rec.width}x${rec.height}.`);
    return image;
  }

  /** The image model: each frame prompted from the previous mask (`npm run track`'s step); keyframes need nothing. */
  private samStepper(sam: NodeSam, run: StartedTrackRun): FrameStepper {
    return {
      key: () => Promise.resolve(),
      next: (_index, rec, previous) =>
        this.turns.run(async () =>
          nodeTrackStep(sam, await sam.embed(await this.readFrame(run, rec)), { width: rec.width, height: rec.height }, previous),
        ),
    };
  }

  /**
   * SAM 2's memory (`--sam2-video DIR`), as the browser's runs and `npm run track --sam2-video` follow a track: a
   * fresh memory bank per run, the start mask and each keyframe on the way put in it as conditioning frames,
   * every other frame's mask from the memory alone. A run taken over from a worker that stopped starts its bank
   * from the last frame landed.
   */
  private memoryStepper(video: NodeSam2Video, run: StartedTrackRun, numFrames: number): FrameStepper {
    const bank = NodeSam2Video.track(numFrames, run.direction);
    return {
      key: (index, rec, mask) =>
        this.turns.run(async () => {
          await video.addMask(bank, index, await video.encodeFrame(await this.readFrame(run, rec)), mask);
        }),
      next: (index, rec) =>
        this.turns.run(async () => {
          const r = await video.propagate(bank, index, await video.encodeFrame(await this.readFrame(run, rec)));
          return { mask: r.mask, score: sam2ObjectProbability(r.objectScore), prompts: EMPTY_PROMPTS, flag: r.flag };
        }),
    };
  }
}
