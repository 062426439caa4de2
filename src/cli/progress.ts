import cliProgress from 'cli-progress';

/**
 * The CLI's progress bar on stderr (cli-progress): `[#####     ] 3/10 images, 41 masks, 12 s, ETA 28 s`
 * and a note of what is under way. Redrawn in place on a terminal; elsewhere (a log, a pipe) a line
 * every 2 s. The ETA is the run's mean time per item so far times the items left ('?' before the first).
 * {@link ProgressBar.line} prints a line of its own (an error, a skipped item) below the bar's last state.
 */
export class ProgressBar {
  private readonly bar: cliProgress.SingleBar;
  private readonly t0 = performance.now();
  private shown = false;
  private done = 0;
  private payload: Record<string, string> = {};

  constructor(
    private readonly total: number,
    private readonly unit: string,
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  ) {
    this.bar = new cliProgress.SingleBar({
      stream,
      format: `[{bar}] {value}/{total} ${unit}, {detail}, {elapsed} s, ETA {eta_s} s {extra}`,
      barsize: 30,
      barCompleteChar: '#',
      barIncompleteChar: ' ',
      // drawn in logs and pipes too, as a line every notTTYSchedule ms (each line already ended there)
      noTTYOutput: true,
      notTTYSchedule: 2000,
      clearOnComplete: stream.isTTY !== true,
    });
  }

  /** `done` of the total finished; `detail` (e.g. "41 masks") and `extra` (what is under way) follow the counts. */
  update(done: number, detail: string, extra = ''): void {
    this.done = done;
    const el = (performance.now() - this.t0) / 1000;
    const eta = done > 0 ? (el / done) * (this.total - done) : NaN;
    this.payload = { detail, extra, elapsed: el.toFixed(0), eta_s: Number.isFinite(eta) ? eta.toFixed(0) : '?' };
    if (!this.shown) {
      this.shown = true;
      this.bar.start(this.total, done, this.payload);
    } else this.bar.update(done, this.payload);
  }

  /** Prints `text` on a line of its own: the bar's line is ended first and the bar goes on below. */
  line(text: string): void {
    if (!this.shown) {
      this.stream.write(`\n${text}\n`);
      return;
    }
    this.bar.stop();
    this.stream.write(`${text}\n`);
    this.bar.start(this.total, this.done, this.payload);
  }

  /** Ends the bar's line (its last state stays) and its redraws. */
  stop(): void {
    if (this.shown) this.bar.stop();
    else this.stream.write('\n');
    this.shown = false;
  }
}
