import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir, processStart } from './db.ts';

describe("the embedded database's lock", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'lock-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const lockFile = (d: string) => join(d, 'pglite.lock');

  it('is refused while its process runs, naming it and how to recover', async () => {
    const other = spawn('sleep', ['30']);
    try {
      const d = dir();
      writeFileSync(lockFile(d), JSON.stringify({ pid: other.pid, start: processStart(other.pid!) }));
      expect(() => lockDataDir(d)).toThrow(new RegExp(`in use by process ${other.pid}.*remove .*pglite.lock`));
    } finally {
      other.kill();
    }
  });

  it('is taken over when its process id now belongs to another process (started at another time), or is gone', async () => {
    const other = spawn('sleep', ['30']);
    try {
      const d = dir();
      // the id of a live process, but the lock was written by one that started at another time
      writeFileSync(lockFile(d), JSON.stringify({ pid: other.pid, start: 'another-boot:12345' }));
      const unlock = lockDataDir(d);
      expect(JSON.parse(readFileSync(lockFile(d), 'utf8'))).toEqual({ pid: process.pid, start: processStart(process.pid) });
      unlock();
    } finally {
      other.kill();
    }
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    const d = dir();
    writeFileSync(lockFile(d), JSON.stringify({ pid: gone.pid, start: 'x' }));
    expect(() => lockDataDir(d)()).not.toThrow();
  });

  it('records when its process started (on Linux)', () => {
    expect(processStart(process.pid)).toMatch(/^[0-9a-f-]+:\d+$/);
  });
});
