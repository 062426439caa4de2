/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` and `pg_ctl` (Debian's
 * `postgresql` package) on a temporary directory, listening on a loopback port only, removed when
 * stopped. As root it runs the server as the `postgres` user (PostgreSQL refuses to run as root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The directory of PostgreSQL's server programs, or null (with why) when they are not installed. */
export function findPgBin(): { dir: string | null; why: string } {
  const fromPath = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates: string[] = [];
  if (fromPath.status === 0) candidates.push(fromPath.stdout.trim());
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) candidates.push(join(root, v, 'bin'));
  for (const dir of candidates) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return { dir, why: '' };
  return { dir: null, why: 'PostgreSQL server programs (initdb, pg_ctl) are not installed: apt-get install postgresql' };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface PgCluster {
  url: string;
  port: number;
  /** stops the server (fast) and removes its directory */
  stop(): void;
  /** stops the server at once, as a crash would (`immediate`), keeping its files */
  kill(): void;
  /** starts it again on the same directory and port */
  start(): void;
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = findPgBin();
  if (!bin.dir) throw new Error(bin.why);
  const dir = mkdtempSync(join(tmpdir(), 'sam-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (prog: string, args: string[]) => {
    const cmd = join(bin.dir!, prog);
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-w',
      '-l',
      join(dir, 'log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      'start',
    ]);
  start();
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    kill: () => run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']),
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
