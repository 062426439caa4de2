/**
 * Image files, stored by content: a file is named by the SHA-256 of its bytes, under
 * `<data>/files/ab/cd/<sha256>`. Names are 64 hex digits, checked before any path is made, so no
 * request can name a path outside the store.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { diskFullError, HttpError, isDiskFull } from './errors.ts';

export const SHA256 = /^[0-9a-f]{64}$/;

/** Image types by their first bytes (the type a client claims is not trusted). */
export function sniffImageType(b: Uint8Array): string | null {
  const at = (i: number, ...bytes: number[]) => bytes.every((x, k) => b[i + k] === x);
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (at(0, 0x42, 0x4d)) return 'image/bmp';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'image/tiff';
  if (at(4, 0x66, 0x74, 0x79, 0x70) && (at(8, 0x61, 0x76, 0x69, 0x66) || at(8, 0x68, 0x65, 0x69, 0x63))) return 'image/avif';
  return null;
}

/** Bytes enough to tell every type {@link sniffImageType} knows (a body may come in chunks of any size). */
const SNIFF_BYTES = 16;

export class FileStore {
  readonly root: string;
  private readonly openTemp: (path: string) => Writable;
  /** `openTemp` opens the file a body is written to before it is checked (tests give one on a full device) */
  constructor(dataDir: string, options: { openTemp?: (path: string) => Writable } = {}) {
    this.root = join(dataDir, 'files');
    mkdirSync(join(this.root, 'tmp'), { recursive: true });
    this.openTemp = options.openTemp ?? ((p) => createWriteStream(p));
  }

  pathOf(sha: string): string {
    if (!SHA256.test(sha)) throw new HttpError(400, 'A file is named by the SHA-256 of its content: 64 hex digits (0-9, a-f).');
    return join(this.root, sha.slice(0, 2), sha.slice(2, 4), sha);
  }

  has(sha: string): boolean {
    return existsSync(this.pathOf(sha));
  }

  /**
   * Stores a body whose SHA-256 must be `sha`; answers its size and type. A body that is not an image,
   * is larger than `limit`, or does not hash to `sha` is refused and nothing is kept.
   */
  async put(sha: string, body: AsyncIterable<Uint8Array>, limit: number): Promise<{ size: number; mime: string }> {
    const dest = this.pathOf(sha);
    const tmp = join(this.root, 'tmp', `${sha}.${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    const out = this.openTemp(tmp);
    let failed: Error | null = null;
    out.on('error', (e) => (failed ??= e));
    // a write error (a full disk) ends the wait for 'drain' too: it never comes after one
    const drained = () =>
      new Promise<void>((resolve, reject) => {
        if (failed) return reject(failed);
        const ok = () => {
          out.off('error', bad);
          resolve();
        };
        const bad = (e: Error) => {
          out.off('drain', ok);
          reject(e);
        };
        out.once('drain', ok);
        out.once('error', bad);
      });
    let size = 0;
    let mime: string | null = null;
    const head: Uint8Array[] = [];
    let headSize = 0;
    const sniff = () => {
      const b = new Uint8Array(headSize);
      let o = 0;
      for (const h of head) {
        b.set(h, o);
        o += h.length;
      }
      mime = sniffImageType(b);
      if (!mime) throw new HttpError(415, 'This file is not an image (JPEG, PNG, WebP, GIF, BMP, TIFF or AVIF).');
    };
    try {
      for await (const chunk of body) {
        if (failed) throw failed;
        // the type from the first bytes, however the body is cut into chunks
        if (!mime && headSize < SNIFF_BYTES) {
          head.push(chunk);
          headSize += chunk.length;
          if (headSize >= SNIFF_BYTES) sniff();
        }
        size += chunk.length;
        if (size > limit) throw new HttpError(413, `The file is larger than ${Math.round(limit / 1048576)} MB.`);
        hash.update(chunk);
        if (!out.write(chunk)) await drained();
      }
      if (!mime && headSize > 0) sniff();
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e || failed ? reject(e ?? failed) : resolve())));
      if (size === 0 || !mime) throw new HttpError(400, 'The file is empty.');
      const got = hash.digest('hex');
      if (got !== sha)
        throw new HttpError(
          400,
          `The file's SHA-256 is ${got}, not the ${sha} it was sent as.`,
          'Send the file under the hash of its bytes.',
        );
      mkdirSync(join(dest, '..'), { recursive: true });
      renameSync(tmp, dest);
      return { size, mime };
    } catch (e) {
      out.destroy();
      rmSync(tmp, { force: true });
      throw isDiskFull(e) ? diskFullError('the file') : e;
    }
  }

  stream(sha: string): { body: ReadableStream; size: number } {
    const p = this.pathOf(sha);
    return { body: Readable.toWeb(createReadStream(p)) as ReadableStream, size: statSync(p).size };
  }
}
