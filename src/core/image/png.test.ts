import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PNG } from 'pngjs';
import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decodePng, encodePng, labelMapFromPng } from './png.ts';

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

function crc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** The 8-bit gray PNG turned into a palette PNG with the same bytes as indices. */
function asPalettePng(gray: Uint8Array, colors: number): Uint8Array {
  const ihdrEnd = 8 + 12 + 13;
  const head = gray.slice(0, ihdrEnd);
  head[8 + 8 + 9] = 3;
  const dv = new DataView(head.buffer);
  dv.setUint32(ihdrEnd - 4, crc(head.subarray(12, ihdrEnd - 4)));
  const plte = new Uint8Array(12 + colors * 3);
  new DataView(plte.buffer).setUint32(0, colors * 3);
  plte.set([0x50, 0x4c, 0x54, 0x45], 4);
  for (let i = 0; i < colors; i++) plte.set([(i * 50) % 256, (i * 90) % 256, 200], 8 + i * 3);
  new DataView(plte.buffer).setUint32(8 + colors * 3, crc(plte.subarray(4, 8 + colors * 3)));
  const out = new Uint8Array(gray.length + plte.length);
  out.set(head);
  out.set(plte, ihdrEnd);
  out.set(gray.subarray(ihdrEnd), ihdrEnd + plte.length);
  return out;
}

describe('labelMapFromPng', () => {
  it('reads palette indices, not colours', () => {
    const idx = Uint8Array.from([0, 1, 2, 1, 0, 2]);
    const png = asPalettePng(encodePng({ width: 3, height: 2, channels: 1, bitDepth: 8, data: idx }), 3);
    expect(decodePng(png).channels).toBe(3);
    expect([...labelMapFromPng(png).labels]).toEqual([...idx]);
  });
  it('reads gray values (16-bit too) and gray RGB', () => {
    const ids = Uint16Array.from([0, 7, 300, 7]);
    expect([...labelMapFromPng(encodePng({ width: 2, height: 2, channels: 1, bitDepth: 16, data: ids })).labels]).toEqual([...ids]);
    const rgb = Uint8Array.from([3, 3, 3, 0, 0, 0]);
    expect([...labelMapFromPng(encodePng({ width: 2, height: 1, channels: 3, bitDepth: 8, data: rgb })).labels]).toEqual([3, 0]);
  });
  it('refuses a colour-coded map, saying how to save it', () => {
    const rgb = Uint8Array.from([3, 3, 3, 200, 10, 0]);
    expect(() => labelMapFromPng(encodePng({ width: 2, height: 1, channels: 3, bitDepth: 8, data: rgb }))).toThrow(
      /pixel \(1, 0\) is a colour.*grayscale or palette/,
    );
  });
});

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc(out.subarray(4, 8 + body.length)));
  return out;
}

/** A PNG of already packed rows (filter 0), with optional PLTE and tRNS chunks. */
function rawPng(w: number, h: number, depth: number, colorType: number, rows: number[][], extra: [string, number[]][] = []): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, w);
  new DataView(ihdr.buffer).setUint32(4, h);
  ihdr.set([depth, colorType], 8);
  const raw = Uint8Array.from(rows.flatMap((r) => [0, ...r]));
  const parts = [
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra.map(([t, b]) => chunk(t, Uint8Array.from(b))),
    chunk('IDAT', zlibSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of parts) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

describe('PNG bit depths below 8 and palettes', () => {
  it('unpacks 2-bit gray rows (each starting on a byte), scaled to 8 bits or kept as labels', () => {
    // 5 px a row: 0 1 2 3 | 3, then 3 2 1 0 | 1
    const png = rawPng(5, 2, 2, 0, [
      [0b00011011, 0b11000000],
      [0b11100100, 0b01000000],
    ]);
    expect([...decodePng(png).data]).toEqual([0, 85, 170, 255, 255, 255, 170, 85, 0, 85]);
    expect([...decodePng(png, true).data]).toEqual([0, 1, 2, 3, 3, 3, 2, 1, 0, 1]);
  });
  it('expands a 4-bit palette with tRNS to RGBA (255 past the tRNS entries), or gives the indices', () => {
    const plte = ['PLTE', [10, 20, 30, 40, 50, 60, 70, 80, 90]] as [string, number[]];
    const png = rawPng(3, 1, 4, 3, [[0x01, 0x20]], [plte, ['tRNS', [128]]]);
    expect(decodePng(png)).toMatchObject({ channels: 4, bitDepth: 8 });
    expect([...decodePng(png).data]).toEqual([10, 20, 30, 128, 40, 50, 60, 255, 70, 80, 90, 255]);
    expect([...labelMapFromPng(png).labels]).toEqual([0, 1, 2]);
  });
  it('says when rows are missing from the image data', () => {
    expect(() => decodePng(rawPng(2, 3, 8, 0, [[1, 2]]))).toThrow(/image data is truncated/);
  });
});
