/**
 * The mask being drafted: its prompts and strokes, the generation number, the decoder calls, the
 * worker's edit, accept and reset. It is the only place that asks the workers for the live mask and
 * the only place that drops stale replies (a reply is shown only if its generation is the newest).
 * The store mirrors its visible state (`SessionView`) and records `SessionSnapshot`s in the undo
 * history; `restore()` gives back exactly the mask that was shown for a snapshot, because a snapshot
 * names the low-res logits that were fed as `mask_input` and the decoder worker keeps them.
 */
import { appErrorFromUnknown, type AppErrorData } from '../core/errors.ts';
import type { Stroke } from '../core/mask/brush.ts';
import type { CocoRle } from '../core/mask/rle.ts';
import { EMPTY_PROMPTS, hasPrompt, type BoxPrompt, type PointPrompt, type Prompts } from '../core/sam/prompts.ts';
import type { CandidateInfo, DecodeResult, EditResult, HoverResult, LiveMaskData } from '../../workers/protocol.ts';
import type { PixelRect } from '../core/sam/roi.ts';
import { cropCoversPrompts, zoomInCrop, type ZoomInOptions } from '../core/sam/zoomIn.ts';
import type { OverlayRegistry } from './overlays.ts';

/** What undo/redo restores of a mask being drafted. Plain data. */
export interface SessionSnapshot {
  imageId: number | null;
  prompts: Prompts;
  strokes: Stroke[];
  /** the accepted annotation being edited with the brush, if any */
  editingAnnotationId: number | null;
  /** generation whose low-res logits went in as `mask_input` for these prompts (null: none) */
  feedbackFrom: number | null;
  /** the mask candidate the annotator chose for an ambiguous prompt (null: SAM's pick) */
  candidate: number | null;
  /** the zoom-in crop these prompts were decoded on (null: the whole image) */
  crop: PixelRect | null;
}

export interface LiveMask {
  imageId: number;
  generation: number;
  /** predicted IoU of the SAM mask; NaN for a purely manual mask */
  score: number;
  area: number;
  bbox: [number, number, number, number];
  /** area and bbox estimated (large image); exact values come with the accepted annotation */
  approximate: boolean;
  decodeMs: number;
}

/** The zoom-in crop of the object being drafted, and whether its embedding is ready. */
export interface ZoomState {
  imageId: number;
  roi: PixelRect;
  ready: boolean;
}

/** The session's visible state, mirrored by the store for the views. */
export interface SessionView extends SessionSnapshot {
  generation: number;
  live: LiveMask | null;
  decoding: boolean;
  /** SAM's candidates for the shown mask (best predicted IoU first; empty when there is no choice) */
  candidates: CandidateInfo[];
  /** the candidate shown */
  token: number | null;
  zoom: ZoomState | null;
  /** where the hover preview shown was decoded (image px), or null */
  hover: { x: number; y: number } | null;
}

/** The engine calls the session makes (the real one is `InferenceEngine`; tests give a fake). */
export interface SessionEngine {
  decode(
    imageId: number,
    generation: number,
    prompts: Prompts,
    color: string,
    feedbackFrom: number | null,
    candidate: number | null,
    crop: PixelRect | null,
    cropFeedback?: ZoomInOptions['cropFeedback'],
  ): Promise<DecodeResult | null>;
  cropReady(imageId: number, roi: PixelRect): boolean;
  hover(imageId: number, point: { x: number; y: number }, color: string): Promise<HoverResult | null>;
  cancelHover(): void;
  prepareCrop(imageId: number, roi: PixelRect): Promise<boolean>;
  editReset(imageId: number, width: number, height: number, base: CocoRle | null): Promise<void>;
  editStrokes(imageId: number, strokes: Stroke[], color: string, withSam: boolean): Promise<EditResult>;
  editAddStroke(imageId: number, stroke: Stroke, color: string, withSam: boolean): Promise<EditResult>;
  recolorLive(imageId: number, color: string, withSam: boolean): Promise<EditResult>;
  liveMaskRle(generation: number, withSam: boolean): Promise<LiveMaskData | null>;
  invalidate(generation: number): void;
  settled(): Promise<void>;
  noteActivity(imageId: number): void;
}

export interface SessionContext {
  /** mask feedback on (SAM's interactive refinement) */
  feedback(): boolean;
  /** zoom-in refinement's settings, or null when it is off */
  zoomIn(): ZoomInOptions | null;
  /** colour the live mask is drawn in */
  color(): string;
  /** size of an image */
  image(imageId: number): { width: number; height: number } | null;
  /** mask of an accepted annotation (the base when editing it) */
  annotationMask(annotationId: number): CocoRle | null;
  onError(err: AppErrorData): void;
}

/** The live mask at accept time, with what made it. */
export interface AcceptedMask extends LiveMaskData {
  snapshot: SessionSnapshot;
  withSam: boolean;
}

/** Live masks of larger images are not read ahead (it would hold the worker up for the next click). */
const READ_AHEAD_MAX_PIXELS = 8_000_000;

export const EMPTY_SNAPSHOT: SessionSnapshot = {
  imageId: null,
  prompts: EMPTY_PROMPTS,
  strokes: [],
  editingAnnotationId: null,
  feedbackFrom: null,
  candidate: null,
  crop: null,
};

/** Clicks so far, a box counting as one. */
function interactions(p: Prompts): number {
  return p.points.length + (p.box ? 1 : 0);
}

const sameRect = (a: PixelRect | null, b: PixelRect | null) =>
  a === b || (!!a && !!b && a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1);

export function sessionUnderWay(s: Pick<SessionSnapshot, 'prompts' | 'strokes' | 'editingAnnotationId'>): boolean {
  return hasPrompt(s.prompts) || s.strokes.length > 0 || s.editingAnnotationId !== null;
}

export class MaskSession {
  private state: SessionSnapshot = EMPTY_SNAPSHOT;
  private generation = 0;
  /** newest SAM decode shown for the current prompts */
  private sam: { generation: number; score: number; decodeMs: number } | null = null;
  private live: LiveMask | null = null;
  private decoding = false;
  private candidates: CandidateInfo[] = [];
  private token: number | null = null;
  private zoom: ZoomState | null = null;
  /**
   * Where the time of each decode shown went (for benchmarks): the decoder run and the worker's whole
   * reply (run, resize, overlay), by generation; the rest of prompt -> mask on screen is transfer, the
   * main thread and Konva's frame. The last 1000.
   */
  readonly timings: { generation: number; decodeMs: number; workerMs: number }[] = [];
  private hoverShown: { imageId: number; point: { x: number; y: number } } | null = null;
  private hoverAsked = 0;
  /** the worker's edit (base annotation, strokes) is set up for this key */
  private editKey: string | null = null;
  /** bumped by reset/restore: the worker's edit must be set up again */
  private epoch = 0;
  private readonly updates = new Set<Promise<unknown>>();
  /** bumped by every update of the live mask (a decode, a stroke piece, a recolour) */
  private version = 0;
  /**
   * The live mask's RLE read ahead once an update has landed, so that an accept needs no round trip
   * to the worker: Enter makes the annotation (and journals it) in its own key event.
   */
  private readAhead: { version: number; generation: number; data: LiveMaskData } | null = null;
  /** the read ahead under way (the automation's liveMask waits for it instead of asking the worker again) */
  private reading: { version: number; generation: number; done: Promise<void> } | null = null;
  private readonly accepts = new Set<Promise<unknown>>();
  private readonly deferred = new Set<Promise<unknown>>();

  constructor(
    private readonly engine: SessionEngine,
    /** where the live mask, the hover preview and the candidates' previews are drawn */
    private readonly overlays: OverlayRegistry,
    private readonly ctx: SessionContext,
    private readonly onChange: (v: SessionView) => void,
  ) {}

  snapshot(): SessionSnapshot {
    return this.state;
  }

  view(): SessionView {
    return {
      ...this.state,
      generation: this.generation,
      live: this.live,
      decoding: this.decoding,
      candidates: this.candidates,
      token: this.token,
      zoom: this.zoom,
      hover: this.hoverShown?.point ?? null,
    };
  }

  underWay(): boolean {
    return sessionUnderWay(this.state);
  }

  private emit(): void {
    this.onChange(this.view());
  }

  private track(set: Set<Promise<unknown>>, p: Promise<unknown>): void {
    set.add(p);
    if (set === this.updates) this.version++;
    void p.finally(() => {
      set.delete(p);
      if (set === this.updates && set.size === 0) this.readLiveAhead();
    });
  }

  /** Reads the live mask's RLE from the worker while nothing else is under way (images up to 8 MP). */
  private readLiveAhead(): void {
    const { imageId, prompts, strokes, editingAnnotationId } = this.state;
    const version = this.version;
    const generation = this.generation;
    const size = imageId === null ? null : this.ctx.image(imageId);
    if (!this.live || this.live.generation !== generation || !size || size.width * size.height > READ_AHEAD_MAX_PIXELS) return;
    const withSam = hasPrompt(prompts);
    if (withSam && !this.sam) return;
    const samGeneration = this.sam?.generation ?? generation;
    const done = (async () => {
      if ((!withSam || strokes.length > 0 || editingAnnotationId !== null) && !(await this.ensureEdit())) return;
      if (version !== this.version || generation !== this.generation) return;
      const data = await this.engine.liveMaskRle(withSam ? samGeneration : generation, withSam);
      if (data && version === this.version && generation === this.generation) this.readAhead = { version, generation, data };
    })().catch(() => undefined);
    this.reading = { version, generation, done };
  }

  /** Resolves once the live mask reflects every prompt and stroke given so far (input deferred behind an accept too). */
  async settled(): Promise<void> {
    while (this.deferred.size > 0 || this.updates.size > 0) {
      await Promise.allSettled([...this.deferred, ...this.updates]);
    }
    await this.engine.settled();
  }

  /** Resolves once the live mask reflects the prompts and strokes applied so far. */
  private async updatesSettled(): Promise<void> {
    while (this.updates.size > 0) await Promise.allSettled([...this.updates]);
    await this.engine.settled();
  }

  /** Resolves once every accept under way is done. */
  async acceptsDone(): Promise<void> {
    while (this.accepts.size > 0) await Promise.allSettled([...this.accepts]);
  }

  /**
   * Runs user input on the session: at once, or (while an accept is under way) once it is done, so a
   * click right after Enter starts the next mask instead of joining the one being accepted.
   */
  input(apply: () => void): void {
    if (this.accepts.size === 0) return apply();
    const p = Promise.allSettled([...this.accepts]).then(apply);
    this.track(this.deferred, p);
  }

  private bump(): number {
    this.generation++;
    return this.generation;
  }

  /** Ends the mask (accepted, discarded, another image): an empty session on `imageId`. */
  reset(imageId: number | null): void {
    this.restore({ ...EMPTY_SNAPSHOT, imageId });
  }

  /** Sets the session to a snapshot (undo/redo) and recomputes its live mask exactly as it was shown. */
  restore(snap: SessionSnapshot): void {
    this.epoch++;
    this.clearLive(this.bump());
    this.state = snap;
    if (!hasPrompt(snap.prompts) || snap.imageId === null) this.zoom = null;
    else if (snap.crop) this.zoom = { imageId: snap.imageId, roi: snap.crop, ready: this.engine.cropReady(snap.imageId, snap.crop) };
    this.refresh(true, snap.feedbackFrom);
    this.emit();
  }

  /** No live mask: the worker forgets its SAM mask and edit, the overlay goes. */
  private clearLive(generation: number): void {
    this.engine.invalidate(generation);
    this.editKey = null;
    this.sam = null;
    this.live = null;
    this.decoding = false;
    this.candidates = [];
    this.token = null;
    this.hoverShown = null;
    this.overlays.setLive(null);
    this.overlays.setCandidates(null);
    this.overlays.setHover(null);
  }

  addPoint(p: PointPrompt): void {
    this.prompt({ ...this.state.prompts, points: [...this.state.prompts.points, p] });
  }

  setBox(b: BoxPrompt): void {
    this.prompt({ ...this.state.prompts, box: b });
  }

  /**
   * Hover preview at an image point: only while nothing is drafted on the shown image. The newest
   * request wins; `null` (the pointer moved on or left) drops it.
   */
  hover(point: { x: number; y: number } | null): void {
    const imageId = this.state.imageId;
    const ask = ++this.hoverAsked;
    if (point === null || imageId === null || this.underWay()) {
      this.engine.cancelHover();
      this.clearHover();
      return;
    }
    this.engine.hover(imageId, point, this.ctx.color()).then(
      (r) => {
        if (!r) return;
        // a newer request, a prompt, or another image came meanwhile
        if (ask !== this.hoverAsked || this.underWay() || r.imageId !== this.state.imageId) return r.overlay?.close();
        this.hoverShown = { imageId: r.imageId, point: r.point };
        this.overlays.setHover({ imageId: r.imageId, point: r.point, bitmap: r.overlay });
        this.emit();
      },
      () => undefined,
    );
  }

  private clearHover(): void {
    if (!this.hoverShown) return;
    this.hoverShown = null;
    this.overlays.setHover(null);
    this.emit();
  }

  private prompt(prompts: Prompts): void {
    if (this.state.imageId === null) return;
    this.hoverAsked++;
    this.engine.cancelHover();
    this.hoverShown = null;
    this.overlays.setHover(null);
    this.engine.noteActivity(this.state.imageId);
    // the mask on screen refines the next decode (its low-res logits as mask_input)
    const feedbackFrom = this.ctx.feedback() && this.sam ? this.sam.generation : null;
    const crop = this.cropFor(this.state.imageId, prompts);
    this.state = { ...this.state, prompts, feedbackFrom, candidate: null, crop };
    const g = this.bump();
    performance.mark(`prompt:${g}`);
    this.refresh(false, feedbackFrom);
    this.emit();
  }

  /**
   * The zoom-in crop to decode these prompts on: the object's crop once its embedding is ready and
   * it holds every positive click. A positive click outside it asks for a new crop (around the mask
   * shown and the clicks); until a crop is ready the whole image is used, so a click never waits.
   */
  private cropFor(imageId: number, prompts: Prompts): PixelRect | null {
    const z = this.ctx.zoomIn();
    if (!z || interactions(prompts) <= z.afterClicks || this.zoom?.imageId !== imageId) return null;
    if (cropCoversPrompts(this.zoom.roi, prompts)) return this.engine.cropReady(imageId, this.zoom.roi) ? this.zoom.roi : null;
    const size = this.ctx.image(imageId);
    const roi = size ? zoomInCrop(this.live && this.live.area > 0 ? this.live.bbox : null, prompts, size, z) : null;
    this.startZoom(imageId, roi);
    return null;
  }

  /** Starts encoding the object's zoom-in crop in the background (or forgets it: `roi` null). */
  private startZoom(imageId: number, roi: PixelRect | null): void {
    if (!roi) {
      this.zoom = null;
      return;
    }
    if (this.zoom && this.zoom.imageId === imageId && sameRect(this.zoom.roi, roi)) return;
    const ready = this.engine.cropReady(imageId, roi);
    this.zoom = { imageId, roi, ready };
    if (ready) return;
    this.engine.prepareCrop(imageId, roi).then(
      (ok) => {
        if (!ok || this.zoom?.imageId !== imageId || !sameRect(this.zoom.roi, roi)) return;
        this.zoom = { ...this.zoom, ready: true };
        this.emit();
      },
      (e: unknown) => this.failed(e),
    );
  }

  /** Shows another of SAM's candidates for the current prompts; the next click refines that one. */
  chooseCandidate(token: number): boolean {
    if (this.state.imageId === null || !this.candidates.some((c) => c.token === token) || token === this.token) return false;
    this.state = { ...this.state, candidate: token };
    // shown as chosen at once: a second Tab before the decode lands goes on from this one
    this.token = token;
    this.bump();
    this.refresh(false, this.state.feedbackFrom);
    this.emit();
    return true;
  }

  /** A brush/eraser stroke starts; `edit` is the annotation it edits when nothing else is under way. */
  beginStroke(edit: number | null): void {
    if (this.state.imageId === null) return;
    if (!this.underWay() && edit !== null) this.state = { ...this.state, editingAnnotationId: edit };
    this.emit();
  }

  /** Paints a piece of the stroke being drawn (composed in the worker). */
  strokePiece(piece: Stroke): void {
    const imageId = this.state.imageId;
    if (imageId === null) return;
    this.engine.noteActivity(imageId);
    const generation = this.generation;
    const withSam = hasPrompt(this.state.prompts) && this.sam !== null;
    const color = this.ctx.color();
    this.track(
      this.updates,
      (async () => {
        try {
          const t0 = performance.now();
          if (!(await this.ensureEdit())) return;
          const r = await this.engine.editAddStroke(imageId, piece, color, withSam);
          this.showEdit(r, generation, imageId);
          // pointer move -> mask painted (the layer is drawn in the next frame)
          if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => performance.measure('brush-frame', { start: t0 }));
        } catch (e) {
          this.failed(e);
        }
      })(),
    );
  }

  /** The stroke is done: it joins the session (already painted piece by piece). */
  endStroke(stroke: Stroke): void {
    this.state = { ...this.state, strokes: [...this.state.strokes, stroke] };
    this.emit();
  }

  /** The category colour changed: the live mask is drawn again in it; nothing is decoded. */
  recolor(): void {
    const imageId = this.state.imageId;
    if (imageId === null || !this.live) return;
    const generation = this.generation;
    const withSam = hasPrompt(this.state.prompts) && this.sam !== null;
    this.track(
      this.updates,
      (async () => {
        try {
          if ((this.state.strokes.length > 0 || this.state.editingAnnotationId !== null) && !(await this.ensureEdit())) return;
          const r = await this.engine.recolorLive(imageId, this.ctx.color(), withSam);
          if (generation !== this.generation) return r.overlay?.close();
          if (r.overlay) this.overlays.setLive({ imageId, generation: this.live?.generation ?? generation, bitmap: r.overlay });
        } catch (e) {
          this.failed(e);
        }
      })(),
    );
  }

  /** Makes sure the worker's edit (base annotation, strokes) belongs to this session. */
  private async ensureEdit(): Promise<boolean> {
    const { imageId, editingAnnotationId } = this.state;
    if (imageId === null) return false;
    const size = this.ctx.image(imageId);
    if (!size) return false;
    const key = `${imageId}:${editingAnnotationId}:${this.epoch}`;
    if (this.editKey === key) return true;
    this.editKey = key;
    const base = editingAnnotationId === null ? null : this.ctx.annotationMask(editingAnnotationId);
    await this.engine.editReset(imageId, size.width, size.height, base);
    return true;
  }

  private failed(e: unknown): void {
    this.decoding = false;
    this.emit();
    this.ctx.onError(appErrorFromUnknown(e));
  }

  private showEdit(r: EditResult, generation: number, imageId: number): void {
    if (generation !== this.generation || imageId !== this.state.imageId) {
      r.overlay?.close();
      r.patch?.bitmap.close();
      return;
    }
    if (r.patch) {
      // a stroke piece: only the pixels it touched; over another overlay than its view's, the whole one is asked for
      if (!this.overlays.patchLive(imageId, generation, r.patch)) this.recolor();
    } else this.overlays.setLive(r.overlay ? { imageId, generation, bitmap: r.overlay, view: r.view } : null);
    const shown = r.overlay || r.patch;
    // strokes on a SAM mask keep its predicted IoU on display; a purely manual mask has none
    const sam = hasPrompt(this.state.prompts) ? this.sam : null;
    this.live = shown
      ? {
          imageId,
          generation,
          score: sam ? sam.score : NaN,
          area: r.area,
          bbox: r.bbox,
          approximate: false,
          decodeMs: sam ? sam.decodeMs : 0,
        }
      : null;
    this.decoding = false;
    this.emit();
  }

  /**
   * Recomputes the live mask: SAM decode of the prompts (with `feedbackFrom`'s logits as mask_input)
   * and the edit (strokes, the annotation being edited), composed in the worker.
   */
  private refresh(repaintStrokes: boolean, feedbackFrom: number | null): void {
    const { imageId, prompts, strokes, editingAnnotationId } = this.state;
    if (imageId === null) return;
    const generation = this.generation;
    const editing = strokes.length > 0 || editingAnnotationId !== null;
    const withPrompts = hasPrompt(prompts);
    if (!withPrompts && !editing) return this.clearLive(generation);
    this.decoding = true;
    const color = this.ctx.color();
    this.track(
      this.updates,
      (async () => {
        let startZoomLater: (() => void) | null = null;
        try {
          if (editing) {
            if (!(await this.ensureEdit())) return;
            if (repaintStrokes || !withPrompts) {
              const r = await this.engine.editStrokes(imageId, strokes, color, false);
              if (!withPrompts) return this.showEdit(r, generation, imageId);
              r.overlay?.close();
            }
          }
          const { candidate, crop } = this.state;
          // undo/redo to a step decoded on a crop that is no longer kept: encode it again (exactly that mask)
          if (crop && !this.engine.cropReady(imageId, crop)) await this.engine.prepareCrop(imageId, crop);
          const r = await this.engine.decode(
            imageId,
            generation,
            prompts,
            color,
            feedbackFrom,
            candidate,
            crop,
            this.ctx.zoomIn()?.cropFeedback,
          );
          if (!r) return;
          if (r.generation !== this.generation || r.imageId !== this.state.imageId) {
            r.overlay.close();
            for (const p of r.previews) p.close();
            return;
          }
          this.overlays.setLive({ imageId: r.imageId, generation: r.generation, bitmap: r.overlay });
          this.overlays.setCandidates(r.previews.length ? { imageId: r.imageId, bitmaps: r.previews, box: r.previewBox! } : null);
          this.candidates = r.candidates;
          this.token = r.token;
          // the first mask(s) of an object: encode a crop around it for the next clicks (zoom-in)
          const z = this.ctx.zoomIn();
          const size = this.ctx.image(imageId);
          if (z && size && interactions(prompts) === z.afterClicks && r.area > 0)
            startZoomLater = () => this.startZoom(imageId, zoomInCrop(r.bbox, prompts, size, z));
          this.sam = { generation: r.generation, score: r.score, decodeMs: r.decodeMs };
          this.timings.push({ generation: r.generation, decodeMs: r.decodeMs, workerMs: r.totalMs });
          if (this.timings.length > 1000) this.timings.shift();
          this.live = {
            imageId: r.imageId,
            generation: r.generation,
            score: r.score,
            area: r.area,
            bbox: r.bbox,
            approximate: r.approximate,
            decodeMs: r.decodeMs,
          };
          this.decoding = false;
          startZoomLater?.();
          this.emit();
        } catch (e) {
          this.failed(e);
        }
      })(),
    );
  }

  /** The live mask as COCO RLE (automation, export of the draft), once every update has landed. */
  async liveMask(): Promise<LiveMaskData | null> {
    await this.settled();
    if (!this.live || this.live.generation !== this.generation) return null;
    // the read ahead of this very mask is (or will be) the answer: the worker is not asked twice
    const r = this.reading;
    if (r && r.version === this.version && r.generation === this.generation) await r.done;
    const ahead = this.readAhead;
    if (ahead && ahead.version === this.version && ahead.generation === this.generation) return ahead.data;
    const withSam = hasPrompt(this.state.prompts);
    if (!withSam || this.state.strokes.length || this.state.editingAnnotationId !== null) await this.ensureEdit();
    return this.engine.liveMaskRle(withSam && this.sam ? this.sam.generation : this.generation, withSam);
  }

  /**
   * Accepts the live mask: waits for every update under way, reads the mask from the worker and
   * hands it to `commit` (which makes the annotation and resets the session). Input given meanwhile
   * waits until `commit` has run (see {@link input}). Resolves to what `commit` returned, or to a
   * reason when there is nothing (ready) to accept.
   */
  accept<T>(commit: (m: AcceptedMask) => T): Promise<{ ok: true; value: T } | { ok: false; reason: string; hint: string } | null> {
    // input deferred behind an earlier accept belongs to this mask (input deferred behind this one does not)
    const earlier = [...this.deferred];
    // the mask on screen was read ahead and nothing changed it since: accepted now, in this event
    const ahead = this.readAhead;
    if (
      earlier.length === 0 &&
      this.updates.size === 0 &&
      ahead &&
      ahead.version === this.version &&
      ahead.generation === this.generation &&
      ahead.data.area > 0 &&
      this.underWay()
    ) {
      this.readAhead = null;
      return Promise.resolve({
        ok: true as const,
        value: commit({ ...ahead.data, snapshot: this.state, withSam: hasPrompt(this.state.prompts) }),
      });
    }
    const run = (async () => {
      await Promise.allSettled(earlier);
      await this.updatesSettled();
      const snap = this.state;
      if (snap.imageId === null || !this.underWay()) return null;
      const withSam = hasPrompt(snap.prompts);
      if (withSam && (!this.sam || !this.live || this.live.generation !== this.generation)) {
        return {
          ok: false as const,
          reason: 'The mask is not ready yet; nothing was accepted.',
          hint: 'Wait for the mask to appear, then press Enter.',
        };
      }
      const generation = this.generation;
      if (snap.strokes.length > 0 || snap.editingAnnotationId !== null) await this.ensureEdit();
      const m = await this.engine.liveMaskRle(withSam ? this.sam!.generation : generation, withSam);
      if (!m || this.generation !== generation) return null;
      if (m.area === 0) {
        return {
          ok: false as const,
          reason: 'The mask is empty; nothing was accepted.',
          hint: 'Add a foreground point on the object, draw a box or paint it.',
        };
      }
      return { ok: true as const, value: commit({ ...m, snapshot: snap, withSam }) };
    })();
    this.track(this.accepts, run);
    return run;
  }
}
