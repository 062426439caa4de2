/**
 * The mask session's work under way: updates of the live mask (decodes, stroke pieces, recolours),
 * accepts, and input deferred behind an accept. `version` counts the updates, so a mask read ahead
 * is known to be the one on screen.
 */
export class SessionWork {
  readonly updates = new Set<Promise<unknown>>();
  readonly accepts = new Set<Promise<unknown>>();
  readonly deferred = new Set<Promise<unknown>>();
  /** bumped by every update of the live mask */
  version = 0;

  /** `onUpdatesDone`: every update has landed (the session reads the mask ahead then). */
  constructor(
    private readonly engineSettled: () => Promise<void>,
    private readonly onUpdatesDone: () => void,
  ) {}

  private track(set: Set<Promise<unknown>>, p: Promise<unknown>): void {
    set.add(p);
    if (set === this.updates) this.version++;
    void p.finally(() => {
      set.delete(p);
      if (set === this.updates && set.size === 0) this.onUpdatesDone();
    });
  }

  update(p: Promise<unknown>): void {
    this.track(this.updates, p);
  }

  accept(p: Promise<unknown>): void {
    this.track(this.accepts, p);
  }

  /** Resolves once the live mask reflects every prompt and stroke given so far (input deferred behind an accept too). */
  async settled(): Promise<void> {
    while (this.deferred.size > 0 || this.updates.size > 0) {
      await Promise.allSettled([...this.deferred, ...this.updates]);
    }
    await this.engineSettled();
  }

  /** Resolves once the live mask reflects the prompts and strokes applied so far. */
  async updatesSettled(): Promise<void> {
    while (this.updates.size > 0) await Promise.allSettled([...this.updates]);
    await this.engineSettled();
  }

  /** Resolves once every accept under way is done. */
  async acceptsDone(): Promise<void> {
    while (this.accepts.size > 0) await Promise.allSettled([...this.accepts]);
  }

  /**
   * Runs user input: at once, or (while an accept is under way) once it is done, so a click right
   * after Enter starts the next mask instead of joining the one being accepted.
   */
  input(apply: () => void): void {
    if (this.accepts.size === 0) return apply();
    this.track(this.deferred, Promise.allSettled([...this.accepts]).then(apply));
  }
}
