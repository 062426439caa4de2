/** How urgent a decoder run is: 0 interactive (clicks, hover, benchmarks), 1 background (warm-ups, batch work). */
export type Priority = 0 | 1;

/**
 * One `session.run` at a time: batch work (pre-annotation) runs between interactive decodes, and an
 * interactive decode waiting goes first (priority 0), so a click waits at most one batch decode.
 */
export class Exclusive {
  private running = false;
  private readonly waiting: { priority: number; start: () => void }[] = [];

  async run<T>(priority: Priority, fn: () => Promise<T>): Promise<T> {
    if (this.running) {
      await new Promise<void>((start) => {
        this.waiting.push({ priority, start });
        this.waiting.sort((a, b) => a.priority - b.priority);
      });
    }
    this.running = true;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next.start();
      else this.running = false;
    }
  }
}
