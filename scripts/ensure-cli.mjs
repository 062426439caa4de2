// `npm run worker` on a fresh checkout: builds the Node tools (dist-cli/) once if they are not there.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import process from 'node:process';

if (!existsSync('dist-cli/server.mjs')) {
  process.stderr.write('Building the Node tools first (npm run build:cli)…\n');
  execSync('npm run -s build:cli', { stdio: 'inherit' });
}
