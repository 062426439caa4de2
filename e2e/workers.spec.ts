/**
 * Pre-annotation workers that scale out (issue 14): the project server on a real PostgreSQL cluster,
 * three `npm run worker` processes on the shared COCO set's boxes, one of them killed (SIGKILL) while
 * it holds an image. Every image is done exactly once (each box becomes one proposal, the change log
 * has each proposal once), and the admin's app shows the run's progress and its workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import pg from 'pg';
import type { Annotation, PendingBox } from '../src/core/project/types.ts';
import type { RecordsResponse, ServerRun } from '../src/core/sync/protocol.ts';
import { findPgBin, startPgCluster, type PgCluster } from '../src/node/pgCluster.ts';
import { seedBoxProject, TestClient } from '../src/server/testkit.ts';
import { gotoApp } from './helpers.ts';
import { server, startServer, type RunningServer } from './serverHelpers.ts';

const PORT = 4197;
const ROOT = resolve(import.meta.dirname, '..');
const COCO_DIR = resolve(ROOT, '../shared/datasets/coco-val2017-tiny');

interface Worker {
  child: ChildProcess;
  /** host:pid, as the runs name it */
  name: Promise<string>;
  out: string[];
}

/** `npm run worker` in its own process group (so a kill reaches node, not only npm). */
function startWorker(url: string, dataDir: string): Worker {
  const child = spawn('npm', ['run', '-s', 'worker', '--', '--data', dataDir, '--threads', '1'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const out: string[] = [];
  const name = new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`the worker did not start: ${out.join('')}`)), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      out.push(d.toString());
      const m = /Pre-annotation worker (\S+) waiting/.exec(out.join(''));
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    });
    child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    child.once('exit', (code) => rej(new Error(`the worker exited (${code}): ${out.join('')}`)));
  });
  name.catch(() => undefined);
  return { child, name, out };
}

function killGroup(w: Worker, signal: NodeJS.Signals): void {
  try {
    process.kill(-w.child.pid!, signal);
  } catch {
    // gone already
  }
}

let cluster: PgCluster | null = null;
let srv: RunningServer | null = null;
const workers: Worker[] = [];

test.beforeAll(async () => {
  test.skip(!findPgBin().dir, 'needs the PostgreSQL server programs (scripts/check-postgres.mjs installs them)');
  cluster = await startPgCluster();
});
test.afterAll(async () => {
  for (const w of workers) killGroup(w, 'SIGKILL');
  await srv?.stop();
  await cluster?.stop();
});

test('three workers pre-annotate the COCO boxes; one is killed mid-image; every image is done once', async ({ browser }) => {
  test.setTimeout(600_000);
  const db = `sam_workers_${Date.now()}`;
  const admin0 = new pg.Client({ connectionString: cluster!.url });
  await admin0.connect();
  await admin0.query(`create database ${db}`);
  await admin0.end();
  const u = new URL(cluster!.url);
  u.pathname = `/${db}`;
  const url = u.toString();
  srv = await startServer(PORT, [['alice', 'alice-password', true]], { DATABASE_URL: url });

  const api = TestClient.http(srv.url);
  expect(await api.login('alice', 'alice-password')).toBe(200);
  const pid = (await api.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'COCO val2017 tiny' })).body.project.id;
  const coco = JSON.parse(readFileSync(resolve(COCO_DIR, 'instances_val2017.json'), 'utf8'));
  await seedBoxProject(api, pid, coco, resolve(COCO_DIR, 'images'));
  const records = async () => (await api.json<RecordsResponse>('GET', `/api/projects/${pid}/records`)).body.records;
  const boxes = (await records()).filter((r) => r.coll === 'pendingBoxes').map((r) => r.data as PendingBox);
  expect(boxes.length).toBe(coco.annotations.filter((a: { iscrowd: number }) => !a.iscrowd).length);

  // the admin's app, on the server project
  const ctx = await browser.newContext({ baseURL: srv.url });
  const page = await ctx.newPage();
  await gotoApp(page);
  await server(page).login('alice', 'alice-password');
  await server(page).open(pid);

  for (let i = 0; i < 3; i++) workers.push(startWorker(url, srv.dataDir));
  const names = await Promise.all(workers.map((w) => w.name));
  await expect(page.getByTestId('server-workers')).toHaveAttribute('data-count', '3', { timeout: 30_000 });

  // queued from the app, as an admin would (a short visibility timeout: the killed worker's image comes back soon)
  const queued = await page.evaluate(() => window.annotator.server.preannotate({ mode: 'box', expireSeconds: 20 }));
  const images = new Set(boxes.map((b) => b.imageId)).size;
  expect(queued.images).toBe(images);
  const run = page.locator(`[data-testid="server-run"][data-run="${queued.runId}"]`);
  await expect(run).toBeVisible();

  const runNow = async () =>
    (await api.json<{ runs: ServerRun[] }>('GET', `/api/projects/${pid}/preannotate`)).body.runs.find((r) => r.id === queued.runId)!;
  // the second worker is killed while it holds an image, after a few are done
  await expect
    .poll(
      async () => {
        const r = await runNow();
        return r.done >= 5 && r.now.some((n) => n.worker === names[1]);
      },
      { timeout: 300_000, intervals: [100] },
    )
    .toBe(true);
  const held = (await runNow()).now.find((n) => n.worker === names[1])!.imageId;
  killGroup(workers[1]!, 'SIGKILL');
  // the app shows the progress and an ETA while it goes on
  await expect(run).toContainText(/ETA|done in/);

  await expect.poll(async () => (await runNow()).state, { timeout: 420_000, intervals: [1000] }).toBe('done');
  const done = await runNow();
  expect(done).toMatchObject({ images, done: images, failed: 0, running: 0, queued: 0 });
  expect(done.retried).toBeGreaterThanOrEqual(1);
  await expect(run).toHaveAttribute('data-state', 'done');

  // every box became one proposal; the change log holds each once
  const after = await records();
  expect(after.filter((r) => r.coll === 'pendingBoxes')).toEqual([]);
  const proposals = after.filter((r) => r.coll === 'annotations').map((r) => r.data as Annotation);
  expect(proposals.length).toBe(done.masks);
  const key = (imageId: number, b: readonly number[]) => `${imageId}:${b.map((v) => v.toFixed(1)).join(',')}`;
  const fromBox = proposals.map((p) =>
    key(p.imageId, [p.prompts.box!.x0, p.prompts.box!.y0, p.prompts.box!.x1 - p.prompts.box!.x0, p.prompts.box!.y1 - p.prompts.box!.y0]),
  );
  expect(new Set(fromBox).size).toBe(proposals.length);
  // (a box whose mask came out empty is consumed without a proposal)
  const boxKeys = new Set(boxes.map((b) => key(b.imageId, b.bbox)));
  expect(fromBox.every((k) => boxKeys.has(k))).toBe(true);
  expect(proposals.length).toBeGreaterThan(boxes.length * 0.95);
  // the image the killed worker held was done by another
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const items = await c.query('select image_id, state, attempts, worker from preannotate_items where run_id = $1 order by image_id', [
      queued.runId,
    ]);
    expect(items.rows.every((r) => r.state === 'done')).toBe(true);
    const heldRow = items.rows.find((r) => r.image_id === held)!;
    expect(heldRow.attempts).toBeGreaterThanOrEqual(2);
    expect(heldRow.worker).not.toBe(names[1]);
    const log = await c.query(
      "select id, count(*)::int as n from changes where project_id = $1 and coll = 'annotations' group by id having count(*) > 1",
      [pid],
    );
    expect(log.rows).toEqual([]);
  } finally {
    await c.end();
  }

  // the proposals reach the app like anyone's changes
  await server(page).sync();
  await expect
    .poll(() => page.evaluate(() => window.annotator.getProject().annotations.filter((a) => a.review === 'pending').length))
    .toBe(proposals.length);

  // the others stop when asked, finishing what they hold
  for (const w of [workers[0]!, workers[2]!]) killGroup(w, 'SIGTERM');
  await ctx.close();
});
