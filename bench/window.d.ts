// Globals the benchmark pages set (the app's `window.annotator` is declared by src/ui/automation.ts).
interface Window {
  /** Long tasks' durations (ms), where a page collects them (bench/server.ts's `collectLongTasks`). */
  __longtasks: number[];
  /** when the last key was pressed (performance.now()), for key-to-frame timings */
  __key: number;
  __store?: unknown;
}
