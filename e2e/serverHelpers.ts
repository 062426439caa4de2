/** Starts the built project server (dist-cli/server.mjs) on a fresh data directory, as `npm run server` does. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, type Page } from '@playwright/test';
import type { TeamStats } from '../src/core/team/stats.ts';
import { gotoApp } from './helpers.ts';
import type { ServerJob, ServerReview } from '../src/io/serverApi.ts';

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
  /** what the server printed so far (stdout and stderr; the last 20,000 characters), for a failing test to show */
  log(): string;
}

function waitForStart(child: ChildProcess, printed: { text: string }): Promise<void> {
  const keep = (d: Buffer) => (printed.text = (printed.text + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
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
  const printed = { text: '' };
  const start = async () => {
    child = spawn(process.execPath, ['dist-cli/server.mjs', '--port', String(port), '--data', dataDir], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await waitForStart(child, printed);
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
    log: () => printed.text,
    stop: async () => {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function server(page: Page) {
  return {
    login: (u: string, p: string) => page.evaluate(([u, p]) => window.annotator.server.login(u!, p!), [u, p]),
    upload: () => page.evaluate(() => window.annotator.server.upload()),
    open: (id: number) => page.evaluate((id) => window.annotator.server.open(id), id),
    sync: () => page.evaluate(() => window.annotator.server.sync()),
    status: () => page.evaluate(() => window.annotator.server.status()),
    createJobs: async (spec: { imageIds: number[]; annotators: string[]; reviewer: string }) =>
      (await page.evaluate((spec) => window.annotator.server.createJobs(spec), spec)) as ServerJob[],
    // the automation type gives these results as `unknown`: they are the server's jobs, reviews and statistics
    stats: async () => (await page.evaluate(() => window.annotator.server.stats())) as TeamStats,
    jobs: async () => (await page.evaluate(() => window.annotator.server.jobs())) as ServerJob[],
    reviews: async () => (await page.evaluate(() => window.annotator.server.reviews())) as ServerReview[],
    addMember: (u: string, role: 'admin' | 'annotator' | 'reviewer') =>
      page.evaluate(([u, r]) => window.annotator.server.addMember(u!, r as 'annotator'), [u, role]),
  };
}

/** Waits until the shown image is ready (its file may still be coming from the server). */
export async function readyFromServer(page: Page): Promise<void> {
  await expect
    .poll(
      () =>
        page.evaluate(() =>
          window.annotator.ready().then(
            () => true,
            () => false,
          ),
        ),
      { timeout: 120_000 },
    )
    .toBe(true);
}

/** Opens the app from the server, waits for its first image and logs in as `user` (password `<user>-password`). */
export async function openLoggedIn(page: Page, user: string): Promise<void> {
  await gotoApp(page);
  await readyFromServer(page);
  await server(page).login(user, `${user}-password`);
}
