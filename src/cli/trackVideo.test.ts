/**
 * `npm run track -- --video FILE`: a video file decoded by ffmpeg (src/node/videoFile.ts) is the same
 * clip as its frames folder (frame count, size, pixels within the codec's loss, each frame at its own
 * index), damaged and cut-off files keep their good frames with the lost ones named, a machine without
 * ffmpeg is told what to install, and the dog tracked from the video follows the frames folder's track.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maskIou } from '../core/mask/iou.ts';
import { maskFromRle, type CocoRle } from '../core/mask/rle.ts';
import { promptsFromMask } from '../core/video/propagate.ts';
import { readMaskPng, readRgbaImage } from '../node/image.ts';
import { NodeSam } from '../node/sam-node.ts';
import { openVideoFile } from '../node/videoFile.ts';
import { folderFrames, trackFrames, videoFrames } from './track.ts';

/** ffmpeg and ffprobe are here (scripts/check-ffmpeg.mjs installs them where it can; else the file tests are skipped, said once) */
const FFMPEG = ['ffmpeg', 'ffprobe'].every((c) => spawnSync(c, ['-version'], { stdio: 'ignore' }).status === 0);
if (!FFMPEG) console.warn('ffmpeg is not installed: the video-file tests are skipped (sudo apt-get install -y ffmpeg).');
const DAVIS = resolve(import.meta.dirname, '../../../shared/datasets/davis2016-dev');
const tmp = mkdtempSync(join(tmpdir(), 'track-video-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Mean absolute difference per colour channel (0-255) between two RGBA images. */
function meanDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  let n = 0;
  for (let k = 0; k < a.length; k++)
    if (k % 4 !== 3) {
      s += Math.abs(a[k]! - b[k]!);
      n++;
    }
  return s / n;
}

const jpeg = (frame: number) => readRgbaImage(join(DAVIS, 'dog/frames', `${String(frame).padStart(5, '0')}.jpg`)).data;

describe('a video file decoded by ffmpeg', () => {
  it.skipIf(!FFMPEG).each(['dog.mp4', 'dog.webm'])(
    '%s: every frame, at its size and index, close to the JPEG frame of that index',
    async (file) => {
      const v = await openVideoFile(join(DAVIS, file));
      try {
        expect([v.total, v.width, v.height, v.fps]).toEqual([60, 854, 480, 24]);
        expect(v.frames).toEqual([...Array(60).keys()]);
        expect(v.damaged).toEqual([]);
        for (const i of [0, 1, 13, 30, 59]) {
          const own = meanDiff(v.read(i).data, jpeg(i));
          // lossy re-encoding: a few levels off; the neighbouring frame (the dog moves) is further
          expect(own).toBeLessThan(6);
          expect(own).toBeLessThan(meanDiff(v.read(i).data, jpeg(i === 59 ? 58 : i + 1)));
        }
      } finally {
        v.close();
      }
    },
  );

  it.skipIf(!FFMPEG)('a cut-off file: the frames before the cut, each at its index, and the lost ones named', async () => {
    const bytes = readFileSync(join(DAVIS, 'dog.webm'));
    const cut = join(tmp, 'cut.webm');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const v = await openVideoFile(cut);
    try {
      expect(v.frames.length).toBeGreaterThan(10);
      expect(v.frames.length).toBeLessThan(60);
      expect([...v.frames, ...v.damaged].sort((a, b) => a - b)).toEqual([...Array(v.total).keys()]);
      const k = v.frames.length - 1;
      expect(meanDiff(v.read(k).data, jpeg(v.frames[k]!))).toBeLessThan(6);
    } finally {
      v.close();
    }
  });

  it('not a video, no such file, no ffmpeg: a message that says what is wrong and what to do', async () => {
    const notes = join(tmp, 'notes.mp4');
    writeFileSync(notes, 'hello, this is not a video');
    await expect(openVideoFile(notes)).rejects.toThrow(/could not be read as a video/);
    await expect(openVideoFile(join(tmp, 'missing.mp4'))).rejects.toThrow(`There is no file ${join(tmp, 'missing.mp4')}.`);
    const none = openVideoFile(join(DAVIS, 'dog.mp4'), { ffprobe: join(tmp, 'no-ffprobe'), ffmpeg: join(tmp, 'no-ffmpeg') });
    await expect(none).rejects.toThrow(`Reading a video file needs ${join(tmp, 'no-ffprobe')}, which is not installed here.`);
    await expect(none).rejects.toMatchObject({ hint: expect.stringContaining('apt-get install ffmpeg') });
  });
});

describe.skipIf(!FFMPEG)('track --video', () => {
  it('the dog tracked from dog.mp4 follows the track from its frames folder (same click, same model)', async () => {
    const sam = await NodeSam.load(undefined, { candidates: true });
    const truth = readMaskPng(join(DAVIS, 'dog/masks/00000.png'));
    const click = promptsFromMask(truth.mask, truth.width, truth.height)!.points[0]!;
    const common = { start: { clicks: [click] }, startFrame: 0, direction: 1 as const, limit: 8, category: 'dog', stopOnFlag: false, sam };
    const fromFolder = await trackFrames({ ...common, source: folderFrames(join(DAVIS, 'dog/frames')) });
    const v = await openVideoFile(join(DAVIS, 'dog.mp4'));
    const fromVideo = await trackFrames({ ...common, source: videoFrames(v, join(DAVIS, 'dog.mp4')) }).finally(() => v.close());
    // the app's names for a video's frames, the clip named by the file
    expect(fromVideo.project.images.map((im) => im.fileName).slice(0, 2)).toEqual(['dog/00000.png', 'dog/00001.png']);
    expect(fromVideo.project.images[0]!.video).toEqual({ id: 1, name: 'dog.mp4', frame: 0, fps: 24 });
    const masks = (p: typeof fromVideo.project) =>
      p.annotations.sort((a, b) => a.imageId - b.imageId).map((a) => maskFromRle(a.segmentation as CocoRle));
    const a = masks(fromFolder.project);
    const b = masks(fromVideo.project);
    expect(b).toHaveLength(8);
    // the video's pixels are a few levels off the JPEGs' (lossy re-encoding) and propagation carries small
    // differences on (IoU 0.93-0.99 between the two tracks here): the same object, tracked as well
    const gt = (f: number) => readMaskPng(join(DAVIS, 'dog/masks', `${String(f).padStart(5, '0')}.png`)).mask;
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    for (let i = 0; i < 8; i++) expect(maskIou(a[i]!, b[i]!)).toBeGreaterThan(0.9);
    const jFolder = mean(a.map((m, i) => maskIou(m, gt(i))));
    const jVideo = mean(b.map((m, i) => maskIou(m, gt(i))));
    expect(Math.abs(jVideo - jFolder)).toBeLessThan(0.05);
  }, 120_000);
});
