import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/check-chromium.mjs');

describe('npm test checks for Chromium first (scripts/check-chromium.mjs)', () => {
  it('a CHROMIUM_PATH that is not there stops at once with what to do', () => {
    const r = spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('CHROMIUM_PATH is /nonexistent/chromium, which is not an executable file');
    expect(r.stderr).toContain('unset it to use /usr/bin/chromium');
  });

  it('an executable Chromium passes silently', () => {
    // any executable stands in: the check is that it is there and runnable, not which browser it is
    const r = spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, CHROMIUM_PATH: process.execPath }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});
