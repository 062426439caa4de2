/**
 * What the canvas tools see and act through. A tool is a small state machine (`state`, pointer
 * handlers); the stage builds a {@link ToolContext} for each event (the store, the view, the shown
 * image, and setters for what the stage draws) and forwards the event to the tool that owns it.
 */
import type { Point, ViewTransform } from '../../core/geometry.ts';
import type { BoxPrompt } from '../../core/sam/prompts.ts';
import type { Annotation } from '../../core/project/types.ts';
import type { StoreState } from '../../state/store/store.ts';
import type { Tool } from '../../state/store/slices/editor.ts';

export type { Tool };

/** Presses that move further than this (screen px) are drags, not clicks. */
export const DRAG_THRESHOLD_PX = 4;

/** The part of the store the tools read and act through. */
export type ToolStoreState = Pick<
  StoreState,
  | 'hoverPoint'
  | 'hoverAt'
  | 'addPoint'
  | 'setBox'
  | 'addPendingBox'
  | 'boxesFirst'
  | 'selectAnnotation'
  | 'selectedAnnotationId'
  | 'beginStroke'
  | 'strokeProgress'
  | 'endStroke'
  | 'brushRadius'
>;

export interface ToolStore {
  getState(): ToolStoreState;
}

/** Timers, so that the tools run (and are tested) without a browser. Each returns its cancel function. */
export interface Clock {
  after(ms: number, fn: () => void): () => void;
  nextFrame(fn: () => void): () => void;
}

export type ViewUpdate = ViewTransform | ((old: ViewTransform) => ViewTransform);

export interface ToolContext {
  store: ToolStore;
  /** the tool picked in the toolbar */
  tool: Tool;
  /** the shown image (image px), null when there is none */
  image: { id: number; width: number; height: number } | null;
  /** image px -> stage px */
  view: ViewTransform;
  /** Space held: a left drag pans */
  spaceDown: boolean;
  /** points, a box, strokes or an edit under way */
  draftUnderWay: boolean;
  /** the masks hovering and clicking can select (shown, unlocked; accepted ones only for the points tool) */
  selectable: readonly Annotation[];
  setView(v: ViewUpdate): void;
  /** the box being dragged (image px), drawn dashed */
  setDraftBox(b: BoxPrompt | null): void;
  /** the stroke being painted (flat image px), drawn under the brush */
  setDraftStroke(points: number[] | null): void;
  /** the brush circle (image px) */
  setCursor(p: Point | null): void;
  /** the mask under the pointer a click would select */
  setHovered(id: number | null): void;
  /** keep receiving this pointer's events outside the stage */
  capture(pointerId: number): void;
  clock: Clock;
}

/** A pointer event in stage px. */
export interface ToolPointer {
  point: Point;
  button: number;
  shiftKey: boolean;
  altKey: boolean;
  pointerId: number;
  preventDefault(): void;
}

export interface ToolWheel {
  point: Point;
  deltaY: number;
}

export interface CanvasTool {
  readonly state: string;
  onPointerDown(ctx: ToolContext, e: ToolPointer): void;
  onPointerMove(ctx: ToolContext, e: ToolPointer): void;
  onPointerUp(ctx: ToolContext, e: ToolPointer): void;
  /** the gesture is abandoned (pointercancel, lost image): back to idle */
  onPointerCancel(ctx: ToolContext): void;
  onWheel?(ctx: ToolContext, e: ToolWheel): void;
}

/** A tool picked in the toolbar: besides its gestures, what hovering with it shows. */
export interface PickedTool extends CanvasTool {
  /** hovering and clicking with this pointer event pick masks */
  picks(ctx: ToolContext, e: { altKey: boolean }): boolean;
  /** resting the pointer previews the mask a click would give */
  previews(ctx: ToolContext): boolean;
  /** the brush circle follows the pointer */
  readonly brushCursor: boolean;
}
