/**
 * Video propagation and interpolation in the app: from a track's mask on one frame, frame after frame
 * forward or backward (to the next person's keyframe, or to the clip's end going past keyframes, each
 * keyframe then the mask followed on), each frame's mask put on the track as it comes (one undo step
 * per run). Runs on the engine's batch path, so it always gives way to the annotator; pause, resume and
 * cancel; a flagged frame stops it when the user chose so. Its progress is the store's `tracking`.
 * With SAM 2's video memory model loaded (`VideoMemory`, inference/sam2Video.ts) a run follows the object
 * with its memory instead: a fresh bank per run, the start mask and each keyframe on the way put in it as
 * conditioning frames, every other frame's mask from the memory alone (`tracking.method` says which ran).
 */
import type { CocoRle } from '../../core/mask/rle.ts';
import type { Annotation } from '../../core/project/types.ts';
import { EMPTY_PROMPTS } from '../../core/sam/prompts.ts';
import { imageSource, type EmbeddingSource } from '../../core/sam/keys.ts';
import { clipOf, tracksOf, type Clip, type Track } from '../../core/video/clips.ts';
import { sam2ObjectProbability } from '../../core/video/sam2Memory.ts';
import type { BatchHoldup, EmbeddingStatus } from '../../inference/engine/types.ts';
import type { BatchMask, Sam2VideoMask, TrackMask } from '../../../workers/protocol.ts';
import type { AppStore } from '../store/store.ts';
import type { TrackingState } from '../store/slices/video.ts';

/** What tracking needs of the inference engine (inference/engine.ts; tests give a fake). */
export interface TrackingEngine {
  embeddingStatus(imageId: number): EmbeddingStatus;
  batchEmbedding(
    imageId: number,
    crop: null,
    shouldStop: () => boolean,
    onHold?: (holdup: BatchHoldup | null) => void,
  ): Promise<{ source: EmbeddingSource; width: number; height: number } | null>;
  trackMask(source: EmbeddingSource, previous: CocoRle, shouldStop?: () => boolean): Promise<TrackMask>;
  interpolateMasks(a: CocoRle, b: CocoRle, between: number): Promise<BatchMask[]>;
}

/**
 * SAM 2's video memory (inference/sam2Video.ts; tests give a fake): frames by image id, positions on the
 * clip as the bank's frame numbers, masks as RLE.
 */
export interface VideoMemory {
  /** whether a video memory model is loaded (asked when a run starts) */
  ready(): boolean;
  encodeFrame(imageId: number): Promise<void>;
  startTrack(trackId: number, numFrames: number, direction: 1 | -1): Promise<void>;
  addMask(trackId: number, frame: number, imageId: number, rle: CocoRle): Promise<void>;
  track(trackId: number, frame: number, imageId: number): Promise<Sam2VideoMask>;
}

/** A frame's mask from either method (SAM 2's memory has no score when the export gives no object score). */
type StepMask = Omit<TrackMask, 'score'> & {
  score: number | null;
  /** the model that made it, where not the image model */ model?: string;
};

/** One run's way of making a frame's mask: `key` hears of the person's masks (the start one first), `next` makes one. */
interface Stepper {
  key(index: number, imageId: number, rle: CocoRle): Promise<void>;
  next(index: number, imageId: number, frame: number, previous: CocoRle): Promise<StepMask | null>;
}

export interface PropagateRequest {
  /** the track (default: the selected one) */
  trackId?: number;
  /** the frame to start from, an image id (default: the shown frame); the track must have a mask there */
  from?: number;
  direction?: 1 | -1;
  /** 'next-key' (default): up to the track's next keyframe; 'end': to the clip's end, following each keyframe on the way */
  until?: 'next-key' | 'end';
}

type Result = { ok: true; frames: number } | { ok: false; error: string };

export class TrackingService {
  /** the last propagation's cost per frame (ms): the frame's encode (0 when its embedding was cached) and the decoder step */
  readonly timings: { frame: number; encodeMs: number; stepMs: number }[] = [];
  private runs = 0;
  private stopWanted = false;
  private paused = false;
  private running: Promise<unknown> | null = null;

  constructor(private readonly deps: { store: AppStore; engine: TrackingEngine; memory?: VideoMemory | undefined }) {}

  private get state() {
    return this.deps.store.getState();
  }

  isRunning(): boolean {
    return this.running !== null;
  }

  pause(): void {
    if (!this.running) return;
    this.paused = true;
    this.patch({ status: 'paused' });
  }

  resume(): void {
    if (!this.running) return;
    this.paused = false;
    this.patch({ status: 'running' });
  }

  cancel(): void {
    if (this.running) this.stopWanted = true;
  }

  /** Resolves when the run under way (if any) has ended. */
  async whenFinished(): Promise<TrackingState | null> {
    while (this.running) await this.running.catch(() => undefined);
    return this.state.tracking;
  }

  private patch(p: Partial<TrackingState>): void {
    const t = this.state.tracking;
    if (t) this.state.setTracking({ ...t, ...p });
  }

  private fail(error: string, hint: string): Result {
    this.state.notify('error', error, hint);
    return { ok: false, error };
  }

  /** The track and clip a request names, and where on the clip it starts. */
  private target(trackId: number | undefined, from: number | undefined): { clip: Clip; track: Track; at: number } | string {
    const s = this.state;
    const fromId = from ?? s.currentImageId;
    const clip = clipOf(s.project.images, fromId);
    if (!clip) return 'The shown image is not a frame of a video.';
    const id = trackId ?? s.selectedTrackId;
    const track = tracksOf(s.project, clip.id).find((t) => t.id === id);
    if (!track) return id === null ? 'No track is selected.' : `Track ${id} has no mask in this clip.`;
    const at = clip.frames.findIndex((f) => f.id === fromId);
    if (!track.byFrame.has(clip.frames[at]!.video!.frame))
      return `Track ${track.id} has no mask on frame ${clip.frames[at]!.video!.frame}.`;
    return { clip, track, at };
  }

  /** Starts propagating; resolves when the run has ended (how many frames it made, or why it could not start). */
  async propagate(req: PropagateRequest = {}): Promise<Result> {
    if (this.running) return this.fail('A propagation is already running.', 'Pause or cancel it first.');
    const t = this.target(req.trackId, req.from);
    if (typeof t === 'string')
      return this.fail(`Nothing was propagated: ${t}`, 'Select a track (click its mask or its lane) on a frame where it has a mask.');
    const direction = req.direction ?? 1;
    const run = this.run(t, direction, req.until ?? 'next-key');
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = null;
    }
  }

  /** The track's person-made mask on an image as the project holds it now, or null. */
  private keyOn(trackId: number, imageId: number): Annotation | null {
    const a = this.state.project.annotations.find((x) => x.trackId === trackId && x.imageId === imageId);
    return a && (a.track ?? 'key') === 'key' ? a : null;
  }

  private async run(
    { clip, track, at }: { clip: Clip; track: Track; at: number },
    direction: 1 | -1,
    until: 'next-key' | 'end',
  ): Promise<Result> {
    const runKey = `propagate-${track.id}-${++this.runs}-${Date.now()}`;
    const indices: number[] = [];
    for (let i = at + direction; i >= 0 && i < clip.frames.length; i += direction) {
      const a = track.byFrame.get(clip.frames[i]!.video!.frame);
      if (a && (a.track ?? 'key') === 'key' && until === 'next-key') break;
      indices.push(i);
    }
    this.stopWanted = false;
    this.paused = false;
    this.timings.length = 0;
    const total = indices.filter((i) => (track.byFrame.get(clip.frames[i]!.video!.frame)?.track ?? 'none') !== 'key').length;
    const memory = this.deps.memory?.ready() ? this.deps.memory : null;
    const method = memory ? 'sam2-video' : 'sam';
    this.state.setTracking({
      trackId: track.id,
      kind: 'propagate',
      method,
      direction,
      done: 0,
      total,
      frame: null,
      flagged: 0,
      status: 'running',
    });
    this.state.selectTrack(track.id);
    let previous: CocoRle = track.byFrame.get(clip.frames[at]!.video!.frame)!.segmentation;
    let done = 0;
    let flagged = 0;
    // another project opened meanwhile ("New", a switch): the run ends and nothing more of it lands anywhere
    const projectId = this.state.projectId;
    const left = () => this.state.projectId !== projectId;
    const stop = () => this.stopWanted || left();
    const stepper = memory ? this.memoryStepper(memory, track.id, clip.frames.length, direction) : this.samStepper(stop);
    try {
      await stepper.key(at, clip.frames[at]!.id, previous);
      for (const i of indices) {
        const frame = clip.frames[i]!;
        // the track as it is now: a person may have made a keyframe since the run began
        const here = this.keyOn(track.id, frame.id);
        if (here && until === 'next-key') break;
        // a keyframe on the way (until the end): the person's mask is what is followed on from there
        if (here) {
          previous = here.segmentation;
          await stepper.key(i, frame.id, previous);
          continue;
        }
        while (this.paused && !stop()) await new Promise((r) => setTimeout(r, 100));
        if (stop()) break;
        this.patch({ frame: frame.video!.frame, status: 'running' });
        const r = await stepper.next(i, frame.id, frame.video!.frame, previous);
        if (!r || left()) break;
        if (!this.state.project.images.some((im) => im.id === frame.id)) break;
        // false: the track was deleted meanwhile (it stays deleted)
        const put = this.state.putTrackMasks(
          track.id,
          [
            {
              imageId: frame.id,
              rle: r.rle,
              area: r.area,
              bbox: r.bbox,
              score: r.score,
              prompts: r.prompts,
              flag: r.flag,
              role: 'propagated',
              ...(r.model ? { model: r.model } : {}),
            },
          ],
          runKey,
        );
        if (!put) {
          // the run was undone meanwhile (the track is still there): it stops, and what it made stays undone
          if (this.state.project.annotations.some((a) => a.trackId === track.id)) {
            this.patch({
              status: 'cancelled',
              frame: null,
              message: 'Propagation stopped: it was undone.',
            });
            return { ok: true, frames: done };
          }
          break;
        }
        // a keyframe made on this frame while it was computed wins: it is what is followed on
        const made = this.keyOn(track.id, frame.id);
        if (made) {
          previous = made.segmentation;
          if (until === 'next-key') break;
          await stepper.key(i, frame.id, previous);
          continue;
        }
        done++;
        if (r.flag) flagged++;
        this.patch({ done, flagged });
        if (r.flag === 'lost' || (r.flag && this.state.stopOnFlag)) {
          const why =
            r.flag === 'lost' ? 'the object is lost' : r.flag === 'abrupt' ? 'the object changed abruptly' : 'the model is unsure';
          this.patch({
            status: 'stopped',
            frame: frame.video!.frame,
            message: `Stopped on frame ${frame.video!.frame}: ${why}. Correct it with a click or the brush and propagate again.`,
          });
          return { ok: true, frames: done };
        }
        previous = r.rle;
      }
      this.patch({ status: stop() ? 'cancelled' : 'done', frame: null });
      return { ok: true, frames: done };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.patch({ status: 'failed', message });
      return this.fail(`Propagation stopped: ${message}`, 'The frames made so far are kept; propagate again from the last one.');
    }
  }

  /** The single-image method: each frame prompted from the previous mask (nothing to hear of keyframes). */
  private samStepper(stop: () => boolean): Stepper {
    return {
      key: async () => undefined,
      next: (_index, imageId, frame, previous) => this.maskOn(imageId, frame, previous, stop),
    };
  }

  /** SAM 2's video memory: a fresh bank for the run; each frame encoded in the memory model's worker, then stepped. */
  private memoryStepper(memory: VideoMemory, trackId: number, numFrames: number, direction: 1 | -1): Stepper {
    let started = false;
    return {
      key: async (index, imageId, rle) => {
        if (!started) await memory.startTrack(trackId, numFrames, direction);
        started = true;
        await memory.encodeFrame(imageId);
        await memory.addMask(trackId, index, imageId, rle);
      },
      next: async (index, imageId, frame) => {
        let t = performance.now();
        await memory.encodeFrame(imageId);
        const encodeMs = performance.now() - t;
        t = performance.now();
        const r = await memory.track(trackId, index, imageId);
        this.timings.push({ frame, encodeMs, stepMs: performance.now() - t });
        return { ...r, score: sam2ObjectProbability(r.score), prompts: EMPTY_PROMPTS, model: this.state.videoModel?.id ?? 'sam2-video' };
      },
    };
  }

  /** A frame's mask following `previous`: on its cached embedding when the decoder holds one, else on a batch encode. */
  private async maskOn(imageId: number, frame: number, previous: CocoRle, stop: () => boolean): Promise<TrackMask | null> {
    const { engine } = this.deps;
    let t = performance.now();
    if (engine.embeddingStatus(imageId) === 'ready') {
      try {
        const r = await engine.trackMask(imageSource(imageId), previous, stop);
        this.timings.push({ frame, encodeMs: 0, stepMs: performance.now() - t });
        return r;
      } catch {
        // dropped from the cache meanwhile: encode it for the run
      }
    }
    t = performance.now();
    const e = await engine.batchEmbedding(imageId, null, stop, (h) => this.patch({ status: h ? 'waiting' : 'running' }));
    if (!e) return null;
    const encodeMs = performance.now() - t;
    t = performance.now();
    const r = await engine.trackMask(e.source, previous, stop);
    this.timings.push({ frame, encodeMs, stepMs: performance.now() - t });
    return r;
  }

  /**
   * Fills the frames between a track's masks (every gap between two of them) by interpolating their
   * signed distance fields (no model): for frames skipped by "every k-th" and static cameras. Frames of
   * the clip that are not in the project (skipped) are not made; machine-made masks between are replaced.
   */
  async interpolate(trackId?: number): Promise<Result> {
    if (this.running) return this.fail('A propagation is already running.', 'Pause or cancel it first.');
    const s = this.state;
    const id = trackId ?? s.selectedTrackId;
    const track = tracksOf(s.project).find((t) => t.id === id);
    if (!track) return this.fail('Nothing was interpolated: no track is selected.', 'Select a track with masks on two frames or more.');
    const clip = clipOf(s.project.images, [...track.byFrame.values()][0]!.imageId)!;
    const keys = clip.frames.filter((f) => (track.byFrame.get(f.video!.frame)?.track ?? 'none') === 'key');
    if (keys.length < 2)
      return this.fail('Nothing was interpolated: the track has fewer than two keyframes.', 'Make a keyframe on another frame first.');
    const runKey = `interpolate-${track.id}-${++this.runs}-${Date.now()}`;
    const projectId = s.projectId;
    let done = 0;
    const work = (async () => {
      this.state.setTracking({
        trackId: track.id,
        kind: 'interpolate',
        direction: 1,
        done: 0,
        total: 0,
        frame: null,
        flagged: 0,
        status: 'running',
      });
      for (let k = 0; k + 1 < keys.length; k++) {
        const a = keys[k]!;
        const b = keys[k + 1]!;
        const between = b.video!.frame - a.video!.frame - 1;
        if (between <= 0) continue;
        const masks = await this.deps.engine.interpolateMasks(
          track.byFrame.get(a.video!.frame)!.segmentation,
          track.byFrame.get(b.video!.frame)!.segmentation,
          between,
        );
        // another project opened meanwhile: nothing of this one lands there
        if (this.state.projectId !== projectId) break;
        const put = clip.frames
          .filter((f) => f.video!.frame > a.video!.frame && f.video!.frame < b.video!.frame)
          .map((f) => ({ f, m: masks[f.video!.frame - a.video!.frame - 1]! }))
          .map(({ f, m }) => ({
            imageId: f.id,
            rle: m.rle,
            area: m.area,
            bbox: m.bbox,
            score: null,
            prompts: EMPTY_PROMPTS,
            flag: null,
            role: 'interpolated' as const,
          }));
        if (put.length && this.state.putTrackMasks(track.id, put, runKey)) done += put.length;
      }
      this.patch({ status: 'done', done, total: done });
      return { ok: true as const, frames: done };
    })();
    this.running = work;
    try {
      return await work;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.patch({ status: 'failed', message });
      return this.fail(`Interpolation stopped: ${message}`, 'The frames made so far are kept.');
    } finally {
      this.running = null;
    }
  }
}
