/** Image files read in Node (the CLI, benchmarks and tests): PNG, JPEG, BMP, and masks. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import jpeg from 'jpeg-js';
import mozjpegDecoder from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import { PNG } from 'pngjs';
import { decodeBmp } from '../core/image/bmp.ts';
import { applyOrientation, jpegOrientation } from '../core/image/exif.ts';

/**
 * JPEGs are decoded by libjpeg-turbo's decoder (mozjpeg's, compiled to WebAssembly by @jsquash/jpeg), the
 * decoder Chromium uses: the Node tools see the pixels the browser sees, bit for bit (jpeg-js's IDCT and
 * upsampling differ by up to 15 levels on half the values, which moved propagated video masks apart frame
 * after frame). jpeg-js remains for what the WebAssembly decoder refuses (e.g. CMYK files).
 */
const mozjpeg = await mozjpegDecoder({
  noInitialRun: true,
  wasmBinary: readFileSync(createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm')),
});

/** An 8-bit RGBA image decoded in Node. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a PNG, JPEG or BMP file to RGBA (by content, not by extension); a JPEG's EXIF orientation is applied. */
export function readRgbaImage(path: string): RgbaImage {
  return decodeImageBytes(readFileSync(path), path);
}

/** A PNG, JPEG or BMP file's pixels (`name` says which file in an error). */
export function decodeImageBytes(bytes: Uint8Array, name: string): RgbaImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf[0] === 0x89 && buf[1] === 0x50) {
    const png = PNG.sync.read(buf);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    let decoded: ImageData | null;
    try {
      decoded = mozjpeg.decode(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), false);
    } catch {
      decoded = null;
    }
    const j = decoded
      ? // a copy: the decoder's output may be a view of its memory, reused by the next decode
        { width: decoded.width, height: decoded.height, data: new Uint8Array(decoded.data) }
      : jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
    // upright as browsers show it (and the app annotates it): EXIF orientation applied
    return applyOrientation(j.data, j.width, j.height, jpegOrientation(new Uint8Array(buf.buffer, buf.byteOffset, buf.length)));
  }
  if (buf[0] === 0x42 && buf[1] === 0x4d) return decodeBmp(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
  throw new Error(`${name}: not a PNG, JPEG or BMP file`);
}

/** Reads a grayscale/RGB(A) PNG mask as row-major 0/1 (non-zero first channel = object). */
export function readMaskPng(path: string): { width: number; height: number; mask: Uint8Array } {
  const png = PNG.sync.read(readFileSync(path));
  const mask = new Uint8Array(png.width * png.height);
  for (let i = 0; i < mask.length; i++) mask[i] = png.data[i * 4]! > 127 ? 1 : 0;
  return { width: png.width, height: png.height, mask };
}

/** The first channel of any image file readRgbaImage reads (grayscale masks). */
export function readGray(path: string): { width: number; height: number; gray: Uint8Array } {
  const im = readRgbaImage(path);
  const gray = new Uint8Array(im.width * im.height);
  for (let i = 0; i < gray.length; i++) gray[i] = im.data[i * 4]!;
  return { width: im.width, height: im.height, gray };
}

/** The first channel of a mask file, and whether its colour channels differ anywhere (a colour image). */
export function readGrayChannels(path: string): { width: number; height: number; gray: Uint8Array; colour: boolean } {
  const im = readRgbaImage(path);
  const gray = new Uint8Array(im.width * im.height);
  let colour = false;
  for (let i = 0; i < gray.length; i++) {
    const r = im.data[i * 4]!;
    gray[i] = r;
    if (im.data[i * 4 + 1] !== r || im.data[i * 4 + 2] !== r) colour = true;
  }
  return { width: im.width, height: im.height, gray, colour };
}
