import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from './png.ts';

const SAMPLES = resolve(import.meta.dirname, '../../../public/samples');

describe('PNG', () => {
  it('8-bit gray round-trips and pngjs reads it', () => {
    const data = Uint8Array.from({ length: 7 * 5 }, (_, i) => (i * 37) % 256);
    const png = encodePng({ width: 7, height: 5, channels: 1, bitDepth: 8, data });
    expect([...decodePng(png).data]).toEqual([...data]);
    const other = PNG.sync.read(Buffer.from(png));
    expect([other.width, other.height]).toEqual([7, 5]);
    expect(other.data[4 * 3]).toBe(data[3]);
  });
  it('16-bit gray keeps values above 255 (instance ids)', () => {
    const data = Uint16Array.from([0, 1, 255, 256, 1000, 65535]);
    const png = encodePng({ width: 3, height: 2, channels: 1, bitDepth: 16, data });
    const back = decodePng(png);
    expect(back.bitDepth).toBe(16);
    expect([...back.data]).toEqual([...data]);
    const other = PNG.sync.read(Buffer.from(png), { skipRescale: true });
    expect(other.height).toBe(2);
  });
  it('decodes a real RGB PNG written by another encoder exactly as pngjs', () => {
    const bytes = readFileSync(resolve(SAMPLES, 'chelsea.png'));
    const mine = decodePng(bytes);
    const ref = PNG.sync.read(bytes);
    expect([mine.width, mine.height, mine.channels]).toEqual([451, 300, 3]);
    for (let i = 0; i < 451 * 300; i += 97) {
      expect(mine.data[i * 3]).toBe(ref.data[i * 4]);
      expect(mine.data[i * 3 + 2]).toBe(ref.data[i * 4 + 2]);
    }
  });
  it('refuses what it cannot read', () => {
    expect(() => decodePng(new Uint8Array([1, 2, 3]))).toThrow(/not a PNG/);
  });
});
