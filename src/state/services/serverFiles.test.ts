/** An admin's uploads of image files to the project server: each file read and sent once, however often asked. */
import { describe, expect, it } from 'vitest';
import { DiffBuilder } from '../../core/project/changes.ts';
import { testStore } from '../test/fakeDeps.ts';
import { ServerFiles } from './serverFiles.ts';

describe('ServerFiles.uploadMissing', () => {
  it('asked again while it runs (each frame opened asks), it runs once more after: every file read and sent once', async () => {
    const { store } = testStore();
    const s = store.getState;
    let b = new DiffBuilder(s().project);
    for (let id = 1; id <= 6; id++) b = b.add('images', { id, fileName: `f${id}.png`, width: 4, height: 4 });
    s().change(b.diff, 'ignore', { label: 'open' });
    const reads: number[] = [];
    const puts: string[] = [];
    const files = new ServerFiles({
      store,
      api: {
        putFile: async (_pid: number, sha: string) => {
          puts.push(sha);
          await new Promise((r) => setTimeout(r, 5));
        },
        file: () => Promise.reject(new Error('not used')),
      } as never,
      images: {
        file: (id) => ({
          read: () => {
            reads.push(id);
            return Promise.resolve(new Blob([`image ${id}`]));
          },
        }),
      },
      addImageFile: () => undefined,
      linked: () => 7,
    });
    await Promise.all(Array.from({ length: 5 }, () => files.uploadMissing()));
    await files.uploadMissing();
    expect(reads.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(puts).size).toBe(6);
    expect(puts).toHaveLength(6);
    expect(s().project.images.every((im) => typeof im.sha256 === 'string')).toBe(true);
  });
});
