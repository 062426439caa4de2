/**
 * For the server's tests and benchmarks: a server on a fresh database (PGlite in memory, or a new
 * database on a throwaway PostgreSQL cluster) and a client that keeps its session cookie and CSRF
 * token, calling the app in-process (`app.request`) or over HTTP.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApp, SESSION_COOKIE } from './app.ts';
import { openDatabase, type OpenedDb } from './db.ts';
import { FileStore } from './files.ts';
import { Service } from './service.ts';
import { openQueue } from './preannotate.ts';
import type PgBoss from 'pg-boss';
import type { PgCluster } from '../node/pgCluster.ts';

export interface TestServer {
  app: ReturnType<typeof createApp>['app'];
  service: Service;
  opened: OpenedDb;
  dataDir: string;
  queue: PgBoss | null;
  close(): Promise<void>;
}

let dbCount = 0;

/** A server on PGlite in memory (`url` null) or on a new database of the PostgreSQL at `url`. */
export async function startTestServer(
  url: string | null,
  options: Partial<Parameters<typeof createApp>[0]> = {},
  extra: { queue?: boolean } = {},
): Promise<TestServer> {
  let dbUrl: string | null = null;
  if (url) {
    const name = `sam_test_${process.pid}_${++dbCount}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${name}`;
    dbUrl = u.toString();
  }
  const opened = await openDatabase(dbUrl, null);
  const dataDir = mkdtempSync(join(tmpdir(), 'sam-server-'));
  const service = new Service(opened.db);
  const queue = extra.queue ? await openQueue(opened, { maintenanceIntervalSeconds: 1 }) : null;
  const { app } = createApp({ service, files: new FileStore(dataDir), appDir: null, queue, ...options });
  return {
    app,
    service,
    opened,
    dataDir,
    queue,
    close: async () => {
      await queue?.stop({ graceful: false, wait: true });
      await opened.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type Fetch = (path: string, init: RequestInit) => Promise<Response>;

/** A logged-in (or not yet) user of the API. */
export class TestClient {
  cookie = '';
  csrf = '';
  constructor(private readonly fetcher: Fetch) {}

  static inProcess(server: TestServer): TestClient {
    return new TestClient(async (path, init) => server.app.request(path, init));
  }

  static http(base: string): TestClient {
    return new TestClient((path, init) => fetch(base + path, init));
  }

  async raw(method: string, path: string, body?: BodyInit | null, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = `${SESSION_COOKIE}=${this.cookie}`;
    if (this.csrf && method !== 'GET' && !('x-csrf-token' in h)) h['x-csrf-token'] = this.csrf;
    const res = await this.fetcher(path, {
      method,
      headers: h,
      body: body ?? null,
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    const set = res.headers.get('set-cookie');
    const m = set && new RegExp(`${SESSION_COOKIE}=([^;]*)`).exec(set);
    if (m) this.cookie = m[1]!;
    return res;
  }

  async json<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const res = await this.raw(method, path, body === undefined ? null : JSON.stringify(body), {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T };
  }

  async login(username: string, password: string): Promise<number> {
    const r = await this.json<{ csrfToken: string }>('POST', '/api/login', { username, password });
    if (r.status === 200) this.csrf = r.body.csrfToken;
    return r.status;
  }
}

/**
 * A server project made as a team would make it: the admin uploads image files (as the app does,
 * named by their SHA-256), pushes their image records, then imports a COCO file with boxes only
 * (its annotations become boxes waiting to become masks). Returns the image ids by file name.
 */
export async function seedBoxProject(
  admin: TestClient,
  pid: number,
  coco: {
    images: { id: number; file_name: string; width: number; height: number }[];
    annotations: Record<string, unknown>[];
    categories: unknown[];
  },
  imagesDir: string,
): Promise<Map<string, number>> {
  const ids = (await admin.json<{ first: number }>('POST', `/api/projects/${pid}/ids`, { coll: 'images', count: coco.images.length })).body;
  const ops = [];
  let n = 0;
  for (const im of coco.images) {
    const bytes = readFileSync(join(imagesDir, im.file_name));
    const sha = createHash('sha256').update(bytes).digest('hex');
    const put = await admin.raw('PUT', `/api/projects/${pid}/files/${sha}`, bytes, { 'content-type': 'image/jpeg' });
    if (put.status !== 200 && put.status !== 201) throw new Error(`upload of ${im.file_name}: ${put.status} ${await put.text()}`);
    const id = ids.first + n++;
    ops.push({
      opId: `seed-${pid}-${id}`,
      coll: 'images',
      id,
      baseRev: null,
      data: { id, fileName: im.file_name, width: im.width, height: im.height, sha256: sha },
    });
  }
  const push = await admin.json('POST', `/api/projects/${pid}/push`, { clientId: 'seed', ops });
  if (push.status !== 200) throw new Error(`push: ${push.status} ${JSON.stringify(push.body)}`);
  const boxesOnly = {
    ...coco,
    annotations: coco.annotations
      .filter((a) => !a.iscrowd)
      .map((a) => ({ id: a.id, image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, iscrowd: 0 })),
  };
  const imp = await admin.json('POST', `/api/projects/${pid}/import/coco`, boxesOnly);
  if (imp.status !== 200) throw new Error(`import: ${imp.status} ${JSON.stringify(imp.body)}`);
  return new Map(ops.map((o) => [o.data.fileName, o.id]));
}

/**
 * The databases every server case runs on: PGlite in the test process, and the throwaway PostgreSQL
 * cluster (skipped where Debian's PostgreSQL is not installed).
 */
export function testDatabases(cluster: () => PgCluster | null, hasPostgres: boolean) {
  return [
    { name: 'PGlite', url: () => null as string | null, skip: false },
    { name: 'PostgreSQL', url: () => cluster()!.url, skip: !hasPostgres },
  ];
}
