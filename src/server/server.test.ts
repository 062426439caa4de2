/**
 * The project server against a real PostgreSQL: embedded PGlite in this process, and a throwaway
 * Debian PostgreSQL cluster (initdb/pg_ctl on a temporary directory and a loopback port). Every
 * suite runs on both.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { rleFromMask, maskFromRle, rleStringFromCounts } from '../core/mask/rle.ts';
import type { Annotation, Category, ImageRecord } from '../core/project/types.ts';
import type { ChangesResponse, PushResponse, RecordsResponse, SyncOp } from '../core/sync/protocol.ts';
import { findPgBin, startPgCluster, type PgCluster } from '../node/pgCluster.ts';
import { startTestServer, TestClient, testDatabases, type TestServer } from './testkit.ts';

const pgBin = findPgBin();
if (!pgBin.dir) console.warn(`Skipping the server tests on PostgreSQL: ${pgBin.why}`);
let cluster: PgCluster | null = null;

beforeAll(async () => {
  if (pgBin.dir) cluster = await startPgCluster();
}, 120_000);
afterAll(() => cluster?.stop());

const SAMPLE = new URL('../../../shared/samples/chelsea.png', import.meta.url);
const COCO_TINY = new URL('../../../shared/datasets/coco-val2017-tiny/instances_val2017.json', import.meta.url);

function image(id: number, extra: Partial<ImageRecord> = {}): ImageRecord {
  return { id, fileName: `img${id}.jpg`, width: 8, height: 6, ...extra };
}
function category(id: number, name = `cat${id}`): Category {
  return { id, name, color: '#336699' };
}
/** An annotation whose mask is the rectangle [x0, x1) x [y0, y1) of an 8x6 image. */
function annotation(id: number, imageId: number, categoryId: number, rect = [1, 1, 4, 3]): Annotation {
  const [x0, y0, x1, y1] = rect as [number, number, number, number];
  const m = new Uint8Array(48);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * 8 + x] = 1;
  return {
    id,
    imageId,
    categoryId,
    segmentation: rleFromMask(m, 8, 6),
    area: (x1 - x0) * (y1 - y0),
    bbox: [x0, y0, x1 - x0, y1 - y0],
    score: 0.9,
    prompts: { points: [{ x: x0, y: y0, positive: true }], box: null },
    source: 'sam',
    createdAt: 1_700_000_000_000,
  };
}

let opCounter = 0;
function op(coll: SyncOp['coll'], data: SyncOp['data'] | null, id = data?.id ?? 0, baseRev: number | null = null): SyncOp {
  return { opId: `op-${++opCounter}`, coll, id, baseRev, data };
}

const DATABASES = testDatabases(() => cluster, !!pgBin.dir);

describe.each(DATABASES)('project server on $name', ({ url, skip }) => {
  let server: TestServer;
  let admin: TestClient;
  let anna: TestClient;
  let rita: TestClient;
  let olaf: TestClient;
  let pid: number;
  let other: number;

  const client = () => TestClient.inProcess(server);

  beforeEach(async (ctx) => {
    if (skip) return ctx.skip();
    server = await startTestServer(url(), { loginLimit: { perUser: 3, perAddress: 1000, windowMs: 60_000 } });
    await server.service.createUser('admin', 'admin-password', true);
    admin = client();
    expect(await admin.login('admin', 'admin-password')).toBe(200);
    for (const name of ['anna', 'rita', 'olaf'])
      expect((await admin.json('POST', '/api/users', { username: name, password: `${name}-password` })).status).toBe(201);
    anna = client();
    rita = client();
    olaf = client();
    await anna.login('anna', 'anna-password');
    await rita.login('rita', 'rita-password');
    await olaf.login('olaf', 'olaf-password');
    pid = (await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'Cats' })).body.project.id;
    other = (await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'Other' })).body.project.id;
    expect((await admin.json('PUT', `/api/projects/${pid}/members`, { username: 'anna', role: 'annotator' })).status).toBe(200);
    expect((await admin.json('PUT', `/api/projects/${pid}/members`, { username: 'rita', role: 'reviewer' })).status).toBe(200);
    // olaf is an admin of the other project only
    expect((await admin.json('PUT', `/api/projects/${other}/members`, { username: 'olaf', role: 'admin' })).status).toBe(200);
    const seed = await admin.json<PushResponse>('POST', `/api/projects/${pid}/push`, {
      clientId: 'admin-browser',
      ops: [op('categories', category(1)), op('images', image(1)), op('images', image(2))],
    });
    expect(seed.status).toBe(200);
  });
  afterEach(async () => {
    if (!skip) await server?.close();
  });

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of ['users', 'sessions', 'projects', 'members', 'records', 'changes', 'files'] as const) {
      const r = await server.opened.db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      out[t] = Number(r.n);
    }
    return out;
  }

  describe('accounts', () => {
    it('logs in with the right password only, keeps the session in an HTTP-only cookie, and logs out', async () => {
      const c = client();
      expect((await c.json('GET', '/api/me')).status).toBe(401);
      expect(await c.login('anna', 'wrong-password')).toBe(401);
      expect(await c.login('nobody', 'anna-password')).toBe(401);
      const res = await c.raw('POST', '/api/login', JSON.stringify({ username: 'anna', password: 'anna-password' }), {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(200);
      const cookie = res.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      c.csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
      const me = await c.json<{ user: { username: string; isAdmin: boolean } }>('GET', '/api/me');
      expect(me.body.user).toMatchObject({ username: 'anna', isAdmin: false });
      expect((await c.json('POST', '/api/logout')).status).toBe(200);
      expect((await c.json('GET', '/api/me')).status).toBe(401);
    });

    it('ends the other sessions on a password change made while the server runs, and every session on an admin reset', async () => {
      const laptop = client();
      await laptop.login('anna', 'anna-password');
      const wrong = await anna.json<{ error: string }>('POST', '/api/me/password', { current: 'nope', password: 'a-new-password' });
      expect(wrong.status).toBe(403);
      expect((await laptop.json('GET', '/api/me')).status).toBe(200);
      expect((await anna.json('POST', '/api/me/password', { current: 'anna-password', password: 'a-new-password' })).status).toBe(200);
      // the session that changed it goes on; the other one ended; the old password no longer opens one
      expect((await anna.json('GET', '/api/me')).status).toBe(200);
      expect((await laptop.json('GET', '/api/me')).status).toBe(401);
      expect(await client().login('anna', 'anna-password')).toBe(401);
      expect(await laptop.login('anna', 'a-new-password')).toBe(200);
      // a server admin's reset ends all of them
      const me = await anna.json<{ user: { id: number } }>('GET', '/api/me');
      expect((await anna.json('POST', `/api/users/${me.body.user.id}/password`, { password: 'x-long-password' })).status).toBe(403);
      expect((await admin.json('POST', `/api/users/${me.body.user.id}/password`, { password: 'x-long-password' })).status).toBe(200);
      expect((await anna.json('GET', '/api/me')).status).toBe(401);
      expect((await laptop.json('GET', '/api/me')).status).toBe(401);
      // the command-line reset (set-password) too
      const again = client();
      expect(await again.login('anna', 'x-long-password')).toBe(200);
      expect(await server.service.setPassword('anna', 'y-long-password')).toBe(true);
      expect((await again.json('GET', '/api/me')).status).toBe(401);
    });

    it('lists a user’s sessions and ends one of them; a session idle for 12 hours ends', async () => {
      const laptop = client();
      await laptop.login('anna', 'anna-password');
      type S = { id: string; current: boolean };
      const list = await anna.json<{ sessions: S[] }>('GET', '/api/me/sessions');
      expect(list.body.sessions).toHaveLength(2);
      expect(list.body.sessions.filter((x) => x.current)).toHaveLength(1);
      const other = list.body.sessions.find((x) => !x.current)!;
      // nobody else's sessions: rita cannot end anna's
      expect((await rita.json('DELETE', `/api/me/sessions/${other.id}`)).status).toBe(404);
      expect((await anna.json('DELETE', `/api/me/sessions/${other.id}`)).status).toBe(200);
      expect((await laptop.json('GET', '/api/me')).status).toBe(401);
      expect((await anna.json('GET', '/api/me')).status).toBe(200);
      // idle: last used 13 hours ago
      await server.opened.db
        .updateTable('sessions')
        .set({ last_seen: new Date(Date.now() - 13 * 3600_000) })
        .execute();
      expect((await anna.json('GET', '/api/me')).status).toBe(401);
      expect((await rita.json('GET', '/api/me')).status).toBe(401);
    });

    it('stores passwords as argon2 hashes, never as given', async () => {
      const rows = await server.opened.db.selectFrom('users').select(['username', 'password_hash']).execute();
      for (const r of rows) {
        expect(r.password_hash).toMatch(/^\$argon2id\$/);
        expect(r.password_hash).not.toContain('password');
      }
    });

    it('refuses a write without the session CSRF token', async () => {
      const before = await counts();
      const r = await anna.json(
        'POST',
        `/api/projects/${pid}/push`,
        { clientId: 'x', ops: [op('annotations', annotation(1, 1, 1))] },
        { 'x-csrf-token': 'forged' },
      );
      expect(r.status).toBe(403);
      expect(String((r.body as { error: string }).error)).toMatch(/CSRF/);
      expect(await counts()).toEqual(before);
    });

    it('limits failed logins per user name and says when to try again', async () => {
      const c = client();
      for (let i = 0; i < 3; i++) expect(await c.login('anna', `bad-${i}`)).toBe(401);
      const r = await c.json<{ error: string }>('POST', '/api/login', { username: 'anna', password: 'anna-password' });
      expect(r.status).toBe(429);
      expect(r.body.error).toMatch(/Too many failed logins/);
      // another user is not locked out by anna's failures
      expect(await client().login('rita', 'rita-password')).toBe(200);
    });
  });

  describe('sync', () => {
    it('pushes and pulls changes in order, from the cursor on', async () => {
      const a = await anna.json<PushResponse>('POST', `/api/projects/${pid}/push`, {
        clientId: 'anna-1',
        ops: [op('annotations', annotation(10, 1, 1))],
      });
      expect(a.status).toBe(200);
      const pulled = await rita.json<ChangesResponse>('GET', `/api/projects/${pid}/changes?since=${a.body.seq - 1}`);
      expect(pulled.body.changes.map((c) => [c.coll, c.id, c.username])).toEqual([['annotations', 10, 'anna']]);
      expect(pulled.body.changes[0]!.data).toEqual(annotation(10, 1, 1));
      const all = await rita.json<ChangesResponse>('GET', `/api/projects/${pid}/changes?since=0`);
      expect(all.body.changes.map((c) => c.seq)).toEqual([1, 2, 3, 4]);
      expect(all.body.seq).toBe(4);
      const none = await rita.json<ChangesResponse>('GET', `/api/projects/${pid}/changes?since=4`);
      expect(none.body).toEqual({ changes: [], seq: 4, more: false });
    });

    it('pulls a large history in pages of a few megabytes: every change once, in order, as pushed', async () => {
      // detailed masks (speckle on a 1000x1000 image: ~0.5 MB of RLE each, hardly compressible), 24 of them
      const W = 1000;
      const H = 1000;
      await admin.json('POST', `/api/projects/${pid}/push`, {
        clientId: 'admin-browser',
        ops: [op('images', image(3, { width: W, height: H }))],
      });
      let seed = 12345;
      const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
      const pushed = new Map<number, Annotation>();
      for (let batch = 0; batch < 4; batch++) {
        const ops = [];
        for (let k = 0; k < 6; k++) {
          const id = 100 + batch * 6 + k;
          const m = new Uint8Array(W * H);
          for (let i = 0; i < m.length;) {
            const run = 1 + Math.floor(rand() * 4);
            const on = rand() < 0.5 ? 1 : 0;
            m.fill(on, i, Math.min(m.length, i + run));
            i += run;
          }
          const a: Annotation = {
            ...annotation(id, 3, 1),
            segmentation: rleFromMask(m, W, H),
            bbox: [0, 0, W, H],
            area: m.reduce((s, v) => s + v, 0),
          };
          pushed.set(id, a);
          ops.push(op('annotations', a));
        }
        expect((await anna.json('POST', `/api/projects/${pid}/push`, { clientId: 'anna-1', ops })).status).toBe(200);
      }
      const total = [...pushed.values()].reduce((s, a) => s + (a.segmentation as { counts: string }).counts.length, 0);
      expect(total).toBeGreaterThan(10 * 1048576);
      const seqs: number[] = [];
      const got = new Map<number, unknown>();
      let since = 0;
      let pages = 0;
      for (;;) {
        const res = await rita.raw('GET', `/api/projects/${pid}/changes?since=${since}`);
        const text = await res.text();
        expect(res.status).toBe(200);
        // a page small enough to send without holding the server, whatever the changes hold
        expect(text.length).toBeLessThan(6 * 1048576);
        const page = JSON.parse(text) as ChangesResponse;
        pages++;
        for (const c of page.changes) {
          seqs.push(c.seq);
          if (c.coll === 'annotations') got.set(c.id, c.data);
        }
        expect(page.seq).toBeGreaterThan(since);
        since = page.seq;
        if (!page.more) break;
      }
      expect(pages).toBeGreaterThan(2);
      expect(seqs).toEqual([...Array(seqs.length).keys()].map((i) => i + 1));
      expect(got.size).toBe(24);
      for (const [id, a] of pushed) expect(got.get(id)).toEqual(a);
      // the current records (what a new client loads) come in pages cut the same way
      const records = new Map<string, unknown>();
      let after = '';
      let recordPages = 0;
      for (;;) {
        const res = await rita.raw('GET', `/api/projects/${pid}/records${after ? `?after=${after}` : ''}`);
        const text = await res.text();
        expect(text.length).toBeLessThan(6 * 1048576);
        const page = JSON.parse(text) as RecordsResponse;
        recordPages++;
        for (const r of page.records) {
          expect(records.has(`${r.coll}:${r.id}`)).toBe(false);
          records.set(`${r.coll}:${r.id}`, r.data);
        }
        if (!page.next) break;
        after = page.next;
      }
      expect(recordPages).toBeGreaterThan(2);
      expect([...records.keys()].sort()).toEqual(
        ['categories:1', 'images:1', 'images:2', 'images:3', ...[...pushed.keys()].map((id) => `annotations:${id}`)].sort(),
      );
      for (const [id, a] of pushed) expect(records.get(`annotations:${id}`)).toEqual(a);
    });

    it('applies a push sent twice once (same operation ids)', async () => {
      const body = { clientId: 'anna-1', ops: [op('annotations', annotation(10, 1, 1)), op('annotations', annotation(11, 2, 1))] };
      const first = await anna.json<PushResponse>('POST', `/api/projects/${pid}/push`, body);
      const again = await anna.json<PushResponse>('POST', `/api/projects/${pid}/push`, body);
      expect(again.status).toBe(200);
      expect(again.body.results.map((r) => r.rev)).toEqual(first.body.results.map((r) => r.rev));
      const all = await anna.json<ChangesResponse>('GET', `/api/projects/${pid}/changes?since=0`);
      expect(all.body.changes.filter((c) => c.coll === 'annotations')).toHaveLength(2);
    });

    it('lets the later write win on one annotation, tells the writer whose version it replaced, and keeps both in the history', async () => {
      const a = await anna.json<PushResponse>('POST', `/api/projects/${pid}/push`, {
        clientId: 'anna-1',
        ops: [op('annotations', annotation(10, 1, 1))],
      });
      const seen = a.body.seq;
      // rita (reviewer) relabels it having seen anna's version
      const relabeled = { ...annotation(10, 1, 1), review: 'accepted' as const };
      const r = await rita.json<PushResponse>('POST', `/api/projects/${pid}/push`, {
        clientId: 'rita-1',
        ops: [op('annotations', relabeled, 10, seen)],
      });
      expect(r.body.results[0]!.overwrote).toBeUndefined();
      // anna, offline, had changed the mask from the version she had seen: hers is later and wins, and says so
      const moved = annotation(10, 1, 1, [2, 2, 6, 5]);
      const late = await anna.json<PushResponse>('POST', `/api/projects/${pid}/push`, {
        clientId: 'anna-1',
        ops: [op('annotations', moved, 10, seen)],
      });
      expect(late.body.results[0]!.overwrote).toEqual({ rev: r.body.results[0]!.rev, username: 'rita' });
      const recs = await admin.json<RecordsResponse>('GET', `/api/projects/${pid}/records`);
      expect(recs.body.records.find((x) => x.coll === 'annotations')!.data).toEqual(moved);
      const h = await admin.json<{ versions: { username: string; data: unknown }[] }>('GET', `/api/projects/${pid}/history/annotations/10`);
      expect(h.body.versions.map((v) => v.username)).toEqual(['anna', 'rita', 'anna']);
      expect(h.body.versions[1]!.data).toEqual(relabeled);
    });

    it('reports no conflict for a write over a version the client had pulled, however many changes came after it', async () => {
      const a = await anna.json<PushResponse>('POST', `/api/projects/${pid}/push`, {
        clientId: 'anna-1',
        ops: [op('annotations', annotation(10, 1, 1))],
      });
      // other records change after it: the cursor moves past the annotation's revision
      const later = await anna.json<PushResponse>('POST', `/api/projects/${pid}/push`, {
        clientId: 'anna-1',
        ops: [op('annotations', annotation(11, 2, 1))],
      });
      expect(later.body.seq).toBeGreaterThan(a.body.seq);
      const r = await rita.json<PushResponse>('POST', `/api/projects/${pid}/push`, {
        clientId: 'rita-1',
        ops: [op('annotations', { ...annotation(10, 1, 1), review: 'accepted' }, 10, later.body.seq)],
      });
      expect(r.status).toBe(200);
      expect(r.body.results[0]!.overwrote).toBeUndefined();
    });

    it('reserves disjoint id blocks for concurrent clients', async () => {
      const blocks = await Promise.all(
        [admin, anna, admin, anna].map((c) =>
          c.json<{ first: number; last: number }>('POST', `/api/projects/${pid}/ids`, { coll: 'annotations', count: 100 }),
        ),
      );
      const ranges = blocks.map((b) => [b.body.first, b.body.last] as const).sort((x, y) => x[0] - y[0]);
      expect(ranges.map((r) => r[1] - r[0] + 1)).toEqual([100, 100, 100, 100]);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1] + 1);
    });

    it('bounds what a member reserves, and says so at the end of the id space instead of failing for everyone', async () => {
      const ids = (c: TestClient, count: number, coll = 'annotations') =>
        c.json<{ first: number; last: number; error: string }>('POST', `/api/projects/${pid}/ids`, { coll, count });
      // an annotator's share: 5,000,000 per collection, then 429 (nothing taken from the counter)
      for (let i = 0; i < 50; i++) expect((await ids(anna, 100_000)).status).toBe(200);
      const over = await ids(anna, 1);
      expect(over.status).toBe(429);
      expect(over.body.error).toMatch(/the most a member may/);
      const next = await ids(admin, 10);
      expect([next.status, next.body.first]).toEqual([200, 5_000_001]);
      expect((await ids(anna, 5, 'pendingBoxes')).status).toBe(200);
      // the end of the 32-bit id space: a clear 507, the counter as it was, other collections unaffected
      await server.opened.db
        .updateTable('id_counters')
        .set({ last: 2_147_483_647 - 10 })
        .where('project_id', '=', pid)
        .where('coll', '=', 'annotations')
        .execute();
      const full = await ids(admin, 100);
      expect(full.status).toBe(507);
      expect(full.body.error).toMatch(/used up its annotations ids/);
      expect((await ids(admin, 10)).body).toEqual({ first: 2_147_483_638, last: 2_147_483_647 });
      expect((await ids(admin, 1)).status).toBe(507);
      expect((await ids(admin, 1, 'categories')).status).toBe(200);
    });

    it('serves the current records in pages and the export of them as COCO', async () => {
      const ops = [];
      for (let i = 1; i <= 30; i++) ops.push(op('annotations', annotation(i, 1 + (i % 2), 1, [0, 0, 1 + (i % 7), 1 + (i % 5)])));
      ops.push(op('annotations', null, 30));
      await anna.json('POST', `/api/projects/${pid}/push`, { clientId: 'anna-1', ops });
      const records = [];
      let after = '';
      for (;;) {
        const page = await anna.json<RecordsResponse>('GET', `/api/projects/${pid}/records${after ? `?after=${after}` : ''}`);
        records.push(...page.body.records);
        if (!page.body.next) break;
        after = page.body.next;
      }
      expect(records.filter((r) => r.coll === 'annotations').map((r) => r.id)).toEqual([...Array(29).keys()].map((i) => i + 1));
      const res = await anna.raw('GET', `/api/projects/${pid}/export/coco`);
      expect(res.headers.get('content-type')).toMatch(/json/);
      const coco = (await res.json()) as {
        annotations: { id: number; segmentation: { size: [number, number]; counts: string }; area: number }[];
        images: unknown[];
      };
      expect(coco.images).toHaveLength(2);
      expect(coco.annotations).toHaveLength(29);
      for (const a of coco.annotations) {
        const mask = maskFromRle(a.segmentation);
        const i = a.id;
        const w = 1 + (i % 7);
        const h = 1 + (i % 5);
        const outside: number[] = [];
        let n = 0;
        for (let y = 0; y < 6; y++)
          for (let x = 0; x < 8; x++)
            if (mask[y * 8 + x]) {
              n++;
              if (x >= w || y >= h) outside.push(y * 8 + x);
            }
        expect(outside).toEqual([]);
        expect(n).toBe(w * h);
        expect(a.area).toBe(w * h);
      }
    });
  });

  describe('jobs and review', () => {
    type Job = { id: number; state: string; imageIds: number[]; annotator: string | null; reviewer: string | null };
    async function makeJob(images: number[] = [1]): Promise<Job> {
      // olaf becomes a second annotator of this project (he is not the job's)
      await admin.json('PUT', `/api/projects/${pid}/members`, { username: 'olaf', role: 'annotator' });
      const r = await admin.json<{ jobs: Job[] }>('POST', `/api/projects/${pid}/jobs`, {
        name: 'Cats 1',
        imageIds: images,
        annotators: ['anna'],
        reviewer: 'rita',
      });
      expect(r.status).toBe(201);
      return r.body.jobs[0]!;
    }
    const move = (c: TestClient, job: Job, to: string, comment?: string) =>
      c.json<{ job: Job; error: string }>('POST', `/api/projects/${pid}/jobs/${job.id}/move`, { to, ...(comment ? { comment } : {}) });
    const pushAnn = (c: TestClient, a: Annotation, client = 'x') =>
      c.json<{ error: string }>('POST', `/api/projects/${pid}/push`, { clientId: client, ops: [op('annotations', a)] });

    it('walks a job through its states, refusing moves out of turn, and records every move with who and why', async () => {
      const job = await makeJob();
      expect(job).toMatchObject({ state: 'new', annotator: 'anna', reviewer: 'rita', imageIds: [1] });
      expect((await move(rita, job, 'annotating')).status).toBe(403);
      expect((await move(anna, job, 'done')).status).toBe(409);
      expect((await move(anna, job, 'annotating')).body.job.state).toBe('annotating');
      expect((await move(anna, job, 'in_review')).body.job.state).toBe('in_review');
      expect((await move(anna, job, 'done')).status).toBe(403);
      const noComment = await move(rita, job, 'rejected');
      expect(noComment.status).toBe(400);
      expect(noComment.body.error).toMatch(/why/);
      expect((await move(rita, job, 'rejected', 'the tail is missing')).body.job.state).toBe('rejected');
      expect((await move(olaf, job, 'annotating')).status).toBe(403);
      expect((await move(anna, job, 'annotating')).body.job.state).toBe('annotating');
      expect((await move(anna, job, 'in_review')).body.job.state).toBe('in_review');
      expect((await move(rita, job, 'done')).body.job.state).toBe('done');
      expect((await move(rita, job, 'in_review')).status).toBe(403);
      expect((await move(admin, job, 'in_review')).body.job.state).toBe('in_review');
      const events = await anna.json<{ events: { from: string | null; to: string; by: string; comment: string | null }[] }>(
        'GET',
        `/api/projects/${pid}/jobs/${job.id}/events`,
      );
      expect(events.body.events.map((e) => [e.from, e.to, e.by, e.comment])).toEqual([
        [null, 'new', 'admin', null],
        ['new', 'annotating', 'anna', null],
        ['annotating', 'in_review', 'anna', null],
        ['in_review', 'rejected', 'rita', 'the tail is missing'],
        ['rejected', 'annotating', 'anna', null],
        ['annotating', 'in_review', 'anna', null],
        ['in_review', 'done', 'rita', null],
        ['done', 'in_review', 'admin', null],
      ]);
    });

    it('tells the live clients of the project at once when a job moves', async () => {
      const job = await makeJob();
      const res = await rita.raw('GET', `/api/projects/${pid}/events`);
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let text = '';
      const until = async (want: RegExp) => {
        while (!want.test(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the stream ended: ${text}`);
          text += dec.decode(value);
        }
      };
      await until(/event: seq/);
      expect(text).not.toMatch(/event: jobs/);
      await move(anna, job, 'annotating');
      await until(/event: jobs/);
      await reader.cancel();
    });

    it('closes the event stream of a member who is removed, and of a session that ends', async () => {
      const listen = async (c: TestClient) => {
        const res = await c.raw('GET', `/api/projects/${pid}/events`);
        const reader = res.body!.getReader();
        const dec = new TextDecoder();
        let text = '';
        return {
          async until(want: RegExp) {
            while (!want.test(text)) {
              const { value, done } = await reader.read();
              if (done) throw new Error(`the stream ended: ${text}`);
              text += dec.decode(value);
            }
          },
          async ended() {
            for (;;) if ((await reader.read()).done) return true;
          },
        };
      };
      const job = await makeJob([1]);
      const members = await admin.json<{ members: { userId: number; username: string }[] }>('GET', `/api/projects/${pid}/members`);
      const rs = await listen(rita);
      const as = await listen(anna);
      await rs.until(/event: seq/);
      await as.until(/event: seq/);
      const ritaId = members.body.members.find((m) => m.username === 'rita')!.userId;
      expect((await admin.raw('DELETE', `/api/projects/${pid}/members/${ritaId}`)).status).toBe(200);
      await rs.until(/event: closed/);
      expect(await rs.ended()).toBe(true);
      // anna, still a member, keeps hearing changes until she logs out
      const pushed = await admin.json<PushResponse>('POST', `/api/projects/${pid}/push`, { clientId: 'x', ops: [op('images', image(3))] });
      // at once, not at the next keep-alive (25 s): a change that lands while the stream writes is not missed
      const heard = await Promise.race([
        as.until(new RegExp(`event: seq\ndata: ${pushed.body.seq}\n`)).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
      ]);
      expect(heard).toBe(true);
      expect((await anna.json('POST', '/api/logout', {})).status).toBe(200);
      expect((await move(admin, job, 'annotating')).status).toBe(200);
      await as.until(/event: closed/);
      expect(await as.ended()).toBe(true);
    });

    it("keeps a job's images to its annotator (then its reviewer) until an admin reassigns it", async () => {
      const job = await makeJob([1]);
      const before = await counts();
      // olaf, another annotator, cannot write on the job's image; he can on an image in no job
      const refused = await pushAnn(olaf, annotation(20, 1, 1));
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatch(/assigned to someone else/);
      expect(await counts()).toEqual(before);
      expect((await pushAnn(olaf, annotation(21, 2, 1))).status).toBe(200);
      expect((await pushAnn(anna, annotation(22, 1, 1))).status).toBe(200);
      await move(anna, job, 'annotating');
      await move(anna, job, 'in_review');
      // in review: the annotator waits, the reviewer may fix
      expect((await pushAnn(anna, annotation(23, 1, 1))).body.error).toMatch(/in review/);
      expect(
        (
          await rita.json('POST', `/api/projects/${pid}/push`, {
            clientId: 'r',
            ops: [op('annotations', { ...annotation(22, 1, 1), review: 'accepted' })],
          })
        ).status,
      ).toBe(200);
      // reassigned to olaf: now his, no longer anna's
      const re = await admin.json<{ job: Job }>('PATCH', `/api/projects/${pid}/jobs/${job.id}`, { annotator: 'olaf' });
      expect(re.body.job.annotator).toBe('olaf');
      await move(rita, job, 'rejected', 'redo it');
      expect((await pushAnn(anna, annotation(24, 1, 1))).status).toBe(403);
      expect((await pushAnn(olaf, annotation(24, 1, 1))).status).toBe(200);
      // admins always
      expect((await pushAnn(admin, annotation(25, 1, 1))).status).toBe(200);
    });

    it('checks the image a record is on now as well as the one it moves to: no move takes a mask out of a job', async () => {
      const job = await makeJob([1]);
      expect((await pushAnn(anna, annotation(40, 1, 1))).status).toBe(200);
      const before = await counts();
      // olaf, another annotator, may write on image 2 (in no job) but not take anna's mask there
      const taken = await pushAnn(olaf, annotation(40, 2, 1), 'olaf');
      expect(taken.status).toBe(403);
      expect(taken.body.error).toMatch(/assigned to someone else/);
      // the reviewer may not move it out while the job is not in review
      expect((await pushAnn(rita, annotation(40, 2, 1), 'rita')).status).toBe(403);
      expect(await counts()).toEqual(before);
      // once the job is done, neither may move it out (and then delete it where they may)
      await move(anna, job, 'annotating');
      await move(anna, job, 'in_review');
      await move(rita, job, 'done');
      for (const c of [anna, rita, olaf]) expect((await pushAnn(c, annotation(40, 2, 1), 'c')).status).toBe(403);
      expect(await counts()).toEqual(before);
      const records = await admin.json<{ records: { coll: string; id: number; data: { imageId: number } }[] }>(
        'GET',
        `/api/projects/${pid}/records`,
      );
      expect(records.body.records.find((r) => r.coll === 'annotations' && r.id === 40)?.data.imageId).toBe(1);
      // an admin may move it
      expect((await pushAnn(admin, annotation(40, 2, 1), 'admin')).status).toBe(200);
    });

    it('stores review decisions with who, when and why; only the job’s reviewer in review (or an admin) decides', async () => {
      const job = await makeJob([1]);
      await pushAnn(anna, annotation(30, 1, 1));
      await move(anna, job, 'annotating');
      const early = await rita.json<{ error: string }>('POST', `/api/projects/${pid}/reviews`, { annotationId: 30, decision: 'accept' });
      expect(early.status).toBe(409);
      await move(anna, job, 'in_review');
      expect((await anna.json('POST', `/api/projects/${pid}/reviews`, { annotationId: 30, decision: 'accept' })).status).toBe(403);
      expect((await rita.json('POST', `/api/projects/${pid}/reviews`, { annotationId: 999, decision: 'accept' })).status).toBe(404);
      const r = await rita.json('POST', `/api/projects/${pid}/reviews`, {
        annotationId: 30,
        decision: 'reject',
        comment: 'misses the ear',
      });
      expect(r.status).toBe(201);
      const list = await anna.json<{
        reviews: { annotationId: number; decision: string; comment: string; reviewer: string; jobId: number; at: string }[];
      }>('GET', `/api/projects/${pid}/reviews?job=${job.id}`);
      expect(list.body.reviews).toEqual([
        expect.objectContaining({ annotationId: 30, decision: 'reject', comment: 'misses the ear', reviewer: 'rita', jobId: job.id }),
      ]);
      expect(Date.now() - Date.parse(list.body.reviews[0]!.at)).toBeLessThan(60_000);
    });

    it("gives each annotator's numbers from the mask clock's data, the skipped objects and the reviewers' latest decisions", async () => {
      const job = await makeJob([1]);
      const timed = (id: number, imageId: number, seconds: number, clicks: number): Annotation => ({
        ...annotation(id, imageId, 1),
        timeMs: seconds * 1000,
        clicks,
        strokes: 0,
        createdAt: Date.UTC(2026, 10, 20, 10),
      });
      await pushAnn(anna, timed(40, 1, 10, 2));
      await pushAnn(anna, timed(41, 1, 40, 6));
      await pushAnn(anna, timed(42, 1, 20, 3));
      await anna.json('POST', `/api/projects/${pid}/push`, {
        clientId: 'x',
        ops: [op('skipped', { id: 1, imageId: 1, timeMs: 31_000, clicks: 5, strokes: 0, at: 1 })],
      });
      await pushAnn(olaf, timed(43, 2, 5, 1));
      await move(anna, job, 'annotating');
      await move(anna, job, 'in_review');
      await rita.json('POST', `/api/projects/${pid}/reviews`, { annotationId: 40, decision: 'reject', comment: 'x' });
      await rita.json('POST', `/api/projects/${pid}/reviews`, { annotationId: 40, decision: 'accept' });
      await rita.json('POST', `/api/projects/${pid}/reviews`, { annotationId: 41, decision: 'reject', comment: 'y' });
      type S = {
        username: string;
        masks: number;
        medianSeconds: number;
        clicksPerMask: number;
        overBudgetShare: number;
        skipped: number;
        masksPerHour: number;
        reviewed: number;
        rejected: number;
        rejectionRate: number;
        perDay: Record<string, number>;
      };
      const all = await admin.json<{ annotators: S[] }>('GET', `/api/projects/${pid}/stats`);
      const a = all.body.annotators.find((x) => x.username === 'anna')!;
      // 3 masks of 10, 40 and 20 s: median 20 s, 70 s in all (3 masks in 70/3600 h), one over 30 s
      expect(a).toMatchObject({
        masks: 3,
        medianSeconds: 20,
        clicksPerMask: 11 / 3,
        skipped: 1,
        reviewed: 2,
        rejected: 1,
        rejectionRate: 0.5,
        perDay: { '2026-11-20': 3 },
      });
      expect(a.overBudgetShare).toBeCloseTo(1 / 3, 10);
      expect(a.masksPerHour).toBeCloseTo(3 / (70 / 3600), 6);
      expect(all.body.annotators.find((x) => x.username === 'olaf')).toMatchObject({ masks: 1, medianSeconds: 5 });
      // the job's numbers: its image only
      const inJob = await anna.json<{ annotators: S[] }>('GET', `/api/projects/${pid}/stats?job=${job.id}`);
      expect(inJob.body.annotators.map((x) => [x.username, x.masks])).toEqual([['anna', 3]]);
    });

    it('exports who annotated and reviewed each mask, and can leave out what is not reviewed', async () => {
      const job = await makeJob([1]);
      await pushAnn(anna, annotation(60, 1, 1));
      await pushAnn(anna, annotation(61, 1, 1));
      await pushAnn(olaf, annotation(62, 2, 1));
      await move(anna, job, 'annotating');
      await move(anna, job, 'in_review');
      await rita.json('POST', `/api/projects/${pid}/reviews`, { annotationId: 60, decision: 'accept' });
      await rita.json('POST', `/api/projects/${pid}/reviews`, { annotationId: 61, decision: 'reject', comment: 'no' });
      type Out = { annotations: { id: number; attributes: Record<string, unknown> }[] };
      const all = (await (await admin.raw('GET', `/api/projects/${pid}/export/coco`)).json()) as Out;
      const attrs = new Map(all.annotations.map((a) => [a.id, a.attributes]));
      expect(attrs.get(60)).toMatchObject({ annotator: 'anna', reviewer: 'rita', review_decision: 'accept' });
      expect(attrs.get(61)).toMatchObject({ annotator: 'anna', reviewer: 'rita', review_decision: 'reject' });
      expect(attrs.get(62)).toMatchObject({ annotator: 'olaf' });
      expect(attrs.get(62)!.reviewer).toBeUndefined();
      const reviewed = (await (await admin.raw('GET', `/api/projects/${pid}/export/coco?unreviewed=exclude`)).json()) as Out;
      expect(reviewed.annotations.map((a) => a.id)).toEqual([60]);
      // once the job is done, all of its masks count as reviewed
      await move(rita, job, 'done');
      const afterDone = (await (await admin.raw('GET', `/api/projects/${pid}/export/coco?unreviewed=exclude`)).json()) as Out;
      expect(afterDone.annotations.map((a) => a.id).sort()).toEqual([60, 61]);
    });

    it('exports the server’s own record of who annotated and reviewed: names a client sends under those keys are kept apart', async () => {
      await makeJob([1]);
      const forged = { annotator: 'rita', reviewer: 'rita', review_decision: 'accept', reviewed_at: '2026-01-01', note: 'mine' };
      expect((await pushAnn(anna, { ...annotation(70, 1, 1), coco: { id: 70, extra: { attributes: forged } } })).status).toBe(200);
      type Out = { annotations: { id: number; attributes: Record<string, unknown> }[] };
      const out = (await (await admin.raw('GET', `/api/projects/${pid}/export/coco`)).json()) as Out;
      const attrs = out.annotations.find((a) => a.id === 70)!.attributes;
      expect(attrs.annotator).toBe('anna');
      expect(attrs.reviewer).toBeUndefined();
      expect(attrs.review_decision).toBeUndefined();
      expect(attrs.reviewed_at).toBeUndefined();
      // the client's words, as the client's, and its other attributes as they were
      expect(attrs.client_claimed).toEqual({ annotator: 'rita', reviewer: 'rita', review_decision: 'accept', reviewed_at: '2026-01-01' });
      expect(attrs.note).toBe('mine');
      const reviewed = (await (await admin.raw('GET', `/api/projects/${pid}/export/coco?unreviewed=exclude`)).json()) as Out;
      expect(reviewed.annotations.map((a) => a.id)).not.toContain(70);
    });

    it('splits the images not yet in a job by count, giving them to annotators in turn; an image is in one job at most', async () => {
      await admin.json('POST', `/api/projects/${pid}/push`, { clientId: 'seed', ops: [3, 4, 5].map((i) => op('images', image(i))) });
      await admin.json('PUT', `/api/projects/${pid}/members`, { username: 'olaf', role: 'annotator' });
      // a reviewer of the project cannot be a job's annotator
      const notAnnotator = await admin.json<{ error: string }>('POST', `/api/projects/${pid}/jobs`, {
        imageIds: [5],
        annotators: ['rita'],
      });
      expect(notAnnotator.status).toBe(400);
      expect(notAnnotator.body.error).toMatch(/reviewer in this project/);
      const first = await admin.json<{ jobs: Job[] }>('POST', `/api/projects/${pid}/jobs`, { imageIds: [5], annotators: ['anna'] });
      expect(first.status).toBe(201);
      const r = await admin.json<{ jobs: Job[] }>('POST', `/api/projects/${pid}/jobs`, {
        name: 'Batch',
        split: { by: 'count', size: 3 },
        annotators: ['anna', 'olaf'],
        reviewer: 'rita',
      });
      expect(r.body.jobs.map((j) => [j.imageIds, j.annotator])).toEqual([
        [[1, 2, 3], 'anna'],
        [[4], 'olaf'],
      ]);
      const again = await admin.json<{ error: string }>('POST', `/api/projects/${pid}/jobs`, { imageIds: [5], annotators: ['olaf'] });
      expect(again.status).toBe(409);
      const q = await olaf.json<{ annotate: Job[]; review: Job[] }>('GET', `/api/projects/${pid}/queue`);
      expect(q.body.annotate.map((j) => j.imageIds)).toEqual([[4]]);
    });

    it('makes jobs of the free images a filter picks: by name, and by what they have (nothing, proposals, masks)', async () => {
      await admin.json('POST', `/api/projects/${pid}/push`, {
        clientId: 'seed',
        ops: [
          op('images', image(3, { fileName: 'street/a.jpg' })),
          op('images', image(4, { fileName: 'street/b.jpg' })),
          op('images', image(5, { fileName: 'park/c.jpg' })),
          op('annotations', { ...annotation(1, 4, 1), source: 'auto', review: 'pending' }),
          op('annotations', annotation(2, 5, 1)),
        ],
      });
      const proposals = await admin.json<{ jobs: Job[] }>('POST', `/api/projects/${pid}/jobs`, {
        name: 'To review',
        split: { by: 'count', size: 10 },
        filter: { has: 'proposals' },
        annotators: ['anna'],
      });
      expect(proposals.status).toBe(201);
      expect(proposals.body.jobs.map((j) => j.imageIds)).toEqual([[4]]);
      const street = await admin.json<{ jobs: Job[] }>('POST', `/api/projects/${pid}/jobs`, {
        split: { by: 'count', size: 10 },
        filter: { name: 'street/*' },
        annotators: ['anna'],
      });
      // image 4 is in a job already
      expect(street.body.jobs.map((j) => j.imageIds)).toEqual([[3]]);
      const none = await admin.json<{ error: string }>('POST', `/api/projects/${pid}/jobs`, {
        split: { by: 'count', size: 10 },
        filter: { name: 'beach' },
        annotators: ['anna'],
      });
      expect(none.status).toBe(409);
      expect(none.body.error).toMatch(/No image .* matches the filter/);
      const bad = await admin.json('POST', `/api/projects/${pid}/jobs`, { filter: { has: 'cats' }, annotators: [] });
      expect(bad.status).toBe(400);
    });
  });

  describe('exports', () => {
    it('streams mask PNGs and YOLO labels (with the image files it holds) as zips', async () => {
      const bytes = readFileSync(SAMPLE);
      const sha = createHash('sha256').update(bytes).digest('hex');
      expect((await admin.raw('PUT', `/api/projects/${pid}/files/${sha}`, bytes)).status).toBe(201);
      await admin.json('POST', `/api/projects/${pid}/push`, {
        clientId: 'admin-browser',
        ops: [
          op('images', image(1, { sha256: sha })),
          op('annotations', annotation(7, 1, 1, [2, 1, 5, 4])),
          op('annotations', annotation(8, 2, 1)),
        ],
      });
      const masks = unzipSync(new Uint8Array(await (await anna.raw('GET', `/api/projects/${pid}/export/masks`)).arrayBuffer()));
      const png = PNG.sync.read(Buffer.from(masks['masks/img1/7_cat1.png']!));
      expect([png.width, png.height]).toEqual([8, 6]);
      const on: number[] = [];
      for (let p = 0; p < 48; p++) if (png.data[p * 4]! > 0) on.push(p);
      const want: number[] = [];
      for (let y = 1; y < 4; y++) for (let x = 2; x < 5; x++) want.push(y * 8 + x);
      expect(on).toEqual(want);
      expect(Object.keys(masks).sort()).toEqual(
        [
          'index.json',
          'instances/img1.png',
          'instances/img2.png',
          'masks/img1/7_cat1.png',
          'masks/img2/8_cat1.png',
          'semantic/img1.png',
          'semantic/img2.png',
        ].sort(),
      );
      const yolo = unzipSync(new Uint8Array(await (await anna.raw('GET', `/api/projects/${pid}/export/yolo`)).arrayBuffer()));
      const label = strFromU8(yolo['labels/img1.txt']!).trim().split(' ').map(Number);
      expect(label[0]).toBe(0);
      // the polygon's corners are the rectangle's, normalized by the image size
      const xs = label.slice(1).filter((_, i) => i % 2 === 0);
      const ys = label.slice(1).filter((_, i) => i % 2 === 1);
      expect([Math.min(...xs) * 8, Math.max(...xs) * 8, Math.min(...ys) * 6, Math.max(...ys) * 6].map((v) => Math.round(v))).toEqual([
        2, 5, 1, 4,
      ]);
      expect(Buffer.from(yolo['images/img1.jpg']!).equals(bytes)).toBe(true);
      expect(yolo['images/img2.jpg']).toBeUndefined();
      expect(strFromU8(yolo['data.yaml']!)).toContain('0: "cat1"');
    });
  });

  describe('import', () => {
    it('merges a COCO file (the official val2017 sample) into the project, one transaction the others pull; the export keeps its ids, areas and boxes', async () => {
      const text = readFileSync(COCO_TINY, 'utf8');
      const file = JSON.parse(text) as {
        images: { id: number; file_name: string }[];
        categories: { id: number; name: string }[];
        annotations: { id: number; image_id: number; area: number; bbox: number[]; iscrowd: number }[];
      };
      const before = (await rita.json<ChangesResponse>('GET', `/api/projects/${pid}/changes?since=0`)).body.seq;
      const res = await admin.raw('POST', `/api/projects/${pid}/import/coco`, text, { 'content-type': 'application/json' });
      expect(res.status).toBe(200);
      const report = (await res.json()) as { masks: number; boxes: number; newImages: number; newCategories: string[] };
      expect(report.newImages).toBe(file.images.length);
      expect([...report.newCategories].sort()).toEqual(file.categories.map((c) => c.name).sort());
      expect(report.masks + report.boxes).toBeGreaterThan(0.95 * file.annotations.length);
      // rita (another client) pulls exactly what the import wrote
      let cursor = before;
      let pulled = 0;
      for (;;) {
        const p = await rita.json<ChangesResponse>('GET', `/api/projects/${pid}/changes?since=${cursor}`);
        pulled += p.body.changes.length;
        cursor = p.body.seq;
        if (!p.body.more) break;
      }
      expect(pulled).toBe(report.newImages + report.newCategories.length + report.masks + report.boxes);
      const coco = (await (await rita.raw('GET', `/api/projects/${pid}/export/coco`)).json()) as typeof file;
      const original = new Map(file.annotations.map((a) => [a.id, a]));
      const exported = coco.annotations.filter((a) => original.has(a.id));
      expect(exported).toHaveLength(report.masks);
      for (const a of exported) {
        const o = original.get(a.id)!;
        expect(a.area).toBe(o.area);
        expect(a.bbox).toEqual(o.bbox);
        expect(a.iscrowd).toBe(o.iscrowd);
        expect(coco.images.find((im) => im.id === a.image_id)?.file_name).toBe(file.images.find((im) => im.id === o.image_id)?.file_name);
      }
    });

    it('refuses what is not a COCO file, and imports by admins only, changing nothing', async () => {
      const before = await counts();
      const bad = await admin.json<{ error: string }>('POST', `/api/projects/${pid}/import/coco`, {
        images: [{ id: 'x' }],
        categories: [],
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatch(/COCO/);
      const notCoco = await admin.json<{ error: string }>('POST', `/api/projects/${pid}/import/coco`, { hello: 'world' });
      expect(notCoco.status).toBe(400);
      expect((await anna.json('POST', `/api/projects/${pid}/import/coco`, { images: [], categories: [] })).status).toBe(403);
      expect(await counts()).toEqual(before);
    });

    it('never gives an import’s new records the id of a record already there (pushed with an id nobody reserved), and says so', async () => {
      // a mask with an id nobody reserved, stored the way records written before id blocks were recorded are
      // (a client's push now moves the counter past such ids; this one goes in without that)
      const theirs = annotation(1, 2, 1);
      const annaUser = (await server.service.checkPassword('anna', 'anna-password'))!;
      await server.service.push(pid, annaUser, 'annotator', { clientId: 'a', ops: [op('annotations', theirs)] });
      const before = await admin.json<RecordsResponse>('GET', `/api/projects/${pid}/records`);
      const r = await admin.json<{ idsPassedOver: number; masks: number; newImages: number }>('POST', `/api/projects/${pid}/import/coco`, {
        images: [{ id: 7, file_name: 'new.jpg', width: 8, height: 6 }],
        categories: [{ id: 1, name: 'cat1' }],
        annotations: [
          { id: 9, image_id: 7, category_id: 1, bbox: [1, 1, 2, 2], area: 4, iscrowd: 0, segmentation: [[1, 1, 3, 1, 3, 3, 1, 3]] },
        ],
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ masks: 1, newImages: 1 });
      expect(r.body.idsPassedOver).toBeGreaterThanOrEqual(1);
      const after = await admin.json<RecordsResponse>('GET', `/api/projects/${pid}/records`);
      const find = (res: typeof after, coll: string, id: number) => res.body.records.find((x) => x.coll === coll && x.id === id)?.data;
      // what was there is as it was; the import added one image and one mask beside it
      for (const rec of before.body.records) expect(find(after, rec.coll, rec.id), `${rec.coll} ${rec.id}`).toEqual(rec.data);
      expect(after.body.records.length).toBe(before.body.records.length + 2);
    });

    it('a new record may not take an id another client reserved; an id nobody reserved moves the counter past it', async () => {
      // rita's session reserves a block of annotation ids (as the app does before making masks)
      const block = await anna.json<{ first: number; last: number }>('POST', `/api/projects/${pid}/ids`, {
        coll: 'annotations',
        count: 10,
      });
      expect(block.status).toBe(200);
      const { first, last } = block.body;
      // olaf is an admin elsewhere; here the admin adds him as an annotator, and he pushes a mask with one of anna's ids
      expect((await admin.json('PUT', `/api/projects/${pid}/members`, { username: 'olaf', role: 'annotator' })).status).toBe(200);
      const taken = await olaf.json<{ error: string; refused: { id: number }[] }>('POST', `/api/projects/${pid}/push`, {
        clientId: 'o',
        ops: [op('annotations', annotation(first + 3, 2, 1))],
      });
      expect(taken.status).toBe(403);
      expect(taken.body.error).toMatch(/reserved by another/);
      expect(taken.body.refused).toEqual([expect.objectContaining({ id: first + 3 })]);
      // anna herself uses her ids
      expect(
        (await anna.json('POST', `/api/projects/${pid}/push`, { clientId: 'a', ops: [op('annotations', annotation(first, 2, 1))] })).status,
      ).toBe(200);
      // an id past every reservation is taken, and later blocks start after it: no one is ever handed that id again
      const far = last + 1000;
      expect(
        (await olaf.json('POST', `/api/projects/${pid}/push`, { clientId: 'o', ops: [op('annotations', annotation(far, 2, 1))] })).status,
      ).toBe(200);
      const next = await anna.json<{ first: number; last: number }>('POST', `/api/projects/${pid}/ids`, { coll: 'annotations', count: 5 });
      expect(next.body.first).toBeGreaterThan(far);
    });

    it('holds an import to what a push may store: 5,000-character names are refused, nothing imported', async () => {
      const before = await counts();
      const file = (imageName: string, categoryName: string) => ({
        images: [{ id: 1, file_name: imageName, width: 8, height: 6 }],
        categories: [{ id: 1, name: categoryName }],
        annotations: [
          { id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 2, 2], area: 4, iscrowd: 0, segmentation: [[1, 1, 3, 1, 3, 3, 1, 3]] },
        ],
      });
      const longCategory = await admin.json<{ error: string }>(
        'POST',
        `/api/projects/${pid}/import/coco`,
        file('new.jpg', 'c'.repeat(5000)),
      );
      expect(longCategory.status).toBe(400);
      expect(longCategory.body.error).toMatch(/categories \d+: name/);
      const longFile = await admin.json<{ error: string }>(
        'POST',
        `/api/projects/${pid}/import/coco`,
        file(`${'f'.repeat(5000)}.jpg`, 'cat'),
      );
      expect(longFile.status).toBe(400);
      expect(longFile.body.error).toMatch(/images \d+: fileName/);
      expect(await counts()).toEqual(before);
      expect((await admin.json('POST', `/api/projects/${pid}/import/coco`, file('new.jpg', 'cat'))).status).toBe(200);
    });
  });

  describe('files', () => {
    it('stores an image under the hash of its bytes and serves it back to members only', async () => {
      const bytes = readFileSync(SAMPLE);
      const sha = createHash('sha256').update(bytes).digest('hex');
      const put = await admin.raw('PUT', `/api/projects/${pid}/files/${sha}`, bytes);
      expect(put.status).toBe(201);
      const got = await anna.raw('GET', `/api/projects/${pid}/files/${sha}`);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('image/png');
      expect(got.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      // named by its hash: kept by the browser, never fetched again
      expect(got.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
      // every answer: no referrer, no devices, connections to the server's own origin only; API answers not kept
      const api = await anna.raw('GET', `/api/projects/${pid}/changes?since=0`);
      for (const r of [got, api]) {
        expect(r.headers.get('referrer-policy')).toBe('no-referrer');
        expect(r.headers.get('permissions-policy')).toMatch(/camera=\(\)/);
        expect(r.headers.get('content-security-policy')).toMatch(/connect-src 'self' blob: data:;/);
      }
      expect(api.headers.get('cache-control')).toBe('no-store');
      // the other project's admin cannot read it through either project
      expect((await olaf.raw('GET', `/api/projects/${pid}/files/${sha}`)).status).toBe(404);
      expect((await olaf.raw('GET', `/api/projects/${other}/files/${sha}`)).status).toBe(404);
    });

    it('refuses a file whose bytes do not hash to its name, or that is not an image, keeping nothing', async () => {
      const bytes = readFileSync(SAMPLE);
      const wrong = createHash('sha256').update('something else').digest('hex');
      const r = await admin.raw('PUT', `/api/projects/${pid}/files/${wrong}`, bytes);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toMatch(/SHA-256/);
      const html = Buffer.from('<html><script>alert(1)</script></html>');
      const h = await admin.raw('PUT', `/api/projects/${pid}/files/${createHash('sha256').update(html).digest('hex')}`, html);
      expect(h.status).toBe(415);
      expect(await counts()).toMatchObject({ files: 0 });
    });
  });

  describe('hostile input', () => {
    const push = (c: TestClient, ops: unknown[], project = pid) =>
      c.json<{ error: string }>('POST', `/api/projects/${project}/push`, { clientId: 'h', ops });

    it('refuses records that do not fit their image (mask size, boxes, prompts, waiting boxes, no such image), changing nothing', async () => {
      const before = await counts();
      const huge = { size: [20_000, 20_000] as [number, number], counts: rleStringFromCounts([20_000 * 20_000]) };
      const cases: [string, unknown, RegExp][] = [
        ['a 20000x20000 mask on an 8x6 image', { ...annotation(5, 1, 1), segmentation: huge }, /mask is 20000x20000.*image 8x6/],
        [
          'a mask with width and height swapped',
          { ...annotation(5, 1, 1), segmentation: { size: [8, 6], counts: rleStringFromCounts([48]) } },
          /mask is 6x8/,
        ],
        ['a box at 1e300', { ...annotation(5, 1, 1), bbox: [1e300, -1e300, 1, 1] }, /far outside/],
        [
          'a prompt at 1e308',
          { ...annotation(5, 1, 1), prompts: { points: [{ x: 1e308, y: -1e308, positive: true }], box: null } },
          /prompt at/,
        ],
        ['an area larger than the image', { ...annotation(5, 1, 1), area: 1e9 }, /area/],
        ['an annotation on an image the project lacks', annotation(5, 77, 1), /image 77, which the project does not have/],
      ];
      for (const [what, data, message] of cases) {
        const r = await push(anna, [op('annotations', data as Annotation)]);
        expect([what, r.status]).toEqual([what, 400]);
        expect(r.body.error, what).toMatch(message);
      }
      const box = await push(anna, [op('pendingBoxes', { id: 6, imageId: 1, categoryId: 1, bbox: [1, 1, -5, 2] })]);
      expect(box.status).toBe(400);
      expect(box.body.error).toMatch(/negative size/);
      // one bad record refuses the whole push
      const mixed = await push(anna, [
        op('annotations', annotation(7, 1, 1)),
        op('annotations', { ...annotation(8, 1, 1), segmentation: huge }),
      ]);
      expect(mixed.status).toBe(400);
      expect(await counts()).toEqual(before);
      // an image pushed with its masks is checked against as pushed
      expect(
        (await push(admin, [op('images', image(3, { width: 20, height: 10 })), op('annotations', annotation(9, 3, 1))])).body.error,
      ).toMatch(/mask is 8x6 \(width x height\), its image 20x10/);
      expect((await push(anna, [op('annotations', annotation(10, 1, 1))])).status).toBe(200);
    });

    it('answers 400, not 500, to repeated operation ids, numbers past the database, cut RLE and the NUL character', async () => {
      const before = await counts();
      const a = op('annotations', annotation(5, 1, 1));
      const cases: [string, () => Promise<{ status: number; body: { error?: string } }>, RegExp][] = [
        ['one opId twice in a push', () => push(anna, [a, { ...op('annotations', annotation(6, 1, 1)), opId: a.opId }]), /one id/],
        ['changes since 99999999999', () => anna.json('GET', `/api/projects/${pid}/changes?since=99999999999`), /since/],
        [
          'records after annotations:9999999999',
          () => anna.json('GET', `/api/projects/${pid}/records?after=annotations:9999999999`),
          /after/,
        ],
        [
          'RLE cut in the middle of a count',
          () => push(anna, [op('annotations', { ...annotation(5, 1, 1), segmentation: { size: [6, 8], counts: 'P' } })]),
          /malformed RLE/,
        ],
        ['NUL in a file name', () => push(admin, [op('images', image(4, { fileName: 'a\u0000.jpg' }))]), /NUL/],
        ['NUL in a project name', () => admin.json('POST', '/api/projects', { name: 'x\u0000y' }), /NUL/],
        ['NUL in a user name', () => admin.json('POST', '/api/users', { username: 'bo\u0000b', password: 'a-long-password' }), /NUL/],
        ['NUL in a category name', () => push(admin, [op('categories', category(9, 'c\u0000t'))]), /NUL/],
      ];
      for (const [what, run, message] of cases) {
        const r = await run();
        expect([what, r.status]).toEqual([what, 400]);
        expect(r.body.error, what).toMatch(message);
      }
      expect(await counts()).toEqual(before);
    });

    it('refuses a body nested millions of levels deep by its nesting, before parsing it', async () => {
      const deep = `{"clientId":"h","ops":[${'['.repeat(3_000_000)}${']'.repeat(3_000_000)}]}`;
      const r = await anna.raw('POST', `/api/projects/${pid}/push`, deep, { 'content-type': 'application/json' });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toMatch(/nesting deeper than 64 levels/);
      // brackets inside strings are text, not nesting
      const text = await push(admin, [op('categories', category(5, '[[[['.repeat(40)))]);
      expect(text.status).toBe(200);
    });

    it('answers each with a clear 4xx and changes nothing', async () => {
      const before = await counts();
      const cases: [string, () => Promise<{ status: number; body: unknown }>, number, RegExp][] = [
        [
          'an oversized body',
          () =>
            anna.json('POST', `/api/projects/${pid}/push`, {
              clientId: 'h',
              ops: [op('annotations', { ...annotation(5, 1, 1), source: 'x'.repeat(33 * 1024 * 1024) })],
            }),
          413,
          /larger than/,
        ],
        [
          'an oversized login',
          () => client().json('POST', '/api/login', { username: 'a', password: 'p'.repeat(70_000) }),
          413,
          /larger than/,
        ],
        [
          'malformed RLE (runs do not cover the size)',
          () => push(anna, [op('annotations', { ...annotation(5, 1, 1), segmentation: { size: [6, 8], counts: '3' } })]),
          400,
          /malformed RLE/,
        ],
        [
          'RLE with characters outside the alphabet',
          () => push(anna, [op('annotations', { ...annotation(5, 1, 1), segmentation: { size: [6, 8], counts: '~~{}' } })]),
          400,
          /compressed RLE/,
        ],
        ['an unknown project id', () => push(anna, [op('annotations', annotation(5, 1, 1))], 999_999), 404, /No such project/],
        [
          'a project id that is not a number',
          () => anna.json('GET', '/api/projects/1%3B%20drop%20table%20users/changes'),
          404,
          /ids are positive/,
        ],
        ['an unknown collection', () => push(anna, [{ opId: 'q', coll: 'users', id: 1, baseRev: null, data: null }]), 400, /coll/],
        [
          'a record id that differs from its data',
          () => push(anna, [{ ...op('annotations', annotation(5, 1, 1)), id: 6 }]),
          400,
          /differs/,
        ],
        ['an unknown member', () => admin.json('DELETE', `/api/projects/${pid}/members/424242`), 404, /not a member/],
        [
          'SQL metacharacters in a user name',
          () => admin.json('POST', '/api/users', { username: "x'; drop table users; --", password: 'long-enough' }),
          400,
          /user name/,
        ],
        [
          'a __proto__ key',
          () =>
            anna
              .raw('POST', `/api/projects/${pid}/push`, `{"clientId":"h","ops":[],"__proto__":{"admin":true}}`, {
                'content-type': 'application/json',
              })
              .then(async (r) => ({ status: r.status, body: await r.json() })),
          400,
          /__proto__/,
        ],
        [
          'a __proto__ key deep in a record',
          () =>
            anna
              .raw(
                'POST',
                `/api/projects/${pid}/push`,
                JSON.stringify({ clientId: 'h', ops: [op('annotations', annotation(5, 1, 1))] }).replace(
                  '"source":"sam"',
                  '"source":"sam","coco":{"id":1,"extra":{"__proto__":{"x":1}}}',
                ),
                { 'content-type': 'application/json' },
              )
              .then(async (r) => ({ status: r.status, body: await r.json() })),
          400,
          /__proto__/,
        ],
        [
          'a body that is not JSON',
          () =>
            anna
              .raw('POST', `/api/projects/${pid}/push`, '{"ops": [', { 'content-type': 'application/json' })
              .then(async (r) => ({ status: r.status, body: await r.json() })),
          400,
          /not valid JSON/,
        ],
        [
          'a body sent as a form',
          () =>
            anna
              .raw('POST', `/api/projects/${pid}/push`, 'ops=1', { 'content-type': 'application/x-www-form-urlencoded' })
              .then(async (r) => ({ status: r.status, body: await r.json() })),
          415,
          /JSON/,
        ],
        [
          'a path-traversal file name',
          () =>
            admin
              .raw('PUT', `/api/projects/${pid}/files/..%2F..%2F..%2Fetc%2Fpasswd`, 'x')
              .then(async (r) => ({ status: r.status, body: await r.json() })),
          400,
          /SHA-256/,
        ],
        [
          'a path-traversal file read',
          () =>
            admin.raw('GET', `/api/projects/${pid}/files/..%2F..%2Fpgdata`).then(async (r) => ({ status: r.status, body: await r.json() })),
          404,
          /No such file/,
        ],
        ['a negative cursor', () => anna.json('GET', `/api/projects/${pid}/changes?since=-5`), 400, /since/],
      ];
      for (const [what, call, status, message] of cases) {
        const r = await call();
        expect(r.status, what).toBe(status);
        expect(String((r.body as { error?: string }).error), what).toMatch(message);
      }
      expect(await counts()).toEqual(before);
      // nothing a hostile body said reached a prototype
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });

    it('keeps SQL metacharacters in a project name as text', async () => {
      const name = `Robert'); DROP TABLE projects; -- "x" \\ %`;
      const r = await admin.json<{ project: { id: number; name: string } }>('POST', '/api/projects', { name });
      expect(r.status).toBe(201);
      const got = await admin.json<{ project: { name: string } }>('GET', `/api/projects/${r.body.project.id}`);
      expect(got.body.project.name).toBe(name);
      expect((await admin.json<{ projects: unknown[] }>('GET', '/api/projects')).body.projects).toHaveLength(3);
    });
  });

  describe('authorization', () => {
    type Who = 'admin' | 'annotator' | 'reviewer' | 'outsider' | 'anonymous';
    /** Every route with who may call it; everyone else is refused (403 for members, 404 for non-members, 401 anonymous). */
    const routes: { name: string; allowed: Who[]; call: (c: TestClient, project: number) => Promise<Response> }[] = [
      { name: 'GET project', allowed: ['admin', 'annotator', 'reviewer'], call: (c, p) => c.raw('GET', `/api/projects/${p}`) },
      { name: 'PATCH project', allowed: ['admin'], call: (c, p) => jsonCall(c, 'PATCH', `/api/projects/${p}`, { name: 'Renamed' }) },
      { name: 'GET members', allowed: ['admin', 'annotator', 'reviewer'], call: (c, p) => c.raw('GET', `/api/projects/${p}/members`) },
      {
        name: 'PUT member',
        allowed: ['admin'],
        call: (c, p) => jsonCall(c, 'PUT', `/api/projects/${p}/members`, { username: 'olaf', role: 'reviewer' }),
      },
      {
        name: 'POST ids',
        allowed: ['admin', 'annotator'],
        call: (c, p) => jsonCall(c, 'POST', `/api/projects/${p}/ids`, { coll: 'annotations', count: 5 }),
      },
      {
        name: 'GET changes',
        allowed: ['admin', 'annotator', 'reviewer'],
        call: (c, p) => c.raw('GET', `/api/projects/${p}/changes?since=0`),
      },
      { name: 'GET records', allowed: ['admin', 'annotator', 'reviewer'], call: (c, p) => c.raw('GET', `/api/projects/${p}/records`) },
      {
        name: 'GET history',
        allowed: ['admin', 'annotator', 'reviewer'],
        call: (c, p) => c.raw('GET', `/api/projects/${p}/history/images/1`),
      },
      { name: 'GET export', allowed: ['admin', 'annotator', 'reviewer'], call: (c, p) => c.raw('GET', `/api/projects/${p}/export/coco`) },
      {
        name: 'GET mask PNGs',
        allowed: ['admin', 'annotator', 'reviewer'],
        call: (c, p) => c.raw('GET', `/api/projects/${p}/export/masks`),
      },
      { name: 'GET YOLO', allowed: ['admin', 'annotator', 'reviewer'], call: (c, p) => c.raw('GET', `/api/projects/${p}/export/yolo`) },
      {
        name: 'POST import',
        allowed: ['admin'],
        call: (c, p) =>
          jsonCall(c, 'POST', `/api/projects/${p}/import/coco`, {
            images: [{ id: 5, file_name: 'new.jpg', width: 8, height: 6 }],
            categories: [{ id: 1, name: 'cat1' }],
            annotations: [],
          }),
      },
      {
        name: 'PUT file',
        allowed: ['admin'],
        call: (c, p) => {
          const bytes = readFileSync(SAMPLE);
          return c.raw('PUT', `/api/projects/${p}/files/${createHash('sha256').update(bytes).digest('hex')}`, bytes);
        },
      },
      {
        name: 'push a new annotation',
        allowed: ['admin', 'annotator'],
        call: (c, p) => jsonCall(c, 'POST', `/api/projects/${p}/push`, { clientId: 'z', ops: [op('annotations', annotation(77, 1, 1))] }),
      },
      {
        name: 'push a new image',
        allowed: ['admin'],
        call: (c, p) => jsonCall(c, 'POST', `/api/projects/${p}/push`, { clientId: 'z', ops: [op('images', image(9))] }),
      },
      {
        name: 'push a category change',
        allowed: ['admin'],
        call: (c, p) => jsonCall(c, 'POST', `/api/projects/${p}/push`, { clientId: 'z', ops: [op('categories', category(1, 'renamed'))] }),
      },
      {
        name: "push an image's done mark",
        allowed: ['admin', 'annotator', 'reviewer'],
        call: (c, p) => jsonCall(c, 'POST', `/api/projects/${p}/push`, { clientId: 'z', ops: [op('images', image(1, { done: true }))] }),
      },
      {
        name: 'push an image resize',
        allowed: ['admin'],
        call: (c, p) => jsonCall(c, 'POST', `/api/projects/${p}/push`, { clientId: 'z', ops: [op('images', image(1, { width: 99 }))] }),
      },
      {
        name: 'push an annotation review',
        allowed: ['admin', 'annotator', 'reviewer'],
        call: (c, p) =>
          jsonCall(c, 'POST', `/api/projects/${p}/push`, {
            clientId: 'z',
            ops: [op('annotations', { ...annotation(50, 1, 1), review: 'accepted' })],
          }),
      },
      {
        name: 'push an annotation removal',
        allowed: ['admin', 'annotator', 'reviewer'],
        call: (c, p) => jsonCall(c, 'POST', `/api/projects/${p}/push`, { clientId: 'z', ops: [op('annotations', null, 50)] }),
      },
      {
        name: 'push a skipped object',
        allowed: ['admin', 'annotator'],
        call: (c, p) =>
          jsonCall(c, 'POST', `/api/projects/${p}/push`, {
            clientId: 'z',
            ops: [op('skipped', { id: 3, imageId: 1, timeMs: 31_000, clicks: 4, strokes: 0, at: 1 })],
          }),
      },
      { name: 'DELETE member', allowed: ['admin'], call: (c, p) => c.raw('DELETE', `/api/projects/${p}/members/${userIds.get('rita')}`) },
      { name: 'DELETE project', allowed: ['admin'], call: (c, p) => c.raw('DELETE', `/api/projects/${p}`) },
    ];
    const userIds = new Map<string, number>();
    function jsonCall(c: TestClient, method: string, path: string, body: unknown): Promise<Response> {
      return c.raw(method, path, JSON.stringify(body), { 'content-type': 'application/json' });
    }

    it('allows each route to the roles it names and refuses everyone else, on this project and through another project', async () => {
      for (const u of (await admin.json<{ users: { id: number; username: string }[] }>('GET', '/api/users')).body.users)
        userIds.set(u.username, u.id);
      // olaf is an outsider here (a member of the other project); anna's and rita's roles are in `pid` only
      const whoClient: Record<Exclude<Who, 'admin'>, TestClient> = { annotator: anna, reviewer: rita, outsider: olaf, anonymous: client() };
      const failures: string[] = [];
      for (const route of routes) {
        for (const who of ['anonymous', 'outsider', 'reviewer', 'annotator', 'admin'] as Who[]) {
          // a fresh project admin for the destructive admin routes (the shared one stays)
          let c: TestClient;
          if (who === 'admin') {
            c = client();
            await c.login('anna', 'anna-password');
          } else c = whoClient[who];
          let project = pid;
          if (who === 'admin') {
            // anna is made admin of a new copy of the project so deleting it does not break the next rows
            const p = await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'copy' });
            project = p.body.project.id;
            await admin.json('PUT', `/api/projects/${project}/members`, { username: 'anna', role: 'admin' });
            await admin.json('PUT', `/api/projects/${project}/members`, { username: 'rita', role: 'reviewer' });
            await admin.json('POST', `/api/projects/${project}/push`, {
              clientId: 'seed',
              ops: [op('categories', category(1)), op('images', image(1)), op('annotations', annotation(50, 1, 1))],
            });
          } else {
            await admin.json('POST', `/api/projects/${pid}/push`, { clientId: 'seed', ops: [op('annotations', annotation(50, 1, 1))] });
            await admin.json('PUT', `/api/projects/${pid}/members`, { username: 'rita', role: 'reviewer' });
          }
          const res = await route.call(c, project);
          const expected = route.allowed.includes(who) ? 'ok' : who === 'anonymous' ? 401 : who === 'outsider' ? 404 : 403;
          const got = res.status < 300 ? 'ok' : res.status;
          if (got !== expected) failures.push(`${route.name} as ${who}: ${res.status} (expected ${expected}) ${await res.text()}`);
        }
        // another project's id: anna (annotator here) and rita are nobody in `other`
        for (const c of [anna, rita]) {
          const res = await route.call(c, other);
          if (res.status !== 404) failures.push(`${route.name} on another project's id: ${res.status} (expected 404)`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('keeps the user list and account creation to server admins', async () => {
      expect((await anna.json('GET', '/api/users')).status).toBe(403);
      expect((await olaf.json('POST', '/api/users', { username: 'mallory', password: 'long-enough' })).status).toBe(403);
      expect((await client().json('GET', '/api/users')).status).toBe(401);
      expect((await admin.json('POST', '/api/users', { username: 'mallory', password: 'long-enough' })).status).toBe(201);
    });

    it('lets only server admins create projects, unless the server allows every account', async () => {
      const refused = await anna.json<{ error: string }>('POST', '/api/projects', { name: 'mine' });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatch(/only server admins create projects/);
      expect((await admin.json('POST', '/api/projects', { name: 'theirs' })).status).toBe(201);
      const open = await startTestServer(url(), { projectCreators: 'everyone' });
      try {
        await open.service.createUser('zoe', 'zoe-password', false);
        const zoe = TestClient.inProcess(open);
        await zoe.login('zoe', 'zoe-password');
        expect((await zoe.json('POST', '/api/projects', { name: 'mine' })).status).toBe(201);
      } finally {
        await open.close();
      }
    });

    it('lists only the projects a user is a member of', async () => {
      const names = async (c: TestClient) =>
        (await c.json<{ projects: { name: string; role: string }[] }>('GET', '/api/projects')).body.projects;
      expect(await names(anna)).toEqual([expect.objectContaining({ name: 'Cats', role: 'annotator' })]);
      expect(await names(olaf)).toEqual([expect.objectContaining({ name: 'Other', role: 'admin' })]);
    });
  });
});
