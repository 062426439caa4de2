/** A fake tool context for the tools' unit tests: records the store calls and what the stage would draw. */
import type { ViewTransform } from '../../core/geometry.ts';
import { rleBbox, rleArea, rleFromMask } from '../../core/mask/rle.ts';
import type { Annotation } from '../../core/project/types.ts';
import type { Clock, ToolContext, ToolPointer, ToolStoreState } from './types.ts';

export type Call = [name: string, ...args: unknown[]];

export interface Fake {
  ctx: ToolContext;
  /** the store actions called, in order */
  calls: Call[];
  state: ToolStoreState;
  /** what the stage was told to draw, in order */
  drawn: Call[];
  /** timers and frames waiting */
  clock: FakeClock;
}

export class FakeClock implements Clock {
  now = 0;
  private timers: { at: number; fn: () => void }[] = [];
  private frames: (() => void)[] = [];

  after(ms: number, fn: () => void): () => void {
    const t = { at: this.now + ms, fn };
    this.timers.push(t);
    return () => (this.timers = this.timers.filter((x) => x !== t));
  }

  nextFrame(fn: () => void): () => void {
    this.frames.push(fn);
    return () => (this.frames = this.frames.filter((x) => x !== fn));
  }

  get pendingFrames(): number {
    return this.frames.length;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Runs the frames requested so far. */
  frame(): void {
    const due = this.frames;
    this.frames = [];
    for (const f of due) f();
  }

  advance(ms: number): void {
    this.now += ms;
    const due = this.timers.filter((t) => t.at <= this.now);
    this.timers = this.timers.filter((t) => t.at > this.now);
    for (const t of due) t.fn();
  }
}

export function fakeContext(over: Partial<Omit<ToolContext, 'store'>> = {}, state: Partial<ToolStoreState> = {}): Fake {
  const calls: Call[] = [];
  const drawn: Call[] = [];
  const clock = new FakeClock();
  const record =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
    };
  const st: ToolStoreState = {
    hoverPoint: null,
    boxesFirst: false,
    selectedAnnotationId: null,
    brushRadius: 8,
    hoverAt: record('hoverAt'),
    addPoint: record('addPoint'),
    setBox: record('setBox'),
    addPendingBox: record('addPendingBox'),
    selectAnnotation: record('selectAnnotation'),
    beginStroke: record('beginStroke'),
    strokeProgress: record('strokeProgress'),
    endStroke: record('endStroke'),
    ...state,
  };
  const ctx: ToolContext = {
    store: { getState: () => st },
    tool: 'points',
    image: { id: 1, width: 100, height: 80 },
    view: { scale: 2, x: 10, y: 20 },
    spaceDown: false,
    draftUnderWay: false,
    selectable: [],
    setView(v) {
      ctx.view = typeof v === 'function' ? v(ctx.view) : v;
      drawn.push(['view', ctx.view]);
    },
    setDraftBox: (b) => drawn.push(['draftBox', b]),
    setDraftStroke: (p) => drawn.push(['draftStroke', p]),
    setCursor: (p) => drawn.push(['cursor', p]),
    setHovered: (id) => drawn.push(['hovered', id]),
    capture: (id) => drawn.push(['capture', id]),
    clock,
    ...over,
  };
  return { ctx, calls, state: st, drawn, clock };
}

/** A pointer event at stage px (x, y). */
export function ptr(x: number, y: number, o: Partial<Omit<ToolPointer, 'point'>> = {}): ToolPointer & { prevented: boolean } {
  const e = {
    point: { x, y },
    button: 0,
    shiftKey: false,
    altKey: false,
    pointerId: 1,
    prevented: false,
    preventDefault: () => {
      e.prevented = true;
    },
    ...o,
  };
  return e;
}

/** Stage px of image px (x, y) in the view. */
export function at(view: ViewTransform, x: number, y: number): [number, number] {
  return [x * view.scale + view.x, y * view.scale + view.y];
}

/** An annotation covering the image rectangle [x0, x1) x [y0, y1) of a w x h image. */
export function rectMask(id: number, w: number, h: number, x0: number, y0: number, x1: number, y1: number): Annotation {
  const m = new Uint8Array(w * h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * w + x] = 1;
  const segmentation = rleFromMask(m, w, h);
  return {
    id,
    imageId: 1,
    categoryId: 1,
    segmentation,
    area: rleArea(segmentation),
    bbox: rleBbox(segmentation),
    score: null,
    prompts: { points: [], box: null },
    source: 'test',
    createdAt: 0,
  };
}
