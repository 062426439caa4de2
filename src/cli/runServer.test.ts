import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/run-server.mjs');
const { newest, stale } = (await import(SCRIPT)) as {
  newest: (paths: string[]) => number;
  stale: (output: string, sources: string[]) => boolean;
};

describe('npm run server builds only what is out of date (scripts/run-server.mjs)', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const at = (path: string, seconds: number) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'x');
    utimesSync(path, seconds, seconds);
  };

  it('rebuilds when the output is missing or older than a source anywhere under the source folders', () => {
    dir = mkdtempSync(join(tmpdir(), 'run-server-'));
    const src = join(dir, 'src');
    at(join(src, 'a.ts'), 1000);
    at(join(src, 'deep', 'er', 'b.ts'), 2000);
    at(join(src, 'node_modules', 'c.js'), 9000); // not a source
    expect(newest([src, join(dir, 'missing')])).toBe(2000 * 1000);
    const out = join(dir, 'dist', 'server.mjs');
    expect(stale(out, [src])).toBe(true);
    at(out, 3000);
    expect(stale(out, [src])).toBe(false);
    at(join(src, 'deep', 'er', 'b.ts'), 4000);
    expect(stale(out, [src])).toBe(true);
  });
});
