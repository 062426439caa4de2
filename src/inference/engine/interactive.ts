import { appErrorFromUnknown } from '../../core/errors.ts';
import type { DecodeRequest, DecodeResult, HoverResult } from '../../../workers/protocol.ts';
import type { ModelHost } from './host.ts';
import type { ImageStates } from './images.ts';
import type { EncodeScheduler } from './scheduler.ts';

/**
 * The annotator's decodes: at most one click's decode runs, and a request made while one runs
 * replaces any older waiting one (which resolves to null); hover previews only when nothing else waits.
 */
export class InteractiveDecodes {
  private inFlight: Promise<unknown> | null = null;
  private inFlightResolve: ((r: DecodeResult | null) => void) | null = null;
  private pending: {
    req: DecodeRequest;
    resolve: (r: DecodeResult | null) => void;
    reject: (e: unknown) => void;
  } | null = null;
  private hoverSeq = 0;

  constructor(
    private readonly host: ModelHost,
    private readonly images: ImageStates,
    private readonly scheduler: EncodeScheduler,
    private readonly whenReady: (imageId: number) => Promise<void>,
  ) {}

  /** whether a decode is running */
  get running(): boolean {
    return this.inFlight !== null;
  }

  /** whether a decode is running or waiting */
  get busy(): boolean {
    return this.inFlight !== null || this.pending !== null;
  }

  decode(req: DecodeRequest): Promise<DecodeResult | null> {
    this.scheduler.noteActivity(req.imageId);
    return new Promise((resolve, reject) => {
      if (this.pending) this.pending.resolve(null);
      this.pending = { req, resolve, reject };
      if (!this.inFlight) this.runPending();
    });
  }

  private runPending(): void {
    const p = this.pending;
    const decoder = this.host.decoder;
    if (!p || !decoder) return;
    this.pending = null;
    const epoch = this.host.epoch;
    this.inFlightResolve = p.resolve;
    // a click made while the image is still being encoded is answered as soon as it is ready
    this.inFlight = this.whenReady(p.req.imageId)
      .then(() => decoder.decode(p.req))
      .then(
        (r) => p.resolve(r),
        (e: unknown) => p.reject(appErrorFromUnknown(e)),
      )
      .finally(() => {
        // the model was switched meanwhile: the new one's decodes run on their own
        if (epoch !== this.host.epoch) return;
        this.inFlightResolve = null;
        this.inFlight = null;
        this.scheduler.lastInteraction = this.scheduler.lastInput = performance.now();
        if (this.pending) this.runPending();
        else this.scheduler.pump();
      });
  }

  /** Resolves once no decode is running or waiting. */
  async settled(): Promise<void> {
    while (this.inFlight || this.pending) await (this.inFlight ?? new Promise((r) => setTimeout(r, 10)));
  }

  /** The decoder is gone (another model): a decode under way or waiting never settles there, its caller gets null. */
  abandon(): void {
    if (this.pending) this.pending.resolve(null);
    this.pending = null;
    this.inFlightResolve?.(null);
    this.inFlight = null;
  }

  /**
   * Hover preview at an image point (see the decoder's `hover`): only when the image is ready and no
   * click's decode is running or waiting, never while a batch job runs; a click made meanwhile goes
   * first (the preview is then dropped).
   */
  hover(imageId: number, point: { x: number; y: number }, color: string): Promise<HoverResult | null> {
    const { decoder, modelReady, modelError } = this.host;
    if (!decoder || !modelReady || modelError || this.images.get(imageId) !== 'ready') return Promise.resolve(null);
    if (this.busy || this.scheduler.job?.target.kind === 'batch') return Promise.resolve(null);
    this.scheduler.noteActivity(imageId);
    const seq = ++this.hoverSeq;
    return decoder.hover({ imageId, seq, point, color });
  }

  /** Hover previews asked for and not started are dropped (the pointer moved on or left). */
  cancelHover(): void {
    void this.host.decoder?.cancelHover(this.hoverSeq);
  }
}
