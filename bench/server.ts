import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The repository root: the nearest folder above this file with our package.json. Found by walking
 * up, because after bundling this code lives in dist-cli/ or dist-cli/assets/, not in bench/.
 */
export function repoRoot(from = import.meta.dirname ?? process.cwd()): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sam-annotator') return dir;
    if (dirname(dir) === dir) throw new Error(`no sam-annotator package.json above ${from}`);
  }
}

/**
 * Starts `vite preview` of the built app on `port` and resolves once it serves the app. Vite runs
 * as a direct child (no npx in between), so `stopPreviewServer` ends the process that holds the port.
 */
export async function startPreviewServer(port: number): Promise<ChildProcess> {
  const root = repoRoot();
  if (!existsSync(join(root, 'dist/index.html'))) throw new Error(`${root}/dist has no build: run npm run build first`);
  const server = spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'preview', '--port', String(port), '--strictPort'], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, PORT: String(port) },
    // its own process group, so that stopping it stops everything it started
    detached: true,
  });
  const stop = () => killGroup(server, 'SIGTERM');
  process.once('exit', stop);
  server.once('exit', () => process.off('exit', stop));
  for (let i = 0; i < 100; i++) {
    if (server.exitCode !== null) break;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      if (res.ok && (await res.text()).includes('id="root"')) return server;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stopPreviewServer(server);
  throw new Error(`the preview server did not start on port ${port} (is the port taken?)`);
}

/** Ends the preview server and waits until it has exited. */
export async function stopPreviewServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  killGroup(server, 'SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (server.exitCode === null && server.signalCode === null) killGroup(server, 'SIGKILL');
}

/** Signals the server's whole process group (it was started detached, as its group's leader). */
function killGroup(server: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (server.pid !== undefined) process.kill(-server.pid, signal);
  } catch {
    server.kill(signal);
  }
}

/** Page init script: collects the durations of long tasks in `window.__longtasks`. */
export function collectLongTasks(): void {
  const w = window;
  w.__longtasks = [];
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) w.__longtasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: true });
}
