import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImageBytes } from './image.ts';

/** a W x H JPEG (quality 95) of a smooth pattern seeded by `seed`, and its source RGBA */
function jpegOf(seed: number, width = 48, height = 32): { bytes: Uint8Array; rgba: Uint8Array } {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) rgba.set([(x * 5 + seed * 40) % 256, (y * 7 + seed * 90) % 256, 128, 255], (y * width + x) * 4);
  return { bytes: new Uint8Array(jpeg.encode({ data: rgba, width, height }, 95).data), rgba };
}

describe('decodeImageBytes (JPEG)', () => {
  it('decodes to RGBA near the source, each result its own memory (a later decode leaves it as it was)', () => {
    const a = jpegOf(1);
    const b = jpegOf(2, 64, 64);
    const first = decodeImageBytes(a.bytes, 'a.jpg');
    expect([first.width, first.height, first.data.length]).toEqual([48, 32, 48 * 32 * 4]);
    let worst = 0;
    for (let i = 0; i < a.rgba.length; i++) worst = Math.max(worst, Math.abs(first.data[i]! - a.rgba[i]!));
    expect(worst).toBeLessThan(24);
    const kept = Uint8Array.from(first.data);
    const second = decodeImageBytes(b.bytes, 'b.jpg');
    expect([second.width, second.height]).toEqual([64, 64]);
    expect(first.data).toEqual(kept);
    expect(first.data.buffer).not.toBe(second.data.buffer);
  });

  it('a file that is no image is refused naming it', () => {
    expect(() => decodeImageBytes(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), 'x.jpg')).toThrow();
    expect(() => decodeImageBytes(new Uint8Array([1, 2, 3, 4]), 'x.bin')).toThrow(/x\.bin: not a PNG, JPEG or BMP file/);
  });
});
