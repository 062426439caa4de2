/**
 * Video propagation as a queued job per track on the server's workers, with the real model on real DAVIS frames,
 * on PGlite and on a throwaway PostgreSQL cluster: the masks a worker lands are the ones `npm run track` computes
 * (exactly: the same step, decoder and RLE), a run a vanished worker held goes on elsewhere, a person's keyframe is
 * never overwritten (planned, or made meanwhile), and who may queue or cancel what, with every refusal's status.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { labelMapFromPng } from '../core/image/png.ts';
import { rleFromMask } from '../core/mask/rle.ts';
import type { Annotation, ImageRecord } from '../core/project/types.ts';
import { maskAreaAndBbox } from '../core/sam/postprocess.ts';
import { EMPTY_PROMPTS } from '../core/sam/prompts.ts';
import type { RecordsResponse, ServerTrackRun } from '../core/sync/protocol.ts';
import { readRgbaImage } from '../node/image.ts';
import { findPgBin, startPgCluster, type PgCluster } from '../node/pgCluster.ts';
import { nodeManifest, NodeSam } from '../node/sam-node.ts';
import { nodeTrackStep } from '../node/track-node.ts';
import { NodeSam2Video } from '../node/sam2-video-node.ts';
import { tinySam2VideoDir } from '../node/sam2VideoModels.ts';
import { FileStore } from './files.ts';
import { liveRecords } from './preannotate/spec.ts';
import { startTestServer, TestClient, testDatabases, type TestServer } from './testkit.ts';
import { landTrackFrame, startTrackRun, sweepStalledTracks, trackHeartbeat } from './tracks/runs.ts';
import { TRACK_QUEUE, type TrackJobData } from './tracks/spec.ts';
import { listTrackRuns } from './tracks/status.ts';
import { startWorkers, storeSource } from './worker.ts';
import { TrackWorker } from './workerTrack.ts';

const DOG = fileURLToPath(new URL('../../../shared/datasets/davis2016-dev/dog/', import.meta.url));
const FRAMES = 4;
const names = Array.from({ length: FRAMES }, (_, i) => `${String(i).padStart(5, '0')}`);
const size = (() => {
  const im = readRgbaImage(`${DOG}frames/${names[0]}.jpg`);
  return { width: im.width, height: im.height };
})();
/** DAVIS's ground truth of frame i (0/255: one object) */
const gt = (i: number) => Uint8Array.from(labelMapFromPng(readFileSync(`${DOG}masks/${names[i]}.png`)).labels, (v) => (v ? 1 : 0));

const pgBin = findPgBin();
let cluster: PgCluster | null = null;
let sam: NodeSam;
/** `npm run track`'s masks for frames 1.. from the ground truth's mask on frame 0, by frame */
const reference = new Map<number, Pick<Annotation, 'segmentation' | 'area' | 'bbox' | 'score' | 'prompts' | 'flag'>>();
beforeAll(async () => {
  // the model as `npm run track` and the workers' propagation load it: with its candidates
  sam = await NodeSam.load(nodeManifest(), { candidates: true });
  const t0 = performance.now();
  // what `trackFrames` (src/cli/track.ts, a layer the server's code may not import) does for one object without
  // --stop-on-flag: each frame read from its file, encoded, the step from the previous mask, until lost
  let previous: Uint8Array = gt(0);
  for (let f = 1; f < FRAMES; f++) {
    const r = await nodeTrackStep(sam, await sam.embed(readRgbaImage(`${DOG}frames/${names[f]}.jpg`)), size, previous);
    const { area, bbox } = maskAreaAndBbox(r.mask, size.width, size.height);
    const seg = rleFromMask(r.mask, size.width, size.height);
    reference.set(f, { segmentation: seg, area, bbox, score: r.score, prompts: r.prompts, ...(r.flag ? { flag: r.flag } : {}) });
    if (r.flag === 'lost') break;
    previous = r.mask;
  }
  expect(reference.size).toBe(FRAMES - 1);
  process.stdout.write(`reference (npm run track's step): ${FRAMES - 1} frames in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (pgBin.dir) cluster = await startPgCluster();
}, 180_000);
afterAll(() => cluster?.stop());

const DATABASES = testDatabases(() => cluster, !!pgBin.dir);

describe.each(DATABASES)('propagation runs on the workers, on $name', ({ url, skip }) => {
  let server: TestServer;
  let admin: TestClient;
  let pid: number;
  let workers: TrackWorker[] = [];

  beforeEach(async (ctx) => {
    if (skip) return ctx.skip();
    server = await startTestServer(url(), { workers: 'external' }, { queue: true });
    await server.service.createUser('admin', 'admin-password', true);
    for (const u of ['anna', 'bob', 'rita', 'zed']) await server.service.createUser(u, `${u}-password-9`, false);
    admin = TestClient.inProcess(server);
    await admin.login('admin', 'admin-password');
    pid = (await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'dog' })).body.project.id;
    for (const [u, role] of [
      ['anna', 'annotator'],
      ['bob', 'annotator'],
      ['rita', 'reviewer'],
    ])
      expect((await admin.json('PUT', `/api/projects/${pid}/members`, { username: u, role })).status).toBe(200);
  }, 60_000);
  afterEach(async () => {
    for (const w of workers) await w.stop();
    workers = [];
    if (!skip) await server?.close();
  });

  const as = async (name: string) => {
    const c = TestClient.inProcess(server);
    expect(await c.login(name, `${name}-password-9`)).toBe(200);
    return c;
  };
  const ids = async (coll: string, count: number) =>
    (await admin.json<{ first: number }>('POST', `/api/projects/${pid}/ids`, { coll, count })).body.first;
  const push = async (client: TestClient, ops: { coll: string; id: number; data: unknown; baseRev?: number | null }[]) => {
    const r = await client.json('POST', `/api/projects/${pid}/push`, {
      clientId: `test-${Math.random()}`,
      ops: ops.map((o) => ({ opId: `op-${Math.random()}`, baseRev: null, ...o })),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };
  const keyframe = (id: number, imageId: number, categoryId: number, trackId: number, mask: Uint8Array): Annotation => ({
    id,
    imageId,
    categoryId,
    segmentation: rleFromMask(mask, size.width, size.height),
    ...maskAreaAndBbox(mask, size.width, size.height),
    score: null,
    prompts: EMPTY_PROMPTS,
    source: 'click',
    createdAt: Date.now(),
    trackId,
    track: 'key',
  });

  /** The clip's frames as a team puts them on the server (files uploaded, records pushed), a plain image, and keyframes of one track. */
  async function seedClip(keys: number[]): Promise<{ frames: number[]; plain: number; trackId: number; categoryId: number }> {
    const first = await ids('images', FRAMES + 1);
    const ops: { coll: string; id: number; data: unknown }[] = [];
    for (let i = 0; i < FRAMES; i++) {
      const bytes = readFileSync(`${DOG}frames/${names[i]}.jpg`);
      const sha = createHash('sha256').update(bytes).digest('hex');
      expect((await admin.raw('PUT', `/api/projects/${pid}/files/${sha}`, bytes, { 'content-type': 'image/jpeg' })).status).toBeLessThan(
        300,
      );
      const data: ImageRecord = {
        id: first + i,
        fileName: `dog/${names[i]}.jpg`,
        ...size,
        sha256: sha,
        video: { id: 1, name: 'dog', frame: i, fps: 24 },
      };
      ops.push({ coll: 'images', id: first + i, data });
    }
    const plain = first + FRAMES;
    ops.push({ coll: 'images', id: plain, data: { id: plain, fileName: 'still.jpg', ...size } });
    const categoryId = await ids('categories', 1);
    ops.push({ coll: 'categories', id: categoryId, data: { id: categoryId, name: 'dog', color: '#ff0000' } });
    const a0 = await ids('annotations', keys.length);
    keys.forEach((k, j) => ops.push({ coll: 'annotations', id: a0 + j, data: keyframe(a0 + j, first + k, categoryId, a0, gt(k)) }));
    await push(admin, ops);
    return { frames: Array.from({ length: FRAMES }, (_, i) => first + i), plain, trackId: a0, categoryId };
  }

  async function trackMasks(trackId: number): Promise<{ data: Annotation; rev: number }[]> {
    const r = await admin.json<RecordsResponse>('GET', `/api/projects/${pid}/records`);
    return r.body.records
      .filter((x) => x.coll === 'annotations' && (x.data as Annotation).trackId === trackId)
      .map((x) => ({ data: x.data as Annotation, rev: x.rev }));
  }
  async function waitForRun(runId: number, timeoutMs = 120_000): Promise<ServerTrackRun> {
    const t0 = Date.now();
    for (;;) {
      const run = (await listTrackRuns(server.service.db, pid, runId))[0]!;
      if (run.state !== 'queued' && run.state !== 'running') return run;
      if (Date.now() - t0 > timeoutMs) throw new Error(`run ${runId} still going: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  function worker(name: string, model: NodeSam | NodeSam2Video = sam): TrackWorker {
    const w = new TrackWorker(
      server.service,
      server.queue!,
      storeSource(new FileStore(server.dataDir)),
      () => Promise.resolve(model),
      name,
    );
    workers.push(w);
    return w;
  }
  const propagate = (client: TestClient, body: Record<string, unknown>) =>
    client.json<{ runId: number; frames: number; run: ServerTrackRun; error: string; hint?: string }>(
      'POST',
      `/api/projects/${pid}/tracks/propagate`,
      body,
    );

  it("lands each frame's mask exactly as npm run track computes it, going on from a run whose worker vanished", async () => {
    const clip = await seedClip([0]);
    const spec = { trackId: clip.trackId, fromImageId: clip.frames[0], direction: 1, until: 'end', stopOnFlag: false, stallSeconds: 30 };
    const q = await propagate(admin, spec);
    expect(q.status, JSON.stringify(q.body)).toBe(201);
    expect(q.body).toMatchObject({ frames: FRAMES - 1, run: { state: 'queued', total: FRAMES - 1, done: 0 } });
    // one run of a track at a time
    const again = await propagate(admin, spec);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/being propagated already/);

    // a worker takes the run and dies without a word; the sweep sees its silence and queues the run again
    const [job] = await server.queue!.fetch<TrackJobData>(TRACK_QUEUE, { batchSize: 1 });
    const ghost = (await startTrackRun(server.service.db, q.body.runId, 'ghost', job!.id))!;
    expect(ghost.attempt).toBe(1);
    expect(await sweepStalledTracks(server.service.db, server.queue!)).toBe(0);
    await server.opened.db
      .updateTable('track_runs')
      .set({ heartbeat_at: new Date(Date.now() - 60_000) })
      .execute();
    expect(await sweepStalledTracks(server.service.db, server.queue!)).toBe(1);
    expect((await listTrackRuns(server.service.db, pid, q.body.runId))[0]).toMatchObject({
      state: 'queued',
      message: /ghost stopped answering/,
    });

    const t0 = performance.now();
    await worker('w1').start();
    const run = await waitForRun(q.body.runId);
    process.stdout.write(`worker: ${run.done} frames in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    expect(run).toMatchObject({
      state: 'done',
      done: FRAMES - 1,
      total: FRAMES - 1,
      attempts: 2,
      worker: 'w1',
      lastImageId: clip.frames[FRAMES - 1],
    });

    const masks = await trackMasks(clip.trackId);
    expect(masks).toHaveLength(FRAMES);
    for (let i = 1; i < FRAMES; i++) {
      const a = masks.find((m) => m.data.imageId === clip.frames[i])!.data;
      const ref = reference.get(i)!;
      expect(a.segmentation, `frame ${i}`).toEqual(ref.segmentation);
      expect(a).toMatchObject({
        track: 'propagated',
        source: 'propagate',
        model: sam.modelId,
        categoryId: clip.categoryId,
        area: ref.area,
        bbox: ref.bbox,
      });
      expect(a.flag).toBe(ref.flag);
      expect(a.score).toBeCloseTo(ref.score!, 6);
      expect(a.prompts).toEqual(ref.prompts);
    }
    expect(run.flagged).toBe([...reference.values()].filter((a) => a.flag).length);

    // the vanished worker comes back with a frame: its try is over, so nothing lands
    const ref1 = reference.get(1)!;
    const late = await landTrackFrame(
      server.service,
      ghost,
      {
        imageId: clip.frames[1]!,
        frame: 1,
        segmentation: ref1.segmentation,
        area: 1,
        bbox: [0, 0, 1, 1],
        score: 0.5,
        prompts: EMPTY_PROMPTS,
        flag: null,
      },
      { categoryId: clip.categoryId, model: 'ghost' },
    );
    expect(late).toEqual({ landed: false, why: 'taken' });
    expect((await trackMasks(clip.trackId)).map((m) => m.rev)).toEqual(masks.map((m) => m.rev));
  }, 240_000);

  it('stops a next-key run before the keyframe on frame 2 and never overwrites it; a second run replaces its own mask', async () => {
    const clip = await seedClip([0, 2]);
    const before = (await trackMasks(clip.trackId)).find((m) => m.data.imageId === clip.frames[2])!;
    const spec = { trackId: clip.trackId, fromImageId: clip.frames[0], direction: 1, until: 'next-key' };
    const q = await propagate(admin, spec);
    expect(q.status, JSON.stringify(q.body)).toBe(201);
    expect(q.body.frames).toBe(1);
    await worker('w1').start();
    const run = await waitForRun(q.body.runId);
    expect(run).toMatchObject({ state: 'done', done: 1, total: 1 });
    let masks = await trackMasks(clip.trackId);
    expect(masks.map((m) => m.data.imageId).sort()).toEqual([clip.frames[0], clip.frames[1], clip.frames[2]]);
    expect(masks.find((m) => m.data.imageId === clip.frames[2])).toEqual(before);
    const first = masks.find((m) => m.data.imageId === clip.frames[1])!;
    expect(first.data.segmentation).toEqual(reference.get(1)!.segmentation);

    // again: the machine-made mask on frame 1 is replaced (same record), the keyframe still untouched
    const q2 = await propagate(admin, spec);
    expect(q2.status, JSON.stringify(q2.body)).toBe(201);
    expect(await waitForRun(q2.body.runId)).toMatchObject({ state: 'done', done: 1 });
    masks = await trackMasks(clip.trackId);
    expect(masks).toHaveLength(3);
    const second = masks.find((m) => m.data.imageId === clip.frames[1])!;
    expect(second.data.id).toBe(first.data.id);
    expect(second.rev).toBeGreaterThan(first.rev);
    expect(masks.find((m) => m.data.imageId === clip.frames[2])).toEqual(before);
  }, 240_000);

  it("follows a track with SAM 2's memory (--sam2-video): the start mask and the keyframe on the way as conditioning frames, the masks NodeSam2Video's", async () => {
    const graphs = tinySam2VideoDir({ objectScore: true, objPtrOffsets: true });
    try {
      const video = await NodeSam2Video.fromDir(graphs.dir);
      // what `npm run track --sam2-video` does with the same frames: frames 0 and 2 the person's masks, 1 and 3 from the memory
      const encode = (i: number) => video.encodeFrame(readRgbaImage(`${DOG}frames/${names[i]}.jpg`));
      const bank = NodeSam2Video.track(FRAMES, 1);
      await video.addMask(bank, 0, await encode(0), gt(0));
      const m1 = await video.propagate(bank, 1, await encode(1));
      await video.addMask(bank, 2, await encode(2), gt(2));
      const m3 = await video.propagate(bank, 3, await encode(3));
      expect(m1.memoryFrames).toEqual([0]);
      expect([...m3.memoryFrames].sort()).toEqual([0, 1, 2]);

      const clip = await seedClip([0, 2]);
      const spec = { trackId: clip.trackId, fromImageId: clip.frames[0], direction: 1, until: 'end', stopOnFlag: false };
      const q = await propagate(admin, spec);
      expect(q.status, JSON.stringify(q.body)).toBe(201);
      expect(q.body.frames).toBe(2);
      await worker('memory', video).start();
      const run = await waitForRun(q.body.runId);
      expect(run).toMatchObject({ state: 'done', done: 2, total: 2 });
      const masks = await trackMasks(clip.trackId);
      expect(masks).toHaveLength(FRAMES);
      for (const [i, ref] of [
        [1, m1],
        [3, m3],
      ] as const) {
        const a = masks.find((m) => m.data.imageId === clip.frames[i])!.data;
        expect(a.segmentation, `frame ${i}`).toEqual(rleFromMask(ref.mask, size.width, size.height));
        expect(a).toMatchObject({ track: 'propagated', source: 'propagate', model: video.modelId, prompts: EMPTY_PROMPTS });
        expect(a.score).toBeCloseTo(1 / (1 + Math.exp(-ref.objectScore!)), 6);
        expect(a.flag).toBe(ref.flag ?? undefined);
      }
      expect(video.modelId).toBe(`sam2-video:${graphs.dir.split('/').pop()}`);
      // the generated graphs' memory is the stored masks on the 64 x 64 grid (16 px of the 1024 square): the
      // propagated mask is the start mask on that grid, close to it
      let inter = 0;
      let union = 0;
      const g0 = gt(0);
      for (let k = 0; k < g0.length; k++) {
        inter += m1.mask[k]! & g0[k]!;
        union += m1.mask[k]! | g0[k]!;
      }
      expect(inter / union).toBeGreaterThan(0.8);
      // and the keyframe on frame 2 counts: without it in the memory, frame 3's mask is another
      const without = NodeSam2Video.track(FRAMES, 1);
      await video.addMask(without, 0, await encode(0), gt(0));
      for (const i of [1, 2]) await video.propagate(without, i, await encode(i));
      const other = await video.propagate(without, 3, await encode(3));
      expect(rleFromMask(other.mask, size.width, size.height)).not.toEqual(rleFromMask(m3.mask, size.width, size.height));

      // the start frame's file gone from its record (the memory encodes it): the run fails at once, saying so
      const recs = (await admin.json<RecordsResponse>('GET', `/api/projects/${pid}/records`)).body.records;
      const start = recs.find((r) => r.coll === 'images' && r.id === clip.frames[0])!;
      const { sha256: _gone, ...noFile } = start.data as ImageRecord;
      await push(admin, [{ coll: 'images', id: start.id, data: noFile, baseRev: start.rev }]);
      const q2 = await propagate(admin, spec);
      expect(q2.status, JSON.stringify(q2.body)).toBe(201);
      expect(await waitForRun(q2.body.runId)).toMatchObject({
        state: 'failed',
        attempts: 1,
        message: /00000\.jpg, a keyframe SAM 2's memory starts from, has no file on the server/,
      });

      // a worker given a folder without the graphs is refused as it starts, naming what is missing
      const partial = tinySam2VideoDir({});
      rmSync(join(partial.dir, 'memory_encoder.onnx'));
      await expect(
        startWorkers(
          server.service,
          server.queue!,
          storeSource(new FileStore(server.dataDir)),
          1,
          undefined,
          () => undefined,
          null,
          partial.dir,
        ),
      ).rejects.toThrow(/memory encoder/);
      partial.remove();
    } finally {
      graphs.remove();
    }
  }, 120_000);

  it("refuses a landing of an earlier try while a later one holds the run, and takes heartbeats by the database's clock", async () => {
    const clip = await seedClip([0]);
    const spec = { trackId: clip.trackId, fromImageId: clip.frames[0], direction: 1, until: 'end', stallSeconds: 30 };
    // a stall time shorter than a few of the workers' 5 s heartbeats would take runs from live workers
    const short = await propagate(admin, { ...spec, stallSeconds: 5 });
    expect(short.status, JSON.stringify(short.body)).toBe(400);
    const q = await propagate(admin, spec);
    expect(q.status, JSON.stringify(q.body)).toBe(201);
    const [j1] = await server.queue!.fetch<TrackJobData>(TRACK_QUEUE, { batchSize: 1 });
    const a = (await startTrackRun(server.service.db, q.body.runId, 'a', j1!.id))!;
    // a worker whose clock is ten minutes behind the database's still beats in time: no sweep takes its run
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() - 600_000);
      await trackHeartbeat(server.service.db, a);
    } finally {
      vi.useRealTimers();
    }
    expect(await sweepStalledTracks(server.service.db, server.queue!)).toBe(0);
    // it falls silent; the run is queued again and another worker takes it (the second try)
    await server.opened.db
      .updateTable('track_runs')
      .set({ heartbeat_at: new Date(Date.now() - 60_000) })
      .execute();
    expect(await sweepStalledTracks(server.service.db, server.queue!)).toBe(1);
    const [j2] = await server.queue!.fetch<TrackJobData>(TRACK_QUEUE, { batchSize: 1 });
    const b = (await startTrackRun(server.service.db, q.body.runId, 'b', j2!.id))!;
    expect([a.attempt, b.attempt]).toEqual([1, 2]);
    const frame1 = {
      imageId: clip.frames[1]!,
      frame: 1,
      segmentation: rleFromMask(gt(1), size.width, size.height),
      ...maskAreaAndBbox(gt(1), size.width, size.height),
      score: 0.9,
      prompts: EMPTY_PROMPTS,
      flag: null,
    };
    const meta = { categoryId: clip.categoryId, model: 'test' };
    // the first try's worker comes back while the run is running under the second: nothing lands
    expect(await landTrackFrame(server.service, a, frame1, meta)).toEqual({ landed: false, why: 'taken' });
    expect(await trackMasks(clip.trackId)).toHaveLength(1);
    expect((await listTrackRuns(server.service.db, pid, q.body.runId))[0]).toMatchObject({ state: 'running', done: 0, worker: 'b' });
    // the second try's lands
    expect(await landTrackFrame(server.service, b, frame1, meta)).toMatchObject({ landed: true });
    const masks = await trackMasks(clip.trackId);
    expect(masks).toHaveLength(2);
    expect(masks.find((m) => m.data.imageId === clip.frames[1])!.data).toMatchObject({ track: 'propagated', model: 'test' });
  }, 120_000);

  it('reads the records of more images than one query may name (65,535 parameters: a clip of that many frames)', async () => {
    const clip = await seedClip([0, 3]);
    const many = [...Array.from({ length: 70_000 }, (_, i) => 50_000_000 + i), ...clip.frames];
    const anns = await liveRecords<Annotation>(server.service.db, pid, 'annotations', many);
    expect(anns.map((a) => a.data.imageId).sort((a, b) => a - b)).toEqual([clip.frames[0], clip.frames[3]]);
    expect(await liveRecords<ImageRecord>(server.service.db, pid, 'images', many)).toHaveLength(FRAMES);
  }, 120_000);

  it('a queued run whose job is not on the queue (the server stopped before queueing it, or the job expired) is queued again by the sweep', async () => {
    const clip = await seedClip([0]);
    const spec = { trackId: clip.trackId, fromImageId: clip.frames[0], direction: 1, until: 'end', stallSeconds: 30 };
    const q = await propagate(admin, spec);
    expect(q.status, JSON.stringify(q.body)).toBe(201);
    // a run just queued, its job waiting on the queue: the sweep leaves it
    expect(await sweepStalledTracks(server.service.db, server.queue!)).toBe(0);
    // its job is gone from the queue (expired there, or cancelled) a while after the run was written
    const [row] = await server.opened.db.selectFrom('track_runs').select('job_id').where('id', '=', q.body.runId).execute();
    await server.queue!.cancel(TRACK_QUEUE, row!.job_id!);
    await server.opened.db
      .updateTable('track_runs')
      .set({ created_at: new Date(Date.now() - 300_000) })
      .where('id', '=', q.body.runId)
      .execute();
    // without the sweep the track could never be propagated again (one open run per track)
    expect((await propagate(admin, spec)).status).toBe(409);
    expect(await sweepStalledTracks(server.service.db, server.queue!)).toBe(1);
    const [job] = await server.queue!.fetch<TrackJobData>(TRACK_QUEUE, { batchSize: 1 });
    expect(job!.data.runId).toBe(q.body.runId);
    expect((await listTrackRuns(server.service.db, pid, q.body.runId))[0]).toMatchObject({
      state: 'queued',
      message: /job .* queued again/,
    });
    // the new job is waiting: nothing more to do
    expect(await sweepStalledTracks(server.service.db, server.queue!)).toBe(0);
    // the server stopped between writing a run and queueing it: no job at all
    await server.opened.db.updateTable('track_runs').set({ job_id: null }).where('id', '=', q.body.runId).execute();
    expect(await sweepStalledTracks(server.service.db, server.queue!)).toBe(1);
    const [job2] = await server.queue!.fetch<TrackJobData>(TRACK_QUEUE, { batchSize: 1 });
    expect(job2!.data.runId).toBe(q.body.runId);
    expect(await startTrackRun(server.service.db, q.body.runId, 'w', job2!.id)).toMatchObject({ attempt: 1 });
  }, 120_000);

  it('answers who may queue and cancel, refuses what cannot run with its reason, and lets a keyframe made meanwhile win', async () => {
    const clip = await seedClip([0]);
    const ok = { trackId: clip.trackId, fromImageId: clip.frames[0], direction: 1, until: 'next-key' };
    const refusal = async (client: TestClient, body: Record<string, unknown>, status: number, error?: RegExp) => {
      const r = await propagate(client, body);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(typeof r.body.error).toBe('string');
      if (error) expect(r.body.error).toMatch(error);
    };
    // bodies: strict, typed
    await refusal(admin, { ...ok, direction: 2 }, 400);
    await refusal(admin, { ...ok, until: 'forever' }, 400);
    await refusal(admin, { ...ok, extra: 1 }, 400);
    await refusal(admin, { ...ok, trackId: 'one' }, 400);
    const big = await admin.raw('POST', `/api/projects/${pid}/tracks/propagate`, JSON.stringify({ ...ok, pad: 'x'.repeat(70_000) }), {
      'content-type': 'application/json',
    });
    expect(big.status).toBe(413);
    // what cannot run
    await refusal(admin, { ...ok, trackId: 999_999 }, 404, /no track 999999/);
    await refusal(admin, { ...ok, fromImageId: 999_999 }, 404, /no image 999999/);
    await refusal(admin, { ...ok, fromImageId: clip.plain }, 400, /not a frame of a video/);
    await refusal(admin, { ...ok, fromImageId: clip.frames[1] }, 400, /no mask on frame 1/);
    await refusal(admin, { ...ok, direction: -1 }, 400, /Nothing to propagate/);
    // who: a reviewer changes masks but makes none; a non-member sees no project
    await refusal(await as('rita'), ok, 403);
    await refusal(await as('zed'), ok, 404);
    // annotators: only over frames they may write (a job of bob's holds frames 1-3)
    const jobs = await admin.json('POST', `/api/projects/${pid}/jobs`, { imageIds: clip.frames.slice(1), annotators: ['bob'] });
    expect(jobs.status, JSON.stringify(jobs.body)).toBe(201);
    const anna = await as('anna');
    await refusal(anna, ok, 403, /assigned to someone else/);
    const bob = await as('bob');
    const q = await propagate(bob, ok);
    expect(q.status, JSON.stringify(q.body)).toBe(201);
    expect(q.body.run).toMatchObject({ createdBy: 'bob', state: 'queued', trackId: clip.trackId });
    // cancel: the admin or who queued it
    const cancel = (c: TestClient, rid: number) =>
      c.json<{ cancelled: boolean; run: ServerTrackRun; error: string }>('POST', `/api/projects/${pid}/tracks/runs/${rid}/cancel`);
    expect((await cancel(anna, q.body.runId)).status).toBe(403);
    expect((await cancel(admin, 999_999)).status).toBe(404);
    const c = await cancel(bob, q.body.runId);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ cancelled: true, run: { state: 'cancelled' } });
    expect((await cancel(bob, q.body.runId)).body.cancelled).toBe(false);
    // its job is taken and dropped: nothing lands
    const [job] = await server.queue!.fetch<TrackJobData>(TRACK_QUEUE, { batchSize: 1 });
    await worker('w1').handle(q.body.runId, job!.id);
    expect(await trackMasks(clip.trackId)).toHaveLength(1);
    const list = await anna.json<{ runs: ServerTrackRun[] }>('GET', `/api/projects/${pid}/tracks/runs`);
    expect(list.status).toBe(200);
    expect(list.body.runs.map((r) => [r.id, r.state, r.done, r.total, r.flagged])).toEqual([[q.body.runId, 'cancelled', 0, FRAMES - 1, 0]]);

    // a person's keyframe made while a run goes: it wins at landing, and the run stops there
    const q2 = await propagate(admin, { ...ok, until: 'end' });
    expect(q2.status, JSON.stringify(q2.body)).toBe(201);
    const [job2] = await server.queue!.fetch<TrackJobData>(TRACK_QUEUE, { batchSize: 1 });
    const held = (await startTrackRun(server.service.db, q2.body.runId, 'w2', job2!.id))!;
    const kid = await ids('annotations', 1);
    const person = keyframe(kid, clip.frames[1]!, clip.categoryId, clip.trackId, gt(1));
    await push(admin, [{ coll: 'annotations', id: kid, data: person }]);
    const r = await landTrackFrame(
      server.service,
      held,
      {
        imageId: clip.frames[1]!,
        frame: 1,
        segmentation: rleFromMask(gt(0), size.width, size.height),
        area: 1,
        bbox: [0, 0, 1, 1],
        score: 0.9,
        prompts: EMPTY_PROMPTS,
        flag: null,
      },
      { categoryId: clip.categoryId, model: sam.modelId },
    );
    expect(r).toMatchObject({ landed: false, why: 'keyframe' });
    expect((await listTrackRuns(server.service.db, pid, q2.body.runId))[0]).toMatchObject({
      state: 'stopped',
      done: 0,
      message: /keyframe/,
    });
    const masks = await trackMasks(clip.trackId);
    expect(masks.map((m) => m.data)).toEqual(expect.arrayContaining([person]));
    expect(masks).toHaveLength(2);
  }, 120_000);
});
