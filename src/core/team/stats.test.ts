import { describe, expect, it } from 'vitest';
import type { Annotation, Project } from '../project/types.ts';
import { RATE_MIN_ACTIVE_MS, RATE_MIN_MASKS, teamStats } from './stats.ts';

function project(times: number[]): Project {
  const annotations: Annotation[] = times.map((timeMs, i) => ({
    id: i + 1,
    imageId: 1,
    categoryId: 1,
    segmentation: { size: [2, 2], counts: '04' },
    area: 4,
    bbox: [0, 0, 2, 2],
    score: 1,
    prompts: { points: [], box: null },
    source: 'sam',
    timeMs,
    clicks: 1,
    createdAt: Date.UTC(2026, 10, 20, 9, i),
  }));
  return {
    name: 'p',
    images: [{ id: 1, fileName: 'a.jpg', width: 2, height: 2 }],
    categories: [{ id: 1, name: 'c', color: '#000000' }],
    annotations,
    skipped: [],
  } as unknown as Project;
}

const creators = (n: number) => new Map(Array.from({ length: n }, (_, i) => [`annotations:${i + 1}`, 'anna']));

describe('team statistics: rates only from enough data', () => {
  it('gives masks per hour with what it is made of, and says when that is too little to mean anything', () => {
    // two masks of a tenth of a second: 36,000 an hour by arithmetic, which nobody does
    const few = teamStats(project([100, 100]), creators(2), []).annotators[0]!;
    expect(few.masksPerHour).toBeCloseTo(36_000, 6);
    expect(few).toMatchObject({ timedMasks: 2, activeMs: 200, masksPerHourShown: false });
    // enough masks but a minute in all: still no rate
    const quick = teamStats(project(Array(RATE_MIN_MASKS).fill(6_000)), creators(RATE_MIN_MASKS), []).annotators[0]!;
    expect(quick.masksPerHourShown).toBe(false);
    // enough masks and minutes: 10 masks of 40 s, 400 s, 90 an hour
    const t = Math.ceil(RATE_MIN_ACTIVE_MS / RATE_MIN_MASKS / 1000) * 1000;
    const enough = teamStats(project(Array(RATE_MIN_MASKS).fill(t)), creators(RATE_MIN_MASKS), []).annotators[0]!;
    expect(enough).toMatchObject({ timedMasks: RATE_MIN_MASKS, activeMs: RATE_MIN_MASKS * t, masksPerHourShown: true });
    expect(enough.masksPerHour).toBeCloseTo(3_600_000 / t, 6);
    // one mask fewer: not shown
    const short = teamStats(project(Array(RATE_MIN_MASKS - 1).fill(t * 2)), creators(RATE_MIN_MASKS - 1), []).annotators[0]!;
    expect(short.masksPerHourShown).toBe(false);
  });
});
