/**
 * The editor: tool, brush, current category, selection, the mask clock, and the store's mirror of
 * the mask session (prompts, strokes, live mask). Prompts and strokes are history steps of the
 * session (no document change); accept is one step that adds the annotation and ends the session.
 */
import { annotationIndex } from '../../../core/project/annotationIndex.ts';
import { DiffBuilder, EMPTY_DIFF } from '../../../core/project/changes.ts';
import type { PixelRect } from '../../../core/sam/roi.ts';
import type { Stroke } from '../../../core/mask/brush.ts';
import type { Annotation } from '../../../core/project/types.ts';
import { IDLE_TIMER, timerInput, timerStop, timerVisibility, type MaskTimer } from '../../../core/project/timer.ts';
import { EMPTY_PROMPTS, promptSource, type BoxPrompt, type Prompts } from '../../../core/sam/prompts.ts';
import { EMPTY_SNAPSHOT, type AcceptedMask, type LiveMask, type SessionSnapshot, type ZoomState } from '../../../inference/maskSession.ts';
import type { CandidateInfo } from '../../../../workers/protocol.ts';
import type { SliceContext } from '../store.ts';
import { assignmentOf, reviewQueue } from '../selectors.ts';
import { refusedOn } from '../steps.ts';
import { trackForAccept } from './video.ts';

export type Tool = 'points' | 'box' | 'brush' | 'eraser' | 'select';

export interface EditorSlice {
  tool: Tool;
  /** brush radius in image px */
  brushRadius: number;
  /** feed the previous mask's low-res logits to the decoder (SAM's interactive refinement) */
  feedback: boolean;
  /** zoom-in refinement: after the first mask, clicks are decoded on an encoded crop around the object */
  zoomIn: boolean;
  /** SAM's candidates for the shown mask, best predicted IoU first (empty: no choice) */
  candidates: CandidateInfo[];
  /** the candidate shown */
  candidateShown: number | null;
  /** the object's zoom-in crop and whether it is ready */
  zoom: ZoomState | null;
  /** preview the mask under the resting pointer (points tool, nothing drafted) */
  hoverPreview: boolean;
  /** where the hover preview shown was decoded (image px), or null */
  hoverPoint: { x: number; y: number } | null;
  currentCategoryId: number;
  selectedAnnotationId: number | null;
  // the mask being drafted (this store is its owner; the mask session reads and writes it, see store.ts's DRAFT_FIELDS)
  /** the image the draft is on */
  draftImageId: number | null;
  prompts: Prompts;
  strokes: Stroke[];
  editingAnnotationId: number | null;
  /** generation whose low-res logits went in as `mask_input` for these prompts (null: none) */
  feedbackFrom: number | null;
  /** the candidate the annotator chose for an ambiguous prompt (null: SAM's pick) */
  candidateChosen: number | null;
  /** the zoom-in crop the prompts were decoded on (null: the whole image) */
  decodeCrop: PixelRect | null;
  generation: number;
  live: LiveMask | null;
  decoding: boolean;
  timer: MaskTimer;
  /** the 30-second warning was answered with "continue" for this mask */
  budgetAcknowledged: boolean;
  lastClickAt: number;

  setTool(t: Tool): void;
  setBrushRadius(r: number): void;
  setFeedback(on: boolean): void;
  setZoomIn(on: boolean): void;
  setHoverPreview(on: boolean): void;
  /** The pointer rests at an image point (null: it moved on or left the image). */
  hoverAt(point: { x: number; y: number } | null): void;
  /** Shows another of SAM's candidates (one undo step); the next click refines it. */
  chooseCandidate(token: number): void;
  /** The next (+1) or previous (-1) candidate, in the order shown. */
  cycleCandidate(step: 1 | -1): void;
  addPoint(x: number, y: number, positive: boolean): void;
  setBox(b: BoxPrompt): void;
  /** Ends the mask under way without an annotation (one undo step). */
  discardPrompts(): void;
  /** A brush/eraser stroke starts (on a selected annotation with nothing under way: edits it). */
  beginStroke(): void;
  strokeProgress(piece: Stroke): void;
  /** The stroke is done: one undo step. */
  endStroke(stroke: Stroke): void;
  /** Accepts the mask under way as an annotation, or with none, the selected proposal as it is. */
  accept(): Promise<Annotation | null>;
  /** Skips the object under the 30-second rule: no annotation, the skip is recorded. */
  skipObject(): void;
  acknowledgeBudget(): void;
  visibilityChanged(hidden: boolean): void;
  selectAnnotation(id: number | null): void;
  /** Chooses the category for new masks; with an annotation selected and nothing under way, relabels it. */
  setCurrentCategory(id: number): void;
  setCategoryByIndex(index: number): void;
}

/** `points` + `brush` -> `points+brush`, without repeats. */
function mergeSource(a: string, b: string): string {
  return [...new Set([...a.split('+'), ...b.split('+')])].join('+');
}

export function createEditorSlice(ctx: SliceContext): EditorSlice {
  const { set, get, session, ids } = ctx;
  let strokeStart: SessionSnapshot | null = null;
  /** the stroke under way was refused at its start (another person's job): its pieces are ignored */
  let strokeRefused = false;
  /** Another person's job holds the shown image: nothing is started there, and the user is told whose it is. */
  const refused = (): boolean => refusedOn(ctx, get().currentImageId);

  const tick = () => set((s) => ({ timer: timerInput(s.timer, Date.now()) }));
  const endOfMask = { timer: IDLE_TIMER, budgetAcknowledged: false };
  const emptyOn = (imageId: number | null): SessionSnapshot => ({ ...EMPTY_SNAPSHOT, imageId });

  /** Runs a session change as one undo step. */
  const sessionStep = (label: string, apply: () => void) => {
    const before = session.snapshot();
    apply();
    get().change(EMPTY_DIFF, 'record', { label, imageId: before.imageId, session: { before, after: session.snapshot() } });
  };

  /** The annotation made from an accepted live mask, filed as one step; the session ends. */
  const commitAccept = (m: AcceptedMask): Annotation | null => {
    const s = get();
    const imageId = m.snapshot.imageId!;
    if (!s.project.categories.some((c) => c.id === s.currentCategoryId)) {
      s.notify('error', 'Nothing was accepted: there is no category to give the mask.', 'Add a category, then press Enter.');
      return null;
    }
    const { ms } = timerStop(s.timer, Date.now());
    const { prompts, strokes, editingAnnotationId } = m.snapshot;
    const edited = editingAnnotationId === null ? undefined : annotationIndex(s.project.annotations).byId.get(editingAnnotationId);
    const ann: Annotation = {
      id: edited?.id ?? ids.next('annotations', s.project),
      imageId,
      categoryId: s.currentCategoryId,
      segmentation: m.rle,
      area: m.area,
      bbox: m.bbox,
      score: m.withSam ? m.score : (edited?.score ?? null),
      prompts: m.withSam ? prompts : (edited?.prompts ?? EMPTY_PROMPTS),
      source: edited && !m.withSam ? mergeSource(edited.source, 'brush') : promptSource(prompts, strokes.length),
      timeMs: (edited?.timeMs ?? 0) + ms,
      clicks: (edited?.clicks ?? 0) + prompts.points.length + (prompts.box ? 1 : 0),
      strokes: (edited?.strokes ?? 0) + strokes.length,
      createdAt: edited?.createdAt ?? Date.now(),
    };
    // the model that made the mask: this one when SAM's mask is in it, else the edited mask's
    const model = m.withSam ? s.model.id : edited?.model;
    if (model) ann.model = model;
    // a proposal fixed with the brush is no longer a proposal
    if (edited?.review === 'pending') delete ann.review;
    // an imported annotation edited: its export keeps its id and its foreign fields, area and bbox are the new mask's
    if (edited?.coco) {
      const { attributes: _recomputed, ...extra } = edited.coco.extra ?? {};
      ann.coco = { id: edited.coco.id, ...(Object.keys(extra).length ? { extra } : {}) };
    }
    const wasReviewing =
      edited?.review === 'pending' ||
      (s.selectedAnnotationId !== null && annotationIndex(s.project.annotations).byId.get(s.selectedAnnotationId)?.review === 'pending');
    // on a video frame the mask is a person's keyframe of a track: the edited mask's, the selected track's, or a new one
    const track = trackForAccept(s, imageId, edited, ann.id);
    if (track) {
      ann.trackId = track.trackId;
      ann.track = 'key';
    }
    const b = new DiffBuilder(s.project);
    if (track?.replaces) b.remove('annotations', track.replaces.id);
    if (edited) b.update('annotations', edited.id, () => ann);
    else b.add('annotations', ann);
    const after = emptyOn(imageId);
    if (!s.change(b.diff, 'record', { label: 'accept', imageId, session: { before: m.snapshot, after }, saveNow: true })) return null;
    session.restore(after);
    if (track) set({ selectedTrackId: track.trackId });
    set({ ...endOfMask, selectedAnnotationId: null, ...(s.display.pointsAfterAccept && !s.boxesFirst ? { tool: 'points' as const } : {}) });
    // a proposal fixed (or replaced by a new mask, which then covers it): on to the next proposal
    if (wasReviewing) {
      const next = reviewQueue(get())[0];
      if (next) get().selectAnnotation(next.id);
    }
    return ann;
  };

  return {
    tool: 'points',
    brushRadius: 8,
    // measured with the click robot on GrabCut: NoC@90 2.32 with feedback, 3.74 without (BENCHMARKS.md)
    feedback: true,
    // off: with the bundled model the click robot measured more clicks with it on COCO-MVal (BENCHMARKS.md, "Clicks per mask")
    zoomIn: false,
    candidates: [],
    candidateShown: null,
    zoom: null,
    hoverPreview: true,
    hoverPoint: null,
    currentCategoryId: 1,
    selectedAnnotationId: null,
    draftImageId: null,
    prompts: EMPTY_PROMPTS,
    strokes: [],
    editingAnnotationId: null,
    feedbackFrom: null,
    candidateChosen: null,
    decodeCrop: null,
    generation: 0,
    live: null,
    decoding: false,
    timer: IDLE_TIMER,
    budgetAcknowledged: false,
    lastClickAt: 0,

    setTool(tool) {
      set({ tool });
    },

    setBrushRadius(r) {
      set({ brushRadius: Math.min(2000, Math.max(0.5, r)) });
    },

    setFeedback(on) {
      set({ feedback: on });
    },

    setZoomIn(on) {
      set({ zoomIn: on });
    },

    setHoverPreview(on) {
      set({ hoverPreview: on });
      if (!on) session.hover(null);
    },

    hoverAt(point) {
      const s = get();
      // no preview where no mask can be made (another person's job)
      const may = s.currentImageId !== null && !assignmentOf(s, s.currentImageId)?.refusal;
      session.hover(point && s.hoverPreview && s.tool === 'points' && may ? point : null);
    },

    chooseCandidate(token) {
      session.input(() => {
        if (!get().candidates.some((c) => c.token === token) || get().candidateShown === token) return;
        tick();
        sessionStep('candidate', () => session.chooseCandidate(token));
      });
    },

    cycleCandidate(step) {
      const { candidates, candidateShown } = get();
      if (candidates.length < 2) return;
      const i = candidates.findIndex((c) => c.token === candidateShown);
      const next = candidates[(i + step + candidates.length) % candidates.length]!;
      get().chooseCandidate(next.token);
    },

    addPoint(x, y, positive) {
      session.input(() => {
        if (get().currentImageId === null || refused()) return;
        tick();
        set({ lastClickAt: performance.now() });
        sessionStep('point', () => session.addPoint({ x, y, positive }));
      });
    },

    setBox(b) {
      session.input(() => {
        if (get().currentImageId === null || refused()) return;
        tick();
        set({ lastClickAt: performance.now() });
        sessionStep('box', () => session.setBox(b));
      });
    },

    discardPrompts() {
      session.input(() => {
        if (!session.underWay()) return;
        sessionStep('discard', () => session.reset(get().currentImageId));
        set(endOfMask);
      });
    },

    beginStroke() {
      const s = get();
      strokeRefused = s.currentImageId === null || refused();
      if (strokeRefused) return;
      strokeStart = session.snapshot();
      tick();
      session.beginStroke(s.selectedAnnotationId);
    },

    strokeProgress(piece) {
      if (get().currentImageId === null || strokeRefused) return;
      tick();
      session.strokePiece(piece);
    },

    endStroke(stroke) {
      const before = strokeStart ?? session.snapshot();
      strokeStart = null;
      if (stroke.points.length < 2 || strokeRefused) return;
      session.endStroke(stroke);
      get().change(EMPTY_DIFF, 'record', { label: 'stroke', imageId: before.imageId, session: { before, after: session.snapshot() } });
    },

    async accept() {
      const s = get();
      const sel = s.selectedAnnotationId === null ? undefined : annotationIndex(s.project.annotations).byId.get(s.selectedAnnotationId);
      // with a proposal selected and no mask under way, accepting means accepting the proposal as it is
      if (sel?.review === 'pending' && !session.underWay()) {
        s.acceptProposal();
        return get().project.annotations.find((a) => a.id === sel.id) ?? null;
      }
      const r = await session.accept(commitAccept);
      if (r && !r.ok) get().notify('warning', r.reason, r.hint);
      return r?.ok ? r.value : null;
    },

    skipObject() {
      session.input(() => {
        const s = get();
        if (s.currentImageId === null || s.timer.status === 'idle') return;
        const { ms } = timerStop(s.timer, Date.now());
        const before = session.snapshot();
        const skip = {
          id: ids.next('skipped', s.project),
          imageId: s.currentImageId,
          timeMs: ms,
          clicks: before.prompts.points.length + (before.prompts.box ? 1 : 0),
          strokes: before.strokes.length,
          at: Date.now(),
        };
        const after = emptyOn(s.currentImageId);
        if (!s.change(new DiffBuilder(s.project).add('skipped', skip).diff, 'record', { label: 'skip object', session: { before, after } }))
          return;
        session.restore(after);
        set(endOfMask);
        get().notify('info', `Object skipped after ${(ms / 1000).toFixed(0)} s; the skip is recorded.`);
      });
    },

    acknowledgeBudget() {
      set({ budgetAcknowledged: true });
    },

    visibilityChanged(hidden) {
      set((s) => ({ timer: timerVisibility(s.timer, hidden, Date.now()) }));
    },

    selectAnnotation(id) {
      const s = get();
      const a = id === null ? undefined : s.project.annotations.find((x) => x.id === id);
      if (id !== null && !a) return;
      // reviewing a proposal is annotation time: the clock runs from its selection
      if (a?.review === 'pending' && s.timer.status === 'idle' && !session.underWay()) set({ timer: timerInput(IDLE_TIMER, Date.now()) });
      set({ selectedAnnotationId: id });
    },

    setCurrentCategory(id) {
      const s = get();
      if (!s.project.categories.some((c) => c.id === id)) return;
      const busy = session.underWay();
      // with an annotation selected (and no mask under way) the key changes that annotation's category
      const sel = s.selectedAnnotationId === null ? undefined : s.project.annotations.find((a) => a.id === s.selectedAnnotationId);
      if (sel && !busy && sel.categoryId !== id)
        s.change(new DiffBuilder(s.project).update('annotations', sel.id, (a) => ({ ...a, categoryId: id })).diff, 'record', {
          label: 'change category',
          imageId: sel.imageId,
        });
      set({ currentCategoryId: id });
      // the live mask is drawn in the category colour: drawn again, never decoded again
      if (busy) session.recolor();
    },

    setCategoryByIndex(index) {
      const c = get().project.categories[index];
      if (c) get().setCurrentCategory(c.id);
    },
  };
}
