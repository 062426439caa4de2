/**
 * Video (issue 29), in the built app on the real model: a folder of DAVIS 2016 frames opened as a
 * clip, the dog clicked on frame 0 and accepted (a track), propagated to the end; the masks equal
 * those `npm run track` computes for the same frames and click; a correction on a later frame made
 * a keyframe and propagation run again recomputes only the frames after it; a reload keeps it all;
 * COCO, YouTube-VIS and palette PNG exports imported back give identical tracks.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { expect, test } from '@playwright/test';
import { maskFromRle, rleIou, type CocoRle } from '../src/core/mask/rle.ts';
import { regionJ } from '../src/core/video/metrics.ts';
import { promptsFromMask } from '../src/core/video/propagate.ts';
import { readMaskPng } from '../src/node/image.ts';
import { clickImage, gotoApp, liveMask, ready, SHARED } from './helpers.ts';

const DOG = join(SHARED, 'datasets/davis2016-dev/dog');
const FRAMES = 8;
const ROOT = resolve(import.meta.dirname, '..');

test.describe.configure({ timeout: 480_000 });

test('a frames folder: click the dog on frame 0, propagate to the end (= the CLI), correct a later frame, propagate again, reload', async ({
  page,
}) => {
  // the clip's first frames, as a folder of their own (the test's temporary folder, not the project)
  const tmp = mkdtempSync(join(tmpdir(), 'video-e2e-'));
  const dir = join(tmp, 'dog');
  mkdirSync(dir);
  const names = readdirSync(join(DOG, 'frames')).sort().slice(0, FRAMES);
  for (const n of names) copyFileSync(join(DOG, 'frames', n), join(dir, n));
  try {
    const truth = names.map((n) => readMaskPng(join(DOG, 'masks', n.replace(/\.jpg$/, '.png'))));
    const { width, height } = truth[0]!;
    // the click: the point deepest inside the dog on frame 0 (as a person clicks its middle)
    const click = promptsFromMask(truth[0]!.mask, width, height)!.points[0]!;

    await gotoApp(page);
    await page.getByTestId('frames-input').setInputFiles(dir);
    await ready(page);
    const clips = await page.evaluate(() => window.annotator.video.clips());
    expect(clips).toHaveLength(1);
    expect(clips[0]!.frames.map((f) => f.frame)).toEqual([...Array(FRAMES).keys()]);
    expect([clips[0]!.width, clips[0]!.height]).toEqual([width, height]);
    await expect(page.getByTestId('timeline-frame')).toContainText(`frame 0 / ${FRAMES - 1}`);

    // frame 0: one click, accepted: a track with its keyframe
    await clickImage(page, click.x, click.y);
    expect((await liveMask(page))!.area).toBeGreaterThan(10_000);
    await page.keyboard.press('Enter');
    let tracks = await page.evaluate(() => window.annotator.video.tracks());
    expect(tracks).toHaveLength(1);
    expect(tracks[0]!.masks.map((m) => [m.frame, m.role])).toEqual([[0, 'key']]);
    expect(await page.evaluate(() => window.annotator.video.selectedTrack())).toBe(tracks[0]!.id);
    await expect(page.locator('[data-testid=track-lane] .cell[data-frame="0"]')).toHaveAttribute('data-role', 'key');

    // propagate to the end with the timeline's button (flags only marked, not stopping)
    await page.evaluate(() => window.annotator.video.setStopOnFlag(false));
    await page.getByTestId('propagate-forward').click();
    const end = await page.evaluate(() => window.annotator.video.finished());
    expect(end!.status).toBe('done');
    expect(end!.done).toBe(FRAMES - 1);
    tracks = await page.evaluate(() => window.annotator.video.tracks());
    const first = tracks[0]!.masks;
    expect(first.map((m) => m.frame)).toEqual([...Array(FRAMES).keys()]);
    expect(first.slice(1).every((m) => m.role === 'propagated')).toBe(true);
    await expect(page.locator('[data-testid=track-lane] .cell[data-role=propagated]')).toHaveCount(
      FRAMES - 1 - first.filter((m) => m.flag).length,
    );

    // the CLI on the same frames and click: the same masks (IoU >= 0.99 each frame)
    const out = join(tmp, 'cli.json');
    execFileSync('node', [join(ROOT, 'dist-cli/track.mjs'), '--frames', dir, '--click', `${click.x},${click.y}`, '--out', out], {
      stdio: 'pipe',
    });
    const cli = JSON.parse(readFileSync(out, 'utf8')) as {
      images: { id: number; frame_index: number }[];
      annotations: { image_id: number; track_id: number; segmentation: CocoRle }[];
    };
    const cliFrame = new Map(cli.images.map((im) => [im.id, im.frame_index]));
    const cliByFrame = new Map(cli.annotations.map((a) => [cliFrame.get(a.image_id)!, a.segmentation]));
    const ious = first.map((m) => rleIou(m.segmentation, cliByFrame.get(m.frame)!));
    console.log(`IoU with the CLI per frame: ${ious.map((x) => x.toFixed(4)).join(' ')}`);
    for (const m of first) expect(rleIou(m.segmentation, cliByFrame.get(m.frame)!), `frame ${m.frame}`).toBeGreaterThanOrEqual(0.99);
    // and it tracks the dog: J against the ground truth
    const J = first.slice(1).map((m) => regionJ(maskFromRle(m.segmentation), truth[m.frame]!.mask));
    expect(Math.min(...J)).toBeGreaterThan(0.7);

    // a correction on frame 5: a background click where the mask spills (here: any click makes it a keyframe)
    await page.keyboard.press('.'); // frame 1
    expect(await page.evaluate(() => window.annotator.currentImage()?.video?.frame)).toBe(1);
    await page.evaluate(() => window.annotator.video.showFrame(5));
    await ready(page);
    // the timeline's playhead stands over the shown frame's cell
    const cell = (await page.locator('[data-testid=track-lane] .cell[data-frame="5"]').first().boundingBox())!;
    const head = (await page.getByTestId('timeline-playhead').boundingBox())!;
    expect(Math.abs(head.x - cell.x)).toBeLessThan(1.5);
    expect(Math.abs(head.width - cell.width)).toBeLessThan(1.5);
    const five = truth[5]!;
    const p5 = promptsFromMask(five.mask, width, height)!.points[0]!;
    await page.keyboard.down('Alt');
    await clickImage(page, p5.x, p5.y);
    await page.keyboard.up('Alt');
    expect((await liveMask(page))!.area).toBeGreaterThan(10_000);
    await page.keyboard.press('Enter');
    tracks = await page.evaluate(() => window.annotator.video.tracks());
    expect(tracks).toHaveLength(1);
    const corrected = tracks[0]!.masks;
    expect(corrected.find((m) => m.frame === 5)!.role).toBe('key');
    // propagating again from frame 5 (the T key) recomputes 6 and 7 only; 1-4 are as they were
    await page.keyboard.press('t');
    await expect.poll(() => page.evaluate(() => window.annotator.video.progress()?.status)).toBe('done');
    await page.evaluate(() => window.annotator.video.finished());
    const again = (await page.evaluate(() => window.annotator.video.tracks()))[0]!.masks;
    for (const f of [0, 1, 2, 3, 4]) expect(again[f]!.segmentation, `frame ${f}`).toEqual(first[f]!.segmentation);
    for (const f of [0, 1, 2, 3, 4]) expect(again[f]!.annotationId).toBe(first[f]!.annotationId);
    expect(again[5]!.role).toBe('key');
    for (const f of [6, 7]) {
      expect(again[f]!.role).toBe('propagated');
      // recomputed from the corrected keyframe: the mask followed is frame 5's new one
      expect(rleIou(again[f]!.segmentation, again[5]!.segmentation)).toBeGreaterThan(0.5);
    }
    expect(await page.evaluate(() => window.annotator.video.progress()!.done)).toBe(2);
    // statistics per clip and track: two keyframes made by a person (their clock time), six propagated frames
    const stats = await page.evaluate(() => window.annotator.video.stats());
    expect(stats.clips[0]).toMatchObject({
      clipFrames: FRAMES,
      tracks: 1,
      frames: FRAMES,
      keyframes: 2,
      propagated: FRAMES - 2,
      interpolated: 0,
    });
    expect(stats.tracks[0]!.activeMs).toBeGreaterThan(0);
    expect(stats.tracks[0]!.clicks).toBe(2);

    // a reload: the clip and the track are all there
    await expect(page.getByTestId('save-state')).toHaveText('saved');
    await page.reload();
    await ready(page);
    const reloaded = await page.evaluate(() => window.annotator.video.tracks());
    expect(reloaded[0]!.masks.map((m) => [m.frame, m.role, m.segmentation])).toEqual(again.map((m) => [m.frame, m.role, m.segmentation]));
    expect((await page.evaluate(() => window.annotator.video.clips()))[0]!.frames).toHaveLength(FRAMES);

    // exports: COCO (videos, frame_index, track_id), YouTube-VIS and palette PNGs, through the export dialog
    const exported = async (label: RegExp) => {
      await page.getByRole('button', { name: 'Export…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Export' });
      await dialog.getByLabel(label).check();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        dialog.getByRole('button', { name: 'Export', exact: true }).click(),
      ]);
      const path = join(tmp, download.suggestedFilename());
      await download.saveAs(path);
      return path;
    };
    const cocoFile = await exported(/COCO JSON, RLE/);
    // the project's images: the demo photos a first start opens, and the clip's frames
    const { images: imagesBefore } = await page.evaluate(() => window.annotator.counts());
    const coco = JSON.parse(readFileSync(cocoFile, 'utf8')) as {
      videos: { length: number }[];
      images: { frame_index: number }[];
      annotations: { track_id: number }[];
    };
    expect(coco.videos).toHaveLength(1);
    expect(coco.videos[0]!.length).toBe(FRAMES);
    expect(coco.images.map((im) => im.frame_index).sort((a, b) => a - b)).toEqual([...Array(FRAMES).keys()]);
    expect(new Set(coco.annotations.map((a) => a.track_id)).size).toBe(1);
    const ytvisFile = await exported(/YouTube-VIS/);
    const ytvis = JSON.parse(readFileSync(ytvisFile, 'utf8')) as {
      videos: { length: number }[];
      annotations: { segmentations: unknown[] }[];
    };
    expect(ytvis.videos[0]!.length).toBe(FRAMES);
    expect(ytvis.annotations[0]!.segmentations).toHaveLength(FRAMES);
    const paletteDir = join(tmp, 'palette');
    const zip = unzipSync(readFileSync(await exported(/Palette PNGs/)));
    for (const [name, bytes] of Object.entries(zip)) {
      mkdirSync(dirname(join(paletteDir, name)), { recursive: true });
      writeFileSync(join(paletteDir, name), bytes);
    }
    expect(Object.keys(zip).filter((n) => n.endsWith('.png'))).toHaveLength(FRAMES);
    const expected = again.map((m) => [m.frame, m.segmentation]);
    const tracksNow = async () =>
      (await page.evaluate(() => window.annotator.video.tracks())).map((t) => t.masks.map((m) => [m.frame, m.segmentation]));

    // each imported into a new project with the same frames: identical tracks
    for (const [what, input, files] of [
      ['YouTube-VIS', 'tracks-input', [ytvisFile]],
      ['palette PNGs', 'palette-input', [paletteDir]],
    ] as const) {
      await page.getByRole('button', { name: 'New', exact: true }).click();
      await expect.poll(async () => (await page.evaluate(() => window.annotator.counts())).images).toBe(0);
      await page.getByTestId('frames-input').setInputFiles(dir);
      await ready(page);
      await page.getByTestId(input).setInputFiles([...files]);
      await expect.poll(tracksNow, { message: what }).toEqual([expected]);
    }
    // COCO into an empty project: the clip and its track come back (the frames' files then opened by name)
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await expect.poll(async () => (await page.evaluate(() => window.annotator.counts())).images).toBe(0);
    await page.getByTestId('coco-input').setInputFiles(cocoFile);
    await expect.poll(tracksNow).toEqual([expected]);
    expect((await page.evaluate(() => window.annotator.video.clips()))[0]!.frames).toHaveLength(FRAMES);
    await page.getByTestId('frames-input').setInputFiles(dir);
    await ready(page);
    // the frames found their records: none added twice
    expect(await page.evaluate(() => window.annotator.counts())).toMatchObject({ images: imagesBefore });
    expect((await page.evaluate(() => window.annotator.video.clips()))[0]!.frames).toHaveLength(FRAMES);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
