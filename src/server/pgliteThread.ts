/**
 * The embedded database (PGlite) on its own thread. PGlite is PostgreSQL compiled to WebAssembly: on
 * the server's thread each statement, and the parsing of its rows, ran between two HTTP requests, so
 * one large push or pull held every other request (`/api/health` waited seconds). Here the database
 * runs in a worker thread and the server's thread only sends a statement and receives its rows
 * (structured clone), so requests keep being answered while a statement runs.
 *
 * The object offers what the server uses of PGlite (`query`, `exec`, `close`, `closed`), so
 * Kysely's PGlite dialect and the work queue take it as they took PGlite.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface ThreadResult {
  rows: Record<string, unknown>[];
  affectedRows?: number;
  fields: { name: string; dataTypeID: number }[];
}

type Reply = { id: number; result?: unknown; error?: Record<string, unknown> };

/**
 * The worker's code (plain JavaScript: a worker runs what Node can load, and the server runs both
 * from its TypeScript sources in tests and from the built bundle). Errors go back with their
 * PostgreSQL fields (code, detail, constraint...), which the server's error handling reads.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
function errorOf(e) {
  const out = { message: String((e && e.message) || e), name: (e && e.name) || 'Error' };
  for (const k of Object.keys(e || {})) {
    const v = e[k];
    if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}
function plain(r) {
  return { rows: r.rows, affectedRows: r.affectedRows, fields: r.fields };
}
(async () => {
  let db;
  try {
    const { PGlite } = await import(workerData.module);
    db = new PGlite(workerData.dir || undefined);
    await db.waitReady;
  } catch (e) {
    parentPort.postMessage({ id: 0, error: errorOf(e) });
    return;
  }
  parentPort.postMessage({ id: 0, result: 'ready' });
  parentPort.on('message', async (m) => {
    try {
      let result = null;
      if (m.op === 'query') result = plain(await db.query(m.sql, m.params));
      else if (m.op === 'exec') result = (await db.exec(m.sql)).map(plain);
      else if (m.op === 'close') { if (!db.closed) await db.close(); }
      parentPort.postMessage({ id: m.id, result });
      if (m.op === 'close') parentPort.close();
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: errorOf(e) });
    }
  });
})();
`;

/** An error as the worker sent it, made an Error again with its fields (`code`: the SQLSTATE). */
function revive(fields: Record<string, unknown>): Error {
  const e = new Error(String(fields.message));
  Object.assign(e, fields);
  return e;
}

export class PGliteThread {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stopped: Error | null = null;
  closed = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: Reply) => this.settle(m));
    worker.on('error', (e: Error) => this.stop(new Error(`The embedded database stopped: ${e.message}`)));
    worker.on('exit', (code) => this.stop(new Error(`The embedded database stopped (its thread exited with code ${code}).`)));
    worker.unref();
  }

  /** Opens PGlite in `dir` (a data directory), or in memory; resolves once it is ready, else rejects with its error. */
  static async open(dir?: string): Promise<PGliteThread> {
    const module = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href.replace(/\.cjs$/, '.js');
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { module, dir: dir ?? null } });
    const thread = new PGliteThread(worker);
    await thread.call(0, null);
    return thread;
  }

  query(sql: string, params?: unknown[]): Promise<ThreadResult> {
    return this.send({ op: 'query', sql, params: params ?? [] }) as Promise<ThreadResult>;
  }

  /** A script of several statements without parameters; one result per statement. */
  exec(sql: string): Promise<ThreadResult[]> {
    return this.send({ op: 'exec', sql }) as Promise<ThreadResult[]>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.stopped) await this.send({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private send(message: Record<string, unknown>): Promise<unknown> {
    if (this.closed && message.op !== 'close') return Promise.reject(new Error('The embedded database is closed.'));
    if (this.stopped) return Promise.reject(this.stopped);
    return this.call(this.next++, message);
  }

  /** Waits for the reply `id`; the thread keeps the process alive only while a reply is awaited. */
  private call(id: number, message: Record<string, unknown> | null): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      if (message) this.worker.postMessage({ ...message, id });
    });
  }

  private settle(m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if (m.error) p.reject(revive(m.error));
    else p.resolve(m.result);
  }

  private stop(e: Error): void {
    if (this.stopped) return;
    this.stopped = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
