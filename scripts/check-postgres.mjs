#!/usr/bin/env node
/* global console */
// Before the tests: the server tests run against a throwaway PostgreSQL cluster besides the embedded
// PGlite, with Debian's postgresql server programs (initdb, pg_ctl). Finds them; where it can (root on
// Debian) installs them; otherwise says that those tests will be skipped and how to run them.
import { existsSync, readdirSync } from 'node:fs';
import { aptInstall, canApt } from './apt-install.mjs';

const found = () => {
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((v) => existsSync(`${root}/${v}/bin/initdb`));
};

if (!found()) {
  if (canApt()) {
    console.log("The server tests need Debian's postgresql; installing it (apt-get install -y postgresql)...");
    aptInstall('postgresql');
  }
  if (!found())
    console.warn(
      'PostgreSQL server programs are not installed: the server tests will run on the embedded PGlite only ' +
        '(sudo apt-get install -y postgresql, then run the tests again for both).',
    );
}
