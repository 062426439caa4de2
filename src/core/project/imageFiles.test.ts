import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImageFile, checkImageSize, imageSizeFromHeader } from './imageFiles.ts';

const SAMPLES = resolve(import.meta.dirname, '../../../public/samples');

describe('checkImageFile', () => {
  it('refuses an empty file, naming it', () => {
    expect(() => checkImageFile('a.png', 0, 'image/png')).toThrow(/a\.png is empty \(0 bytes\)/);
  });
  it('refuses non-images by type, accepts images by type or extension', () => {
    expect(() => checkImageFile('notes.txt', 10, 'text/plain')).toThrow(/notes\.txt is not an image \(text\/plain\)/);
    expect(() => checkImageFile('x.jpg', 10, 'image/jpeg')).not.toThrow();
    expect(() => checkImageFile('x.JPG', 10, '')).not.toThrow();
    expect(() => checkImageFile('x.bin', 10, '')).toThrow(/unknown type/);
  });
});

describe('checkImageSize', () => {
  it('accepts a 6000x4000 photo and refuses a 60 megapixel one or a side over 16384', () => {
    expect(() => checkImageSize('big.jpg', 6000, 4000)).not.toThrow();
    expect(() => checkImageSize('huge.jpg', 10000, 6000)).toThrow(/huge\.jpg is 10000 x 6000 px/);
    expect(() => checkImageSize('long.png', 20000, 100)).toThrow(/long\.png/);
  });
});

describe('imageSizeFromHeader', () => {
  it('reads PNG and JPEG sizes', () => {
    expect(imageSizeFromHeader(readFileSync(resolve(SAMPLES, 'chelsea.png')))).toEqual({ width: 451, height: 300 });
    expect(imageSizeFromHeader(readFileSync(resolve(SAMPLES, 'rocket.jpg')))).toEqual({ width: 640, height: 427 });
  });
  it('gives null for other bytes', () => {
    expect(imageSizeFromHeader(new TextEncoder().encode('hello world, not an image'))).toBeNull();
    expect(imageSizeFromHeader(new Uint8Array([0xff, 0xd8, 0x00]))).toBeNull();
  });
});
