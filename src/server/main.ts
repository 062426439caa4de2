/**
 * `npm run server [-- command] [flags]`: the project server.
 *
 *   (no command)          serve the app and the API
 *   create-admin          make a server admin (the first account)
 *   create-user           make an ordinary account
 *   set-password          give an account a new password
 *   worker                a pre-annotation and propagation worker (`npm run worker`): needs DATABASE_URL and
 *                         the server's data directory (its image files), --threads N (onnxruntime threads)
 *
 * `--encoder E.onnx --decoder D.onnx [--family auto|sam|sam2]` (worker, serve --workers): the workers
 * run that model instead of the bundled one (a SAM 2 / 2.1 pair, SAM ViT-H, ...).
 *
 * `--sam2-video DIR` (worker, serve --workers): propagation runs follow tracks with SAM 2's video memory, DIR
 * holding its four graphs as pagarcia/sam2-onnx-cpp exports them (as `npm run track --sam2-video`).
 *
 * `--workers N` (serve): N pre-annotation (and propagation) workers inside the server process (the
 * embedded database allows no others).
 *
 * Flags: --port (PORT, 8787), --host (HOST, 127.0.0.1), --data (DATA_DIR, ./server-data),
 * --app (the built app, ./dist), --trust-proxy (TRUST_PROXY=1: behind a reverse proxy, the login limit counts
 * by X-Forwarded-For), --username, and the password from SAM_PASSWORD or standard input.
 * DATABASE_URL: a PostgreSQL server to use instead of the embedded one in the data directory.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { openDatabase } from './db.ts';
import { FileStore } from './files.ts';
import { CHANGES_CHANNEL, Service } from './service.ts';
import { openQueue } from './preannotate.ts';
import pg from 'pg';
import { helpRequested } from './usage.ts';
import { newUserBody, username as usernameSchema } from './validate.ts';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) fail(`--${name} needs a value.`);
  return v;
}

function fail(msg: string): never {
  process.stderr.write(`\n${msg}\n`);
  process.exit(2);
}

async function readPassword(prompt: string): Promise<string> {
  if (process.env.SAM_PASSWORD) return process.env.SAM_PASSWORD;
  const rl = createInterface({
    input: process.stdin,
    output: process.stdin.isTTY ? process.stderr : undefined,
    terminal: !!process.stdin.isTTY,
  });
  if (process.stdin.isTTY) {
    process.stderr.write(prompt);
    // do not echo what is typed
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  }
  const line = await new Promise<string>((res) => {
    rl.once('line', res);
    rl.once('close', () => res(''));
  });
  rl.close();
  if (process.stdin.isTTY) process.stderr.write('\n');
  return line.replace(/\r$/, '');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const help = helpRequested(args);
  if (help) {
    process.stdout.write(help);
    return;
  }
  const command = args[0] && !args[0].startsWith('--') ? args[0] : 'serve';
  const dataDir = resolve(flag(args, 'data') ?? process.env.DATA_DIR ?? 'server-data');
  const url = process.env.DATABASE_URL || null;
  if (!['serve', 'create-admin', 'create-user', 'set-password', 'worker'].includes(command))
    fail(`Unknown command "${command}". Commands: (none) to serve, create-admin, create-user, set-password, worker.`);
  if (command === 'worker' && !url)
    fail(
      'A worker needs the server on PostgreSQL: set DATABASE_URL to the same database as the server. (A server on its embedded database runs its workers itself: npm run server -- --workers 1.)',
    );
  const inProcess = Number(flag(args, 'workers') ?? process.env.WORKERS ?? 0);
  if (!Number.isInteger(inProcess) || inProcess < 0 || inProcess > 64) fail(`--workers ${inProcess}: a whole number from 0 to 64.`);
  const threadsFlag = flag(args, 'threads') ?? process.env.THREADS;
  const threads = threadsFlag === undefined ? undefined : Number(threadsFlag);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256))
    fail(`--threads ${threadsFlag}: a whole number from 1 up.`);

  const encoderFlag = flag(args, 'encoder');
  const decoderFlag = flag(args, 'decoder');
  const familyFlag = flag(args, 'family') ?? 'auto';
  if (!!encoderFlag !== !!decoderFlag)
    fail('--encoder and --decoder go together: give both model files, or neither for the bundled model.');
  if (!['auto', 'sam', 'sam2'].includes(familyFlag)) fail(`--family ${familyFlag}: expected sam, sam2 or auto.`);
  for (const f of [encoderFlag, decoderFlag]) if (f && !existsSync(f)) fail(`${f}: no such model file.`);
  const sam2VideoFlag = flag(args, 'sam2-video') ?? null;
  if (sam2VideoFlag && !existsSync(sam2VideoFlag)) fail(`--sam2-video ${sam2VideoFlag}: no such folder (it holds SAM 2's video graphs).`);
  const workerModel =
    encoderFlag && decoderFlag ? { encoder: encoderFlag, decoder: decoderFlag, family: familyFlag as 'auto' | 'sam' | 'sam2' } : null;

  let opened;
  try {
    opened = await openDatabase(url, dataDir);
  } catch (e) {
    fail(
      `${(e as Error).message}\n${url ? 'Check DATABASE_URL (postgres://user:password@host:port/database).' : `Check that ${dataDir} is writable and no other server uses it.`}`,
    );
  }
  const service = new Service(opened.db);

  if (command !== 'serve' && command !== 'worker') {
    const name =
      flag(args, 'username') ?? fail(`${command} needs --username NAME (the password comes from SAM_PASSWORD or standard input).`);
    const u = usernameSchema.safeParse(name);
    if (!u.success) fail(`Bad user name: ${u.error.issues[0]?.message}`);
    const password = await readPassword(`Password for ${name}: `);
    const checked = newUserBody.safeParse({ username: name, password });
    if (!checked.success) fail(`Bad password: ${checked.error.issues[0]?.message}`);
    try {
      if (command === 'set-password') {
        if (!(await service.setPassword(name, password))) fail(`There is no user named "${name}".`);
        process.stdout.write(`Password of ${name} changed.\n`);
      } else {
        const user = await service.createUser(name, password, command === 'create-admin');
        process.stdout.write(`Created ${user.isAdmin ? 'server admin' : 'user'} ${user.username} (id ${user.id}).\n`);
      }
    } catch (e) {
      await opened.close();
      fail((e as Error).message);
    }
    await opened.close();
    return;
  }

  if (command === 'worker') {
    const { startWorkers, storeSource, httpSource } = await import('./worker.ts');
    const serverUrl = flag(args, 'server') ?? process.env.SAM_SERVER;
    let images;
    if (serverUrl) {
      const user =
        flag(args, 'username') ??
        fail('--server needs --username NAME of a server admin (the password from SAM_PASSWORD or standard input).');
      images = httpSource(serverUrl.replace(/\/+$/, ''), user, await readPassword(`Password for ${user}: `));
    } else images = storeSource(new FileStore(dataDir));
    const boss = await openQueue(opened);
    const workers = await startWorkers(
      service,
      boss,
      images,
      Math.max(1, inProcess),
      threads,
      (line) => process.stdout.write(`${line}\n`),
      workerModel,
      sam2VideoFlag,
    ).catch((e: unknown) => fail(modelFailure(e)));
    process.stdout.write(
      `Pre-annotation worker ${workers.map((w) => w.name).join(', ')} waiting for work (pre-annotation and propagation runs; images from ${images.label})\n`,
    );
    const stop = () => {
      // the image under way is finished (or, on a second signal, left to the queue: another worker redoes it)
      process.once('SIGINT', () => process.exit(1));
      process.once('SIGTERM', () => process.exit(1));
      void Promise.all(workers.map((w) => w.stop()))
        .then(() => boss.stop({ graceful: true, wait: true, timeout: 600_000 }))
        .finally(() => void opened.close().finally(() => process.exit(0)));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return;
  }

  const appDir = resolve(flag(args, 'app') ?? 'dist');
  if (!existsSync(resolve(appDir, 'index.html'))) fail(`The built app is not in ${appDir}: run npm run build first (npm run server does).`);
  const port = Number(flag(args, 'port') ?? process.env.PORT ?? 8787);
  const host = flag(args, 'host') ?? process.env.HOST ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port ${port}: a port is a whole number from 1 to 65535.`);
  const trustProxy = args.includes('--trust-proxy') || process.env.TRUST_PROXY === '1';
  const projectCreators = args.includes('--anyone-creates-projects') || process.env.PROJECT_CREATORS === 'everyone' ? 'everyone' : 'admins';
  const files = new FileStore(dataDir);
  const queue = await openQueue(opened);
  const { app, hub } = createApp({
    service,
    files,
    appDir,
    trustProxy,
    projectCreators,
    queue,
    workers: opened.kind === 'postgres' ? 'external' : inProcess,
  });
  // commits of other processes on the same PostgreSQL (workers, a second server) reach this one's live clients
  const unlisten = opened.kind === 'postgres' ? await listenForChanges(url!, (pid, seq) => hub.emit(pid, seq)) : async () => undefined;
  let workers: { stop(): Promise<void> }[] = [];
  if (inProcess > 0) {
    const { startWorkers, storeSource } = await import('./worker.ts');
    workers = await startWorkers(
      service,
      queue,
      storeSource(files),
      inProcess,
      threads,
      (line) => process.stdout.write(`${line}\n`),
      workerModel,
      sam2VideoFlag,
    ).catch((e: unknown) => fail(modelFailure(e)));
  }
  const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
    process.stdout.write(
      `Project server on http://${host}:${info.port}/ (${opened.kind === 'postgres' ? 'PostgreSQL at DATABASE_URL' : `embedded PostgreSQL in ${dataDir}/pgdata`}; files in ${dataDir}/files${inProcess ? `; ${inProcess} pre-annotation worker(s)` : ''})\n`,
    );
  });
  server.on('error', (e: NodeJS.ErrnoException) => {
    fail(e.code === 'EADDRINUSE' ? `Port ${port} is in use: pick another with --port.` : `The server could not start: ${e.message}`);
  });
  const stop = () => {
    server.close();
    void Promise.all(workers.map((w) => w.stop()))
      .then(() => queue.stop({ graceful: true, wait: true, timeout: 30_000 }))
      .then(unlisten)
      .finally(() => void opened.close().finally(() => process.exit(0)));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** LISTENs for the commits of other processes; returns how to stop (a lost connection is made again). */
async function listenForChanges(url: string, onChange: (projectId: number, seq: number) => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, application_name: 'sam-annotator-listen' });
    c.on('notification', (n) => {
      const m = /^(\d+):(\d+)$/.exec(n.payload ?? '');
      if (n.channel === CHANGES_CHANNEL && m) onChange(Number(m[1]), Number(m[2]));
    });
    c.on('error', () => {
      client = null;
      void c.end().catch(() => undefined);
      if (!stopped) setTimeout(() => void connect().catch(() => undefined), 2000);
    });
    await c.connect();
    await c.query(`listen ${CHANGES_CHANNEL}`);
    client = c;
  };
  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => undefined);
  };
}

void main().catch((e: unknown) => fail(`The server stopped: ${(e as Error).stack ?? String(e)}`));

/** A model the workers could not load, as one message with what to do. */
function modelFailure(e: unknown): string {
  const err = e as { message?: string; hint?: string };
  return `${err.message ?? String(e)}${err.hint ? `\n${err.hint}` : ''}`;
}
