/**
 * Load on the project server (`npm run bench:server`): N simulated annotators on loopback, each
 * pushing M annotations in realistic batches (mostly one accept at a time, sometimes a batch after a
 * while offline) and pulling the others' changes after each push. Run against the embedded PGlite
 * and against a throwaway PostgreSQL cluster, the server in its own process (`dist-cli/server.mjs`).
 * Prints push latency (p50/p95), throughput, the server's peak memory (RSS), and checks that the
 * server holds every annotation once.
 *
 *   node dist-cli/bench-server.mjs [--annotators 20] [--each 1000] [--db pglite,postgres]
 *
 * With `--large 100000` it measures instead a project of that many images (3 masks each) imported on
 * the server from a generated COCO file, and its exports: COCO streamed for all of it, mask PNGs and
 * YOLO for a project a tenth of its size (`--large-zip`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rleFromMask } from '../src/core/mask/rle.ts';
import type { Annotation } from '../src/core/project/types.ts';
import type { ChangesResponse, PushResponse, SyncOp } from '../src/core/sync/protocol.ts';
import { findPgBin, startPgCluster } from '../src/node/pgCluster.ts';
import { TestClient } from '../src/server/testkit.ts';
import { writeScaleCoco } from './scaleFixture.ts';
import { repoRoot } from './server.ts';
import { print, summarize } from './stats.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const ANNOTATORS = Number(arg('annotators', '20'));
const EACH = Number(arg('each', '1000'));
const DBS = arg('db', 'pglite,postgres').split(',');
const PORT = Number(process.env.BENCH_PORT ?? 4196);
const LARGE = Number(arg('large', '0'));
const LARGE_ZIP = Number(arg('large-zip', String(Math.max(1, Math.round(LARGE / 10)))));
/** batch sizes drawn in turn: mostly one accept per push; now and then what piled up while offline */
const BATCHES = [1, 1, 1, 1, 2, 1, 3, 1, 1, 25];

/** A few realistic masks (ellipses on a 640x480 image) as COCO RLE. */
function masks(): Annotation['segmentation'][] {
  const out = [];
  for (let k = 0; k < 8; k++) {
    const w = 640;
    const h = 480;
    const m = new Uint8Array(w * h);
    const cx = 100 + k * 60;
    const cy = 120 + k * 30;
    const rx = 40 + k * 9;
    const ry = 30 + k * 7;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) m[y * w + x] = 1;
    out.push(rleFromMask(m, w, h));
  }
  return out;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function startServer(dataDir: string, env: Record<string, string>): Promise<ChildProcess> {
  // BENCH_SERVER_NODE_ARGS: options for the server's node, such as --cpu-prof to see where its time goes
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, 'dist-cli/server.mjs', '--port', String(PORT), '--data', dataDir], {
    cwd: repoRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Project server on')) res();
    });
    child.once('exit', (c) => rej(new Error(`the server exited (${c})`)));
  });
  process.once('exit', () => child.kill('SIGKILL'));
  return child;
}

/** Imports a generated project of `images` images on the server and times its exports. */
async function large(
  admin: TestClient,
  db: string,
  images: number,
  kinds: ('coco' | 'masks' | 'yolo')[],
  rss: () => number,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sam-bench-large-'));
  try {
    const fx = writeScaleCoco(join(dir, 'large.json'), images, 3, { fileName: 'real.jpg', width: 640, height: 480 });
    const pid = (await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: `large ${images}` })).body.project.id;
    const t0 = performance.now();
    const imp = await admin.raw('POST', `/api/projects/${pid}/import/coco`, readFileSync(fx.path), { 'content-type': 'application/json' });
    if (imp.status !== 200) throw new Error(`import ${imp.status}: ${(await imp.text()).slice(0, 300)}`);
    await imp.json();
    print(summarize(`large_import_s_${db}_${images}`, 's', [(performance.now() - t0) / 1000]));
    print(summarize(`large_import_file_mb_${db}_${images}`, 'MB', [fx.bytes / 1048576]));
    for (const kind of kinds) {
      const t = performance.now();
      const res = await admin.raw('GET', `/api/projects/${pid}/export/${kind}`);
      let bytes = 0;
      let first = 0;
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!first) first = performance.now() - t;
        bytes += value.length;
      }
      print(summarize(`large_export_${kind}_s_${db}_${images}`, 's', [(performance.now() - t) / 1000]));
      print(summarize(`large_export_${kind}_first_byte_s_${db}_${images}`, 's', [first / 1000]));
      print(summarize(`large_export_${kind}_mb_${db}_${images}`, 'MB', [bytes / 1048576]));
    }
    print(summarize(`large_server_peak_rss_mb_${db}_${images}`, 'MB', [rss()]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `/api/health` latencies (ms) while `work` runs: the server answering others while one request is handled. */
async function healthDuring(base: string, work: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  let done = false;
  const poll = (async () => {
    while (!done) {
      const t = performance.now();
      await fetch(`${base}/api/health`).then((r) => r.arrayBuffer());
      out.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await poll;
  }
  return out;
}

/**
 * The server's responsiveness while one request is large or hostile: `/api/health` p95 while a body
 * nested millions of levels deep (29 MB) is refused, and while a legitimate push of 2,000 detailed masks
 * (~20 MB) is taken.
 */
async function hostile(admin: TestClient, base: string, pid: number, db: string): Promise<number> {
  const n = Number(process.env.DEEP_LEVELS ?? 14_500_000);
  const deep = `{"clientId":"h","ops":[${'['.repeat(n)}${']'.repeat(n)}]}`;
  const last: { status: number; took: number } = { status: 0, took: 0 };
  const quiet = await healthDuring(base, () => new Promise((r) => setTimeout(r, 1000)));
  print(summarize(`health_ms_idle_${db}`, 'ms', quiet));
  const during = await healthDuring(base, async () => {
    const t = performance.now();
    last.status = (await admin.raw('POST', `/api/projects/${pid}/push`, deep, { 'content-type': 'application/json' })).status;
    last.took = performance.now() - t;
  });
  if (last.status !== 400) throw new Error(`the deeply nested body got ${last.status}, not 400`);
  print(summarize(`hostile_deep_body_refused_ms_${db}`, 'ms', [last.took]));
  print(summarize(`health_ms_during_deep_body_${db}`, 'ms', during));
  // a detailed mask: horizontal bands 40 px high, so each column has a dozen runs
  const w = 640;
  const h = 480;
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (Math.floor((y + (x % 37)) / 20) % 2) m[y * w + x] = 1;
  const seg = rleFromMask(m, w, h);
  const first = (await admin.json<{ first: number }>('POST', `/api/projects/${pid}/ids`, { coll: 'annotations', count: 2000 })).body.first;
  const ops: SyncOp[] = Array.from({ length: 2000 }, (_, k) => ({
    opId: `big:${k}`,
    coll: 'annotations',
    id: first + k,
    baseRev: null,
    data: {
      id: first + k,
      imageId: 1,
      categoryId: 1,
      segmentation: seg,
      area: 1,
      bbox: [0, 0, w, h],
      score: null,
      prompts: { points: [], box: null },
      source: 'bench',
      createdAt: 1,
    } as Annotation,
  }));
  const body = JSON.stringify({ clientId: 'big', ops });
  const big = await healthDuring(base, async () => {
    const t = performance.now();
    last.status = (await admin.raw('POST', `/api/projects/${pid}/push`, body, { 'content-type': 'application/json' })).status;
    last.took = performance.now() - t;
  });
  if ((last.status as number) !== 200) throw new Error(`the large push got ${last.status}`);
  print(summarize(`large_push_mb_${db}`, 'MB', [body.length / 1048576]));
  print(summarize(`large_push_ms_${db}`, 'ms', [last.took]));
  print(summarize(`health_ms_during_large_push_${db}`, 'ms', big));
  return ops.length;
}

async function run(db: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sam-bench-server-'));
  let cluster: Awaited<ReturnType<typeof startPgCluster>> | null = null;
  const env: Record<string, string> = {};
  if (db === 'postgres') {
    cluster = await startPgCluster();
    env.DATABASE_URL = cluster.url;
  }
  // the first admin, as a new user makes it
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, ['dist-cli/server.mjs', 'create-admin', '--username', 'admin', '--data', dataDir], {
    cwd: repoRoot(),
    env: { ...process.env, ...env, SAM_PASSWORD: 'admin-password' },
  });
  const server = await startServer(dataDir, env);
  const base = `http://127.0.0.1:${PORT}`;
  try {
    const admin = TestClient.http(base);
    await admin.login('admin', 'admin-password');
    if (LARGE > 0) {
      let peak = rssOf(server.pid!);
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.pid!))), 200);
      try {
        await large(admin, db, LARGE, ['coco'], () => peak);
        await large(admin, db, LARGE_ZIP, ['masks', 'yolo'], () => peak);
      } finally {
        clearInterval(sampler);
      }
      return;
    }
    const pid = (await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'load' })).body.project.id;
    await admin.json('POST', `/api/projects/${pid}/push`, {
      clientId: 'admin',
      ops: [
        { opId: 'c1', coll: 'categories', id: 1, baseRev: null, data: { id: 1, name: 'object', color: '#336699' } },
        ...Array.from({ length: ANNOTATORS }, (_, i) => ({
          opId: `i${i + 1}`,
          coll: 'images',
          id: i + 1,
          baseRev: null,
          data: { id: i + 1, fileName: `img${i + 1}.jpg`, width: 640, height: 480 },
        })),
      ],
    });
    const before = await hostile(admin, base, pid, db);
    const clients: TestClient[] = [];
    for (let i = 0; i < ANNOTATORS; i++) {
      const name = `annotator${i + 1}`;
      await admin.json('POST', '/api/users', { username: name, password: 'long-enough-password' });
      await admin.json('PUT', `/api/projects/${pid}/members`, { username: name, role: 'annotator' });
      const c = TestClient.http(base);
      await c.login(name, 'long-enough-password');
      clients.push(c);
    }
    const rles = masks();
    const pushMs: number[] = [];
    const pullMs: number[] = [];
    let peakRss = rssOf(server.pid!);
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(server.pid!))), 200);
    const t0 = performance.now();
    let seconds = 0;
    const underLoad = await healthDuring(base, () => load().then(() => (seconds = (performance.now() - t0) / 1000)));
    async function load() {
      await Promise.all(
        clients.map(async (c, i) => {
          const first = (await c.json<{ first: number }>('POST', `/api/projects/${pid}/ids`, { coll: 'annotations', count: EACH })).body
            .first;
          let cursor = 0;
          let made = 0;
          let op = 0;
          for (let b = 0; made < EACH; b++) {
            const n = Math.min(BATCHES[(b + i) % BATCHES.length]!, EACH - made);
            const ops: SyncOp[] = [];
            for (let k = 0; k < n; k++, made++) {
              const id = first + made;
              const seg = rles[(id + k) % rles.length]!;
              ops.push({
                opId: `a${i}:${++op}`,
                coll: 'annotations',
                id,
                baseRev: cursor,
                data: {
                  id,
                  imageId: i + 1,
                  categoryId: 1,
                  segmentation: seg,
                  area: 1000,
                  bbox: [0, 0, 10, 10],
                  score: 0.9,
                  prompts: { points: [{ x: 5, y: 5, positive: true }], box: null },
                  source: 'sam',
                  timeMs: 4000,
                  clicks: 2,
                  createdAt: Date.now(),
                },
              });
            }
            const s = performance.now();
            const r = await c.json<PushResponse>('POST', `/api/projects/${pid}/push`, { clientId: `client${i}`, ops });
            pushMs.push(performance.now() - s);
            if (r.status !== 200) throw new Error(`push ${r.status}: ${JSON.stringify(r.body)}`);
            for (;;) {
              const s2 = performance.now();
              const p = await c.json<ChangesResponse>('GET', `/api/projects/${pid}/changes?since=${cursor}`);
              pullMs.push(performance.now() - s2);
              cursor = p.body.seq;
              if (!p.body.more) break;
            }
          }
        }),
      );
    }
    clearInterval(sampler);
    const total = ANNOTATORS * EACH + before;
    const ex = await admin.raw('GET', `/api/projects/${pid}/export/coco`);
    const coco = (await ex.json()) as { annotations: { id: number }[] };
    const unique = new Set(coco.annotations.map((a) => a.id)).size;
    print(summarize(`push_ms_${db}`, 'ms', pushMs));
    print(summarize(`pull_ms_${db}`, 'ms', pullMs));
    print(summarize(`health_ms_under_load_${db}`, 'ms', underLoad));
    print(summarize(`throughput_annotations_per_s_${db}`, '1/s', [total / seconds]));
    print(summarize(`pushes_per_s_${db}`, '1/s', [pushMs.length / seconds]));
    print(summarize(`server_peak_rss_mb_${db}`, 'MB', [peakRss]));
    print(summarize(`server_holds_${db}`, 'annotations', [unique]));
    if (unique !== total || coco.annotations.length !== total)
      throw new Error(`the server holds ${coco.annotations.length} annotations (${unique} ids), not ${total}`);
  } finally {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
    cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const db of DBS) {
  if (db === 'postgres' && !findPgBin().dir) {
    console.warn(`Skipping PostgreSQL: ${findPgBin().why}`);
    continue;
  }
  await run(db);
}
