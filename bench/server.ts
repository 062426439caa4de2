import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname ?? '.', '..');

/** Starts `vite preview` of the built app on `port` and resolves once it answers. */
export async function startPreviewServer(port: number): Promise<ChildProcess> {
  const server = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, PORT: String(port) },
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return server;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  server.kill();
  throw new Error('the preview server did not start');
}

/** Page init script: collects the durations of long tasks in `window.__longtasks`. */
export function collectLongTasks(): void {
  const w = window as unknown as { __longtasks: number[] };
  w.__longtasks = [];
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) w.__longtasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: true });
}
