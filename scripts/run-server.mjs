#!/usr/bin/env node
/* global console */
// `npm run server -- ...`: builds what is out of date, then runs the project server (dist-cli/server.mjs)
// with the arguments given. The app (dist/) is built only when the server will serve it and its sources
// changed since the last build; the Node tools (dist-cli/) only when theirs changed. So `create-admin`,
// `create-user`, `set-password` and `--help` take a second, not a rebuild of the app each time.
import { execSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** The newest modification time (ms) of the files under `paths` (missing ones skipped). */
export function newest(paths) {
  let t = 0;
  const walk = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules' && !name.startsWith('.')) walk(join(p, name));
    } else t = Math.max(t, s.mtimeMs);
  };
  for (const p of paths) walk(p);
  return t;
}

/** Whether `output` is missing or older than any of `sources`. */
export function stale(output, sources) {
  return !existsSync(output) || statSync(output).mtimeMs < newest(sources);
}

/** The server's commands that need no app build (they never serve it). */
const NO_APP = new Set(['create-admin', 'create-user', 'set-password', 'worker', '--help', '-h', 'help']);

const SHARED = ['src', 'package.json', 'package-lock.json', 'tsconfig.json'];
export const APP_SOURCES = [...SHARED, 'index.html', 'public', 'vite.config.ts'];
export const CLI_SOURCES = [...SHARED, 'bench', 'vite.cli.config.ts'];

function main() {
  const args = process.argv.slice(2);
  const serves = !args.some((a) => NO_APP.has(a));
  if (serves && stale('dist/index.html', APP_SOURCES)) {
    console.error('Building the app (its sources changed since the last build)…');
    execSync('npm run -s build', { stdio: 'inherit' });
  }
  if (stale('dist-cli/server.mjs', CLI_SOURCES)) {
    console.error('Building the server (its sources changed since the last build)…');
    execSync('npm run -s build:cli', { stdio: 'inherit' });
  }
  const child = spawn(process.execPath, ['dist-cli/server.mjs', ...args], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
