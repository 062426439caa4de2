/* global process */
// Installs a Debian package the tests need, when this is root on Debian: apt-get update, then
// install. Answers null when done, else the failing step (or why it could not be tried).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const canApt = () => typeof process.getuid === 'function' && process.getuid() === 0 && existsSync('/usr/bin/apt-get');

export function aptInstall(pkg) {
  if (!canApt()) return 'not root on Debian';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-q'],
    ['install', '-y', '-q', pkg],
  ]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) return `apt-get ${args.join(' ')} failed (exit ${r.status})`;
  }
  return null;
}
