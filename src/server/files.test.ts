import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from './files.ts';
import { HttpError } from './errors.ts';

const PNG = readFileSync(new URL('../../public/samples/coffee.png', import.meta.url));
const sha = createHash('sha256').update(PNG).digest('hex');

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('the file store', () => {
  const dirs: string[] = [];
  const store = (options?: ConstructorParameters<typeof FileStore>[1]) => {
    const d = mkdtempSync(join(tmpdir(), 'files-'));
    dirs.push(d);
    return new FileStore(d, options);
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('tells an image by its first bytes however the body is cut (a first chunk of 3 bytes)', async () => {
    const s = store();
    expect(await s.put(sha, chunks(PNG, 3), 1e9)).toEqual({ size: PNG.length, mime: 'image/png' });
    expect(readFileSync(s.pathOf(sha)).equals(PNG)).toBe(true);
    // a text cut into small chunks is still not an image
    const text = new TextEncoder().encode('not an image at all, just text');
    const t = createHash('sha256').update(text).digest('hex');
    await expect(s.put(t, chunks(text, 2), 1e9)).rejects.toMatchObject({ status: 415 });
  });

  it('answers 507 on a full disk, at once, and keeps no temporary file', async () => {
    // /dev/full: every write fails with ENOSPC, as on a full disk
    const s = store({ openTemp: () => createWriteStream('/dev/full') });
    const started = Date.now();
    const err = await s.put(sha, chunks(PNG, 64 * 1024), 1e9).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 507 });
    expect((err as HttpError).message).toMatch(/disk is full/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readdirSync(join(s.root, 'tmp'))).toEqual([]);
    expect(s.has(sha)).toBe(false);
  });

  it('does not wait for a drain that never comes after a write error', async () => {
    // the temporary file cannot be opened (its folder is gone): the writes queue up past the buffer, then it fails
    const s = store();
    rmSync(join(s.root, 'tmp'), { recursive: true });
    const err = await s.put(sha, chunks(PNG, 64 * 1024), 1e9).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
