/**
 * What the mask being drafted is, as data: the snapshot undo/redo restores, the live mask, the
 * zoom-in crop, the view the store holds (`SessionView`), and the engine calls and context the
 * session (maskSession.ts) is given.
 */
import type { AppErrorData } from '../core/errors.ts';
import type { Stroke } from '../core/mask/brush.ts';
import type { CocoRle } from '../core/mask/rle.ts';
import { EMPTY_PROMPTS, hasPrompt, type Prompts } from '../core/sam/prompts.ts';
import type { CandidateInfo, DecodeResult, EditResult, HoverResult, LiveMaskData } from '../../workers/protocol.ts';
import type { PixelRect } from '../core/sam/roi.ts';
import type { ZoomInOptions } from '../core/sam/zoomIn.ts';

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

/** The draft's visible state: the store holds it (its one owner); the session reads and writes it there. */
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

/**
 * The store's side of the draft: the session reads the draft's visible state there (its one owner)
 * and writes it back, each burst of changes in one store update.
 */
export interface DraftPort {
  read<K extends keyof SessionView>(key: K): SessionView[K];
  write(patch: Partial<SessionView>): void;
}

export const EMPTY_SNAPSHOT: SessionSnapshot = {
  imageId: null,
  prompts: EMPTY_PROMPTS,
  strokes: [],
  editingAnnotationId: null,
  feedbackFrom: null,
  candidate: null,
  crop: null,
};

export function sessionUnderWay(s: Pick<SessionSnapshot, 'prompts' | 'strokes' | 'editingAnnotationId'>): boolean {
  return hasPrompt(s.prompts) || s.strokes.length > 0 || s.editingAnnotationId !== null;
}
