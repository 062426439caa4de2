import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBmp } from './bmp.ts';

/** A bottom-up 24-bit BMP of 2x2: red, green / blue, white (top row first in `px`). */
function bmp24(): Uint8Array {
  const stride = 8; // 2 px * 3 bytes, padded to 4
  const b = new Uint8Array(54 + stride * 2);
  const dv = new DataView(b.buffer);
  b[0] = 0x42;
  b[1] = 0x4d;
  dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, 2, true);
  dv.setInt32(22, 2, true);
  dv.setUint16(28, 24, true);
  // bottom row (y = 1) first: blue, white (BGR)
  b.set([255, 0, 0, 255, 255, 255], 54);
  // top row: red, green
  b.set([0, 0, 255, 0, 255, 0], 54 + stride);
  return b;
}

describe('decodeBmp', () => {
  it('24-bit bottom-up, rows padded to 4 bytes', () => {
    const r = decodeBmp(bmp24());
    expect([r.width, r.height]).toEqual([2, 2]);
    expect([...r.data]).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255]);
  });
  it('reads the GrabCut masks (8-bit palette): 0, 128 and 255 only', () => {
    const bytes = readFileSync(resolve(import.meta.dirname, '../../../../shared/datasets/grabcut/masks/124080.bmp'));
    const r = decodeBmp(bytes);
    const values = new Set<number>();
    for (let i = 0; i < r.width * r.height; i++) values.add(r.data[i * 4]!);
    expect([...values].every((v) => v === 0 || v === 128 || v === 255)).toBe(true);
    expect(values.has(255)).toBe(true);
  });
  it('refuses other files', () => {
    expect(() => decodeBmp(new Uint8Array([1, 2]))).toThrow(/not a BMP/);
  });
});
