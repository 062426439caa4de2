import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';

const ROOT = resolve(import.meta.dirname, '..');
const PORT = 4191;

/** Whether something still listens on the port (a preview server left running). */
function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createServer()
      .once('error', () => done(false))
      .once('listening', () => s.close(() => done(true)))
      .listen(port, '127.0.0.1');
  });
}

test('the browser benchmark starts (built, bundled as npm run bench runs it) and stops everything it started', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['dist-cli/bench-browser.mjs', '--smoke'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_PORT: String(PORT) },
    timeout: 150_000,
  });
  expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ smoke: 'ok' });
  expect(await portFree(PORT)).toBe(true);
});
