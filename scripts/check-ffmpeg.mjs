#!/usr/bin/env node
/* global console */
// Before the tests: `npm run track -- --video FILE` decodes video files with Debian's ffmpeg (ffmpeg and
// ffprobe). Finds them; where it can (root on Debian) installs them; otherwise says that the tests of
// `--video` will be skipped and how to run them.
import { spawnSync } from 'node:child_process';
import { aptInstall, canApt } from './apt-install.mjs';

const found = () => ['ffmpeg', 'ffprobe'].every((c) => spawnSync(c, ['-version'], { stdio: 'ignore' }).status === 0);

if (!found()) {
  if (canApt()) {
    console.log("The CLI's video-file tests need Debian's ffmpeg; installing it (apt-get install -y ffmpeg)...");
    aptInstall('ffmpeg');
  }
  if (!found())
    console.warn(
      'ffmpeg is not installed: the tests of `npm run track -- --video` will be skipped (sudo apt-get install -y ffmpeg, then run the tests again for them).',
    );
}
