import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** An 8-bit RGBA image decoded in Node. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a PNG or JPEG file to RGBA (by content, not by extension). */
export function readRgbaImage(path: string): RgbaImage {
  const buf = readFileSync(path);
  if (buf[0] === 0x89 && buf[1] === 0x50) {
    const png = PNG.sync.read(buf);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
    return { width: j.width, height: j.height, data: j.data };
  }
  throw new Error(`${path}: not a PNG or JPEG file`);
}

/** Reads a grayscale/RGB(A) PNG mask as row-major 0/1 (non-zero first channel = object). */
export function readMaskPng(path: string): { width: number; height: number; mask: Uint8Array } {
  const png = PNG.sync.read(readFileSync(path));
  const mask = new Uint8Array(png.width * png.height);
  for (let i = 0; i < mask.length; i++) mask[i] = png.data[i * 4]! > 127 ? 1 : 0;
  return { width: png.width, height: png.height, mask };
}
