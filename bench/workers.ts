/**
 * Throughput of the pre-annotation workers (`npm run bench:workers`): the shared COCO val2017-tiny
 * set's boxes pre-annotated (mode `box`) by 1, 2 and 3 `dist-cli/server.mjs worker` processes on a
 * throwaway PostgreSQL cluster, a fresh project each time. The clock runs from the first image taken
 * to the run's end (model loading excluded: the workers are up before the run is queued). Prints
 * images/s, masks/s, masks/s per worker and the ratio to one worker measured in the same run.
 *
 *   node dist-cli/bench-workers.mjs [--workers 1,2,3] [--threads 1] [--reps 1] [--images 50]
 *
 * `--threads`: onnxruntime threads per worker (default 1: on a machine with few cores, N workers of
 * one thread each share them without oversubscribing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import type { ServerRun } from '../src/core/sync/protocol.ts';
import { findPgBin, startPgCluster } from '../src/node/pgCluster.ts';
import { seedBoxProject, startTestServer, TestClient } from '../src/server/testkit.ts';
import { repoRoot } from './server.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const COUNTS = arg('workers', '1,2,3').split(',').map(Number);
const THREADS = Number(arg('threads', '1'));
const REPS = Number(arg('reps', '1'));
const IMAGES = Number(arg('images', '50'));
const ROOT = repoRoot();
const COCO_DIR = resolve(ROOT, '../shared/datasets/coco-val2017-tiny');

function startWorker(url: string, dataDir: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['dist-cli/server.mjs', 'worker', '--data', dataDir, '--threads', String(THREADS)], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('waiting for work')) res();
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => rej(new Error(`worker exited (${code}): ${out}`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

async function main(): Promise<void> {
  if (!findPgBin().dir)
    throw new Error('bench:workers needs the PostgreSQL server programs (node scripts/check-postgres.mjs installs them).');
  const cluster = await startPgCluster();
  const coco = JSON.parse(readFileSync(resolve(COCO_DIR, 'instances_val2017.json'), 'utf8'));
  coco.images = coco.images.slice(0, IMAGES);
  const keep = new Set(coco.images.map((im: { id: number }) => im.id));
  coco.annotations = coco.annotations.filter((a: { image_id: number }) => keep.has(a.image_id));
  const rows: { workers: number; s: number[]; masks: number; images: number }[] = [];
  try {
    for (const n of COUNTS) {
      const row = { workers: n, s: [] as number[], masks: 0, images: 0 };
      for (let rep = 0; rep < REPS; rep++) {
        const server = await startTestServer(cluster.url, { workers: 'external' }, { queue: true });
        const url = (server.opened as unknown as { queue: { connectionString: string } }).queue.connectionString;
        const procs: ChildProcess[] = [];
        try {
          await server.service.createUser('admin', 'admin-password', true);
          const admin = TestClient.inProcess(server);
          await admin.login('admin', 'admin-password');
          const pid = (await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'bench' })).body.project.id;
          await seedBoxProject(admin, pid, coco, resolve(COCO_DIR, 'images'));
          const started = Array.from({ length: n }, () => startWorker(url, server.dataDir));
          procs.push(...started.map((w) => w.child));
          await Promise.all(started.map((w) => w.ready));
          const q = await admin.json<{ runId: number; images: number }>('POST', `/api/projects/${pid}/preannotate`, { mode: 'box' });
          if (q.status !== 201) throw new Error(`queue: ${JSON.stringify(q.body)}`);
          let run: ServerRun;
          for (;;) {
            run = (await admin.json<{ runs: ServerRun[] }>('GET', `/api/projects/${pid}/preannotate`)).body.runs[0]!;
            if (run.state !== 'running') break;
            await new Promise((r) => setTimeout(r, 200));
          }
          if (run.done !== run.images) throw new Error(`run ended with ${run.done}/${run.images} done: ${JSON.stringify(run.errors)}`);
          row.s.push(run.elapsedS!);
          row.masks = run.masks;
          row.images = run.images;
          process.stderr.write(
            `${n} worker(s), rep ${rep + 1}: ${run.images} images, ${run.masks} masks in ${run.elapsedS!.toFixed(1)} s\n`,
          );
        } finally {
          for (const p of procs) p.kill('SIGKILL');
          await server.close();
        }
      }
      rows.push(row);
    }
  } finally {
    await cluster.stop();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const base = rows[0]!;
  const baseRate = base.masks / median(base.s);
  process.stdout.write(
    `\nPre-annotation workers, mode box, COCO val2017-tiny (${base.images} images), ${THREADS} onnxruntime thread(s) per worker, ${cpus().length} cores, median of ${REPS}\n`,
  );
  process.stdout.write('| workers | seconds | images/s | masks/s | masks/s per worker | vs 1 worker |\n|---:|---:|---:|---:|---:|---:|\n');
  for (const r of rows) {
    const s = median(r.s);
    const rate = r.masks / s;
    process.stdout.write(
      `| ${r.workers} | ${s.toFixed(1)} | ${(r.images / s).toFixed(2)} | ${rate.toFixed(2)} | ${(rate / r.workers).toFixed(2)} | ${(rate / baseRate).toFixed(2)}x |\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
