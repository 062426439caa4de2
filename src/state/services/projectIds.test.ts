/** The tab's ids: reserved blocks, and the ids handed out while a block is still being reserved. */
import { describe, expect, it } from 'vitest';
import { emptyProject } from '../../core/project/types.ts';
import { idCounters as counters } from '../test/fakeDeps.ts';
import { ProjectIds } from './projectIds.ts';

describe('ProjectIds', () => {
  it('never hands out an id twice: ids counted while a block was being reserved are not handed out again from it', async () => {
    const c = counters();
    const ids = new ProjectIds(c);
    const project = emptyProject('p');
    await ids.use('p1', project);
    // the refill started half way through the first block is slow (a busy IndexedDB): many ids at once meanwhile
    c.hold = true;
    const got: number[] = [];
    for (let i = 0; i < 40; i++) got.push(ids.next('images', project));
    c.hold = false;
    for (const release of c.pending.splice(0)) release();
    await new Promise((r) => setTimeout(r, 0));
    for (let i = 0; i < 40; i++) got.push(ids.next('images', project));
    await new Promise((r) => setTimeout(r, 0));
    expect(new Set(got).size).toBe(got.length);
  });
});
