import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskIou } from '../core/mask/iou.ts';
import { readMaskPng } from '../node/image.ts';
import { NodeSam } from '../node/sam-node.ts';
import { evaluateVideo } from './eval-video.ts';

const DAVIS = resolve(import.meta.dirname, '../../../shared/datasets/davis2016-dev');

describe('npm run eval:video (src/cli/eval-video.ts)', () => {
  it('scores each method on the first frames of a sequence: copy as the IoU of the first mask, propagation above it', async () => {
    const seq = { name: 'car-shadow', dir: join(DAVIS, 'car-shadow') };
    const frames = 4;
    const sam = await NodeSam.load(undefined, { candidates: true });
    const lines: string[] = [];
    const { results, perFrameMs, robots } = await evaluateVideo([seq], ['copy', 'propagate', 'interpolate'], {
      every: 3,
      maxFrames: frames,
      feedback: false,
      sam,
      interactive: true,
      log: (l) => lines.push(l),
    });
    // copy: J is the mean IoU of the first mask with frames 1..3, computed here from the files
    const names = readdirSync(join(seq.dir, 'masks')).sort().slice(0, frames);
    const masks = names.map((n) => readMaskPng(join(seq.dir, 'masks', n)).mask);
    const copyJ = masks.slice(1).reduce((s, m) => s + maskIou(masks[0]!, m), 0) / (frames - 1);
    const copy = results.get('copy')![0]!;
    expect(copy).toMatchObject({ name: 'car-shadow', frames });
    expect(copy.J).toBeCloseTo(copyJ, 12);
    // propagation follows the car better than standing still, and every frame it decoded was encoded once
    const prop = results.get('propagate')![0]!;
    expect(prop.J).toBeGreaterThan(copy.J);
    expect(prop.JF).toBeCloseTo((prop.J + prop.F) / 2, 12);
    expect(perFrameMs).toHaveLength(frames - 1);
    // interpolation between ground-truth keyframes 0 and 3 gives frame 3 exactly
    expect(results.get('interpolate')![0]!.J).toBeGreaterThan(copy.J);
    expect(lines.some((l) => l.startsWith('propagate') && l.includes('car-shadow'))).toBe(true);
    // the correction robot ran on the propagation: one result, measures within range
    expect(robots).toHaveLength(1);
    for (const k of [1, 2, 5] as const) expect(robots[0]!.JFAfterCorrections[k]).toBeGreaterThan(copy.J);
    expect(robots[0]!.clicksPer100Frames85 ?? 0).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
