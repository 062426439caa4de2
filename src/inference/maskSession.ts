/**
 * The engine plumbing of the mask being drafted: generations, the decoder calls, the worker's edit,
 * accept and reset, reading the mask ahead. It is the only place that asks the workers for the live
 * mask and that drops stale replies (a reply is shown only if its generation is the newest). The
 * draft itself (`SessionView`: prompts, strokes, candidate, crop, live mask) is held by the store,
 * its one owner: the session reads and writes it there (`DraftPort`, sessionDraft.ts). The store
 * records `SessionSnapshot`s in the undo history; `restore()` gives back exactly the mask shown for
 * a snapshot (it names the low-res logits fed as `mask_input`, which the decoder worker keeps).
 */
import { appErrorFromUnknown } from '../core/errors.ts';
import type { Stroke } from '../core/mask/brush.ts';
import { hasPrompt, type BoxPrompt, type PointPrompt, type Prompts } from '../core/sam/prompts.ts';
import type { EditResult, LiveMaskData } from '../../workers/protocol.ts';
import type { OverlayRegistry } from './overlays.ts';
import { DraftBuffer } from './sessionDraft.ts';
import { SessionWork } from './sessionWork.ts';
import { HoverPreview } from './sessionHover.ts';
import { ZoomCrops } from './sessionZoom.ts';
import {
  EMPTY_SNAPSHOT,
  sessionUnderWay,
  type AcceptedMask,
  type DraftPort,
  type SessionContext,
  type SessionEngine,
  type SessionSnapshot,
} from './sessionTypes.ts';

export * from './sessionTypes.ts';

/** Live masks of larger images are not read ahead (it would hold the worker up for the next click). */
const READ_AHEAD_MAX_PIXELS = 8_000_000;

export class MaskSession {
  private generation = 0;
  /** newest SAM decode shown for the current prompts */
  private sam: { generation: number; score: number; decodeMs: number } | null = null;
  /**
   * Where the time of each decode shown went (benchmarks; the last 1000): the decoder run and the
   * worker's whole reply; the rest of prompt -> mask on screen is transfer, main thread and Konva.
   */
  readonly timings: { generation: number; decodeMs: number; workerMs: number }[] = [];
  /** the worker's edit (base annotation, strokes) is set up for this key */
  private editKey: string | null = null;
  /** bumped by reset/restore: the worker's edit must be set up again */
  private epoch = 0;
  /**
   * The live mask's RLE read ahead once an update has landed, so that an accept needs no round trip
   * to the worker: Enter makes the annotation (and journals it) in its own key event.
   */
  private readAhead: { version: number; generation: number; data: LiveMaskData } | null = null;
  /** the read ahead under way (the automation's liveMask waits for it instead of asking the worker again) */
  private reading: { version: number; generation: number; done: Promise<void> } | null = null;

  /** the draft's visible state, held by the store */
  private readonly d: DraftBuffer;
  private readonly work: SessionWork;
  private readonly hovering: HoverPreview;
  private readonly zooming: ZoomCrops;

  constructor(
    private readonly engine: SessionEngine,
    /** where the live mask, the hover preview and the candidates' previews are drawn */
    private readonly overlays: OverlayRegistry,
    private readonly ctx: SessionContext,
    draft: DraftPort,
  ) {
    this.d = new DraftBuffer(draft);
    this.hovering = new HoverPreview(engine, overlays, {
      imageId: () => this.d.state.imageId,
      underWay: () => this.underWay(),
      color: () => this.ctx.color(),
      emit: () => this.emit(),
    });
    this.zooming = new ZoomCrops(engine, ctx, this.d, { emit: () => this.emit(), failed: (e) => this.failed(e) });
    const readAhead = () => this.readLiveAhead();
    this.work = new SessionWork(() => engine.settled(), readAhead);
  }

  snapshot(): SessionSnapshot {
    return this.d.state;
  }

  underWay(): boolean {
    return sessionUnderWay(this.d.state);
  }

  /** Puts this burst of changes into the store (with the generation and the hover point). */
  private emit(): void {
    this.d.flush({ generation: this.generation, hover: this.hovering.point() });
  }

  /** Reads the live mask's RLE from the worker while nothing else is under way (images up to 8 MP). */
  private readLiveAhead(): void {
    const { imageId, prompts, strokes, editingAnnotationId } = this.d.state;
    const version = this.work.version;
    const generation = this.generation;
    const size = imageId === null ? null : this.ctx.image(imageId);
    if (!this.d.live || this.d.live.generation !== generation || !size || size.width * size.height > READ_AHEAD_MAX_PIXELS) return;
    const withSam = hasPrompt(prompts);
    if (withSam && !this.sam) return;
    const samGeneration = this.sam?.generation ?? generation;
    const done = (async () => {
      if ((!withSam || strokes.length > 0 || editingAnnotationId !== null) && !(await this.ensureEdit())) return;
      if (version !== this.work.version || generation !== this.generation) return;
      const data = await this.engine.liveMaskRle(withSam ? samGeneration : generation, withSam);
      if (data && version === this.work.version && generation === this.generation) this.readAhead = { version, generation, data };
    })().catch(() => undefined);
    this.reading = { version, generation, done };
  }

  /** Resolves once the live mask reflects every prompt and stroke given so far (input deferred behind an accept too). */
  settled(): Promise<void> {
    return this.work.settled();
  }

  /** Resolves once every accept under way is done. */
  acceptsDone(): Promise<void> {
    return this.work.acceptsDone();
  }

  /** Runs user input at once, or once the accept under way is done (see SessionWork.input). */
  input(apply: () => void): void {
    this.work.input(apply);
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
    this.d.state = snap;
    if (!hasPrompt(snap.prompts) || snap.imageId === null) this.d.zoom = null;
    else if (snap.crop) this.d.zoom = { imageId: snap.imageId, roi: snap.crop, ready: this.engine.cropReady(snap.imageId, snap.crop) };
    this.refresh(true, snap.feedbackFrom);
    this.emit();
  }

  /** No live mask: the worker forgets its SAM mask and edit, the overlay goes. */
  private clearLive(generation: number): void {
    this.engine.invalidate(generation);
    this.editKey = null;
    this.sam = null;
    this.d.live = null;
    this.d.decoding = false;
    this.d.candidates = [];
    this.d.token = null;
    this.hovering.forget();
    this.overlays.setLive(null);
    this.overlays.setCandidates(null);
  }

  addPoint(p: PointPrompt): void {
    this.prompt({ ...this.d.state.prompts, points: [...this.d.state.prompts.points, p] });
  }

  setBox(b: BoxPrompt): void {
    this.prompt({ ...this.d.state.prompts, box: b });
  }

  /**
   * Hover preview at an image point: only while nothing is drafted on the shown image. The newest
   * request wins; `null` (the pointer moved on or left) drops it.
   */
  hover(point: { x: number; y: number } | null): void {
    this.hovering.at(point);
  }

  private prompt(prompts: Prompts): void {
    if (this.d.state.imageId === null) return;
    this.hovering.drop();
    this.engine.noteActivity(this.d.state.imageId);
    // the mask on screen refines the next decode (its low-res logits as mask_input)
    const feedbackFrom = this.ctx.feedback() && this.sam ? this.sam.generation : null;
    const crop = this.zooming.cropFor(this.d.state.imageId, prompts);
    this.d.state = { ...this.d.state, prompts, feedbackFrom, candidate: null, crop };
    const g = this.bump();
    performance.mark(`prompt:${g}`);
    this.refresh(false, feedbackFrom);
    this.emit();
  }

  /** Shows another of SAM's candidates for the current prompts; the next click refines that one. */
  chooseCandidate(token: number): boolean {
    if (this.d.state.imageId === null || !this.d.candidates.some((c) => c.token === token) || token === this.d.token) return false;
    this.d.state = { ...this.d.state, candidate: token };
    // shown as chosen at once: a second Tab before the decode lands goes on from this one
    this.d.token = token;
    this.bump();
    this.refresh(false, this.d.state.feedbackFrom);
    this.emit();
    return true;
  }

  /** A brush/eraser stroke starts; `edit` is the annotation it edits when nothing else is under way. */
  beginStroke(edit: number | null): void {
    if (this.d.state.imageId === null) return;
    if (!this.underWay() && edit !== null) this.d.state = { ...this.d.state, editingAnnotationId: edit };
    this.emit();
  }

  /** Paints a piece of the stroke being drawn (composed in the worker). */
  strokePiece(piece: Stroke): void {
    const imageId = this.d.state.imageId;
    if (imageId === null) return;
    this.engine.noteActivity(imageId);
    const generation = this.generation;
    const withSam = hasPrompt(this.d.state.prompts) && this.sam !== null;
    const color = this.ctx.color();
    this.work.update(
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
    this.d.state = { ...this.d.state, strokes: [...this.d.state.strokes, stroke] };
    this.emit();
  }

  /** The category colour changed: the live mask is drawn again in it; nothing is decoded. */
  recolor(): void {
    const imageId = this.d.state.imageId;
    if (imageId === null || !this.d.live) return;
    const generation = this.generation;
    const withSam = hasPrompt(this.d.state.prompts) && this.sam !== null;
    this.work.update(
      (async () => {
        try {
          if ((this.d.state.strokes.length > 0 || this.d.state.editingAnnotationId !== null) && !(await this.ensureEdit())) return;
          const r = await this.engine.recolorLive(imageId, this.ctx.color(), withSam);
          if (generation !== this.generation) return r.overlay?.close();
          if (r.overlay) this.overlays.setLive({ imageId, generation: this.d.live?.generation ?? generation, bitmap: r.overlay });
        } catch (e) {
          this.failed(e);
        }
      })(),
    );
  }

  /** Makes sure the worker's edit (base annotation, strokes) belongs to this session. */
  private async ensureEdit(): Promise<boolean> {
    const { imageId, editingAnnotationId } = this.d.state;
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
    this.d.decoding = false;
    this.emit();
    this.ctx.onError(appErrorFromUnknown(e));
  }

  private showEdit(r: EditResult, generation: number, imageId: number): void {
    if (generation !== this.generation || imageId !== this.d.state.imageId) {
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
    const sam = hasPrompt(this.d.state.prompts) ? this.sam : null;
    this.d.live = shown
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
    this.d.decoding = false;
    this.emit();
  }

  /**
   * Recomputes the live mask: SAM decode of the prompts (with `feedbackFrom`'s logits as mask_input)
   * and the edit (strokes, the annotation being edited), composed in the worker.
   */
  private refresh(repaintStrokes: boolean, feedbackFrom: number | null): void {
    const { imageId, prompts, strokes, editingAnnotationId } = this.d.state;
    if (imageId === null) return;
    const generation = this.generation;
    const editing = strokes.length > 0 || editingAnnotationId !== null;
    const withPrompts = hasPrompt(prompts);
    if (!withPrompts && !editing) return this.clearLive(generation);
    this.d.decoding = true;
    const color = this.ctx.color();
    this.work.update(
      (async () => {
        try {
          if (editing) {
            if (!(await this.ensureEdit())) return;
            if (repaintStrokes || !withPrompts) {
              const r = await this.engine.editStrokes(imageId, strokes, color, false);
              if (!withPrompts) return this.showEdit(r, generation, imageId);
              r.overlay?.close();
            }
          }
          const { candidate, crop } = this.d.state;
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
          if (r.generation !== this.generation || r.imageId !== this.d.state.imageId) {
            r.overlay.close();
            for (const p of r.previews) p.close();
            return;
          }
          this.overlays.setLive({ imageId: r.imageId, generation: r.generation, bitmap: r.overlay });
          this.overlays.setCandidates(r.previews.length ? { imageId: r.imageId, bitmaps: r.previews, box: r.previewBox! } : null);
          this.d.candidates = r.candidates;
          this.d.token = r.token;
          // the first mask(s) of an object: encode a crop around it for the next clicks (zoom-in)
          const startZoomLater = this.zooming.afterMask(imageId, prompts, r.bbox, r.area);
          this.sam = { generation: r.generation, score: r.score, decodeMs: r.decodeMs };
          this.timings.push({ generation: r.generation, decodeMs: r.decodeMs, workerMs: r.totalMs });
          if (this.timings.length > 1000) this.timings.shift();
          this.d.live = {
            imageId: r.imageId,
            generation: r.generation,
            score: r.score,
            area: r.area,
            bbox: r.bbox,
            approximate: r.approximate,
            decodeMs: r.decodeMs,
          };
          this.d.decoding = false;
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
    if (!this.d.live || this.d.live.generation !== this.generation) return null;
    // the read ahead of this very mask is (or will be) the answer: the worker is not asked twice
    const r = this.reading;
    if (r && r.version === this.work.version && r.generation === this.generation) await r.done;
    const ahead = this.readAhead;
    if (ahead && ahead.version === this.work.version && ahead.generation === this.generation) return ahead.data;
    const withSam = hasPrompt(this.d.state.prompts);
    if (!withSam || this.d.state.strokes.length || this.d.state.editingAnnotationId !== null) await this.ensureEdit();
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
    const earlier = [...this.work.deferred];
    // the mask on screen was read ahead and nothing changed it since: accepted now, in this event
    const ahead = this.readAhead;
    if (
      earlier.length === 0 &&
      this.work.updates.size === 0 &&
      ahead &&
      ahead.version === this.work.version &&
      ahead.generation === this.generation &&
      ahead.data.area > 0 &&
      this.underWay()
    ) {
      this.readAhead = null;
      return Promise.resolve({
        ok: true as const,
        value: commit({ ...ahead.data, snapshot: this.d.state, withSam: hasPrompt(this.d.state.prompts) }),
      });
    }
    const run = (async () => {
      await Promise.allSettled(earlier);
      await this.work.updatesSettled();
      const snap = this.d.state;
      if (snap.imageId === null || !this.underWay()) return null;
      const withSam = hasPrompt(snap.prompts);
      if (withSam && (!this.sam || !this.d.live || this.d.live.generation !== this.generation)) {
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
    this.work.accept(run);
    return run;
  }
}
