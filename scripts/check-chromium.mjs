#!/usr/bin/env node
/* global process, console */
// Before the tests: the end-to-end tests and benchmarks drive Debian's Chromium (Playwright cannot
// download a browser here). Finds it; where it can (root on Debian) installs it; otherwise stops at
// once with the exact command to run.
import { accessSync, constants, existsSync } from 'node:fs';
import { aptInstall, canApt } from './apt-install.mjs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const usable = (p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

if (!usable(path)) {
  if (process.env.CHROMIUM_PATH) {
    console.error(
      `CHROMIUM_PATH is ${path}, which is not an executable file. Point it at a Chromium, or unset it to use /usr/bin/chromium.`,
    );
    process.exit(1);
  }
  const apt = existsSync('/usr/bin/apt-get');
  if (canApt()) {
    console.log("The end-to-end tests need Debian's chromium; installing it (apt-get install -y chromium)...");
    const failed = aptInstall('chromium');
    if (failed) {
      console.error(`${failed}. Install it by hand: apt-get install -y chromium`);
      process.exit(1);
    }
  } else {
    console.error(
      [
        `The end-to-end tests need Chromium at ${path}, and there is none.`,
        apt
          ? "Install Debian's chromium, then run the tests again:\n\n    sudo apt-get install -y chromium\n"
          : 'Install Chromium, then run the tests again with CHROMIUM_PATH=/path/to/chromium npm test',
        'Or point CHROMIUM_PATH at another Chromium or Chrome binary.',
      ].join('\n'),
    );
    process.exit(1);
  }
  if (!usable(path)) {
    console.error(`chromium was installed but ${path} is still missing; set CHROMIUM_PATH to where it is.`);
    process.exit(1);
  }
}
