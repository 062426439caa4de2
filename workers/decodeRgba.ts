/// <reference lib="webworker" />
import { AppError } from '../src/core/errors.ts';

/** Decodes an image file to RGBA pixels, off the main thread. */
export async function decodeRgba(blob: Blob, name: string): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new AppError(
      'IMAGE_DECODE',
      `${name} could not be decoded as an image.`,
      'The file may be corrupt; re-export it as PNG or JPEG.',
    );
  }
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new AppError('IMAGE_DECODE', `No 2D canvas to read ${name}.`);
  ctx.drawImage(bmp, 0, 0);
  const { width, height } = bmp;
  bmp.close();
  return { data: ctx.getImageData(0, 0, width, height).data, width, height };
}
