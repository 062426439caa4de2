#!/usr/bin/env node
/* global process, console */
// Before the tests: the server tests run against a throwaway PostgreSQL cluster besides the embedded
// PGlite, with Debian's postgresql server programs (initdb, pg_ctl). Finds them; where it can (root on
// Debian) installs them; otherwise says that those tests will be skipped and how to run them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const found = () => {
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((v) => existsSync(`${root}/${v}/bin/initdb`));
};

if (!found()) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && existsSync('/usr/bin/apt-get')) {
    console.log("The server tests need Debian's postgresql; installing it (apt-get install -y postgresql)...");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [
      ['update', '-q'],
      ['install', '-y', '-q', 'postgresql'],
    ]) {
      const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
      if (r.status !== 0) break;
    }
  }
  if (!found())
    console.warn(
      'PostgreSQL server programs are not installed: the server tests will run on the embedded PGlite only ' +
        '(sudo apt-get install -y postgresql, then run the tests again for both).',
    );
}
