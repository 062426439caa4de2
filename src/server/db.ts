/**
 * Opens the server's database: PostgreSQL at `DATABASE_URL` when given, else an embedded PostgreSQL
 * (PGlite) in the data directory. Both run the same migrations and the same queries (Kysely).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, type MigrationProvider } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { PGliteThread } from './pgliteThread.ts';
import { MIGRATIONS, type Database } from './schema.ts';

export interface OpenedDb {
  db: Kysely<Database>;
  /** 'pglite' (embedded, in the data directory or in memory) or 'postgres' */
  kind: 'pglite' | 'postgres';
  /**
   * How the work queue (pg-boss) reaches the same database: its own pool to DATABASE_URL, or the
   * embedded database's one connection, taken in turn with the server's queries.
   */
  queue: { connectionString: string } | { db: { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> } };
  close(): Promise<void>;
}

/**
 * `url` a postgres:// URL, or null for PGlite in `dataDir`/pgdata (`dataDir` null: in memory, for
 * tests). Migrations are run before it is returned.
 */
export async function openDatabase(url: string | null, dataDir: string | null): Promise<OpenedDb> {
  let opened: OpenedDb;
  if (url) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // fail now, with the server's own message, rather than on the first request
    await pool.query('select 1').catch(async (e: unknown) => {
      await pool.end().catch(() => undefined);
      throw new Error(`Cannot connect to the PostgreSQL server at DATABASE_URL: ${(e as Error).message}`);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    opened = { db, kind: 'postgres', queue: { connectionString: url }, close: () => db.destroy() };
  } else {
    let dir: string | undefined;
    let unlock = () => undefined as void;
    if (dataDir) {
      dir = join(dataDir, 'pgdata');
      mkdirSync(dir, { recursive: true });
      unlock = lockDataDir(dataDir);
    }
    // on its own thread: a long statement does not hold the server's other requests
    const pglite = await PGliteThread.open(dir);
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite as unknown as PGlite) });
    // the queue's statements run on the connection Kysely hands out (so never inside a transaction of
    // the server's); a statement list without parameters (pg-boss's locked maintenance) as a script
    const executeSql = (text: string, values?: unknown[]) =>
      db.connection().execute(async () => {
        if (values && values.length) return pglite.query(text, values);
        const results = await pglite.exec(text);
        return { rows: results[results.length - 1]?.rows ?? [] };
      });
    opened = {
      db,
      kind: 'pglite',
      queue: { db: { executeSql } },
      close: async () => {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
        unlock();
      },
    };
  }
  await migrate(opened.db);
  return opened;
}

/** When a process started (Linux: clock ticks after boot, with the boot's id), or null where /proc does not tell. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after the command name (which may hold spaces and parentheses): starttime is the 20th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}:${fields[19]}`;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by another user
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The embedded database is one process's: a second process on the same data directory (a CLI
 * command while the server runs) would not see the server's writes, or damage them. A lock file
 * says who has it: the owner's process id and when that process started. A lock whose process is
 * gone, or whose id now belongs to another process (started at another time: ids are reused after a
 * crash or a reboot), is stale and taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const lock = join(dataDir, 'pglite.lock');
  if (existsSync(lock)) {
    const text = readFileSync(lock, 'utf8').trim();
    let owner: { pid: number; start: string | null };
    try {
      const j = JSON.parse(text) as { pid?: unknown; start?: unknown };
      owner = { pid: Number(j.pid), start: typeof j.start === 'string' ? j.start : null };
    } catch {
      // the earlier format: the process id alone
      owner = { pid: Number(text), start: null };
    }
    const held =
      owner.pid > 0 && owner.pid !== process.pid && alive(owner.pid) && (owner.start === null || owner.start === processStart(owner.pid));
    if (held)
      throw new Error(
        `The data directory ${dataDir} is in use by process ${owner.pid} (a running server). Stop it first, or make accounts while it runs with a server admin's account (POST /api/users). If no server runs on it, remove ${lock} and start again.`,
      );
  }
  writeFileSync(lock, JSON.stringify({ pid: process.pid, start: processStart(process.pid) }));
  return () => rmSync(lock, { force: true });
}

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

export async function migrate(db: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
}
