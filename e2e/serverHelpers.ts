/** Starts the built project server (dist-cli/server.mjs) on a fresh data directory, as `npm run server` does. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';

const ROOT = resolve(import.meta.dirname, '..');

export interface RunningServer {
  url: string;
  dataDir: string;
  /** kills the server process at once (SIGKILL, as a crash) */
  kill(): Promise<void>;
  /** starts it again on the same data directory and port */
  restart(): Promise<void>;
  /** stops it and removes its data */
  stop(): Promise<void>;
}

function waitForStart(child: ChildProcess): Promise<void> {
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`the server did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Project server on')) {
        clearTimeout(timer);
        res();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`the server exited (${code}): ${out}`));
    });
  });
}

export function cli(dataDir: string, args: string[], password: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['dist-cli/server.mjs', ...args, '--data', dataDir], {
    cwd: ROOT,
    env: { ...process.env, ...env, SAM_PASSWORD: password },
    encoding: 'utf8',
  });
}

/** A server on a fresh data directory; `users` are made first with the CLI ([name, password, admin?]). */
export async function startServer(
  port: number,
  users: [string, string, boolean][],
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sam-e2e-server-'));
  for (const [name, password, admin] of users) cli(dataDir, [admin ? 'create-admin' : 'create-user', '--username', name], password, env);
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(process.execPath, ['dist-cli/server.mjs', '--port', String(port), '--data', dataDir], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await waitForStart(child);
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    kill,
    restart: start,
    stop: async () => {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type Api = {
  annotator: {
    server: {
      login(u: string, p: string): Promise<void>;
      upload(): Promise<number>;
      open(id: number): Promise<void>;
      sync(): Promise<void>;
      status(): { status: string; pending: number; message: string; project: { id: number } | null };
      addMember(u: string, role: 'admin' | 'annotator' | 'reviewer'): Promise<void>;
      createJobs(spec: { imageIds: number[]; annotators: string[]; reviewer: string }): Promise<{ id: number }[]>;
      stats(): Promise<{ annotators: { username: string; masks: number; medianSeconds: number; clicksPerMask: number }[] }>;
      jobs(): Promise<{ id: number; state: string; imageIds: number[] }[]>;
    };
  };
};

export function server(page: Page) {
  return {
    login: (u: string, p: string) => page.evaluate(([u, p]) => (window as unknown as Api).annotator.server.login(u!, p!), [u, p]),
    upload: () => page.evaluate(() => (window as unknown as Api).annotator.server.upload()),
    open: (id: number) => page.evaluate((id) => (window as unknown as Api).annotator.server.open(id), id),
    sync: () => page.evaluate(() => (window as unknown as Api).annotator.server.sync()),
    status: () => page.evaluate(() => (window as unknown as Api).annotator.server.status()),
    createJobs: (spec: { imageIds: number[]; annotators: string[]; reviewer: string }) =>
      page.evaluate((spec) => (window as unknown as Api).annotator.server.createJobs(spec), spec),
    stats: () => page.evaluate(() => (window as unknown as Api).annotator.server.stats()),
    jobs: () => page.evaluate(() => (window as unknown as Api).annotator.server.jobs()),
    addMember: (u: string, role: 'admin' | 'annotator' | 'reviewer') =>
      page.evaluate(([u, r]) => (window as unknown as Api).annotator.server.addMember(u!, r as 'annotator'), [u, role]),
  };
}
