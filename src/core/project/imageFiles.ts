import { AppError } from '../errors.ts';

/** Largest image the app accepts, in pixels (a 10000 x 5000 photo); masks are one byte per pixel. */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** Largest side the browser's canvas and textures handle everywhere. */
export const MAX_IMAGE_SIDE = 16_384;

const IMAGE_EXTENSIONS = /\.(png|jpe?g|webp|bmp|gif|avif)$/i;

/** Checks a file before decoding it: non-empty, and an image by MIME type or extension. */
export function checkImageFile(name: string, size: number, type: string): void {
  if (size === 0)
    throw new AppError('IMAGE_EMPTY', `${name} is empty (0 bytes).`, 'Copy the file again from its source; nothing was added.');
  if (type === 'image/svg+xml' || /\.svgz?$/i.test(name))
    throw new AppError(
      'IMAGE_UNSUPPORTED',
      `${name} is an SVG (vector) drawing; masks are made on pixels, so it cannot be annotated as it is.`,
      'Render it to PNG at the size you want to annotate (e.g. with Inkscape or rsvg-convert) and open the PNG; nothing was added.',
    );
  const isImage = type.startsWith('image/') || (type === '' && IMAGE_EXTENSIONS.test(name));
  if (!isImage) {
    throw new AppError(
      'IMAGE_UNSUPPORTED',
      `${name} is not an image (${type || 'unknown type'}).`,
      'Open PNG, JPEG, WebP, BMP, GIF or AVIF files; to import annotations use the COCO import.',
    );
  }
}

/** Checks decoded dimensions against what the app can hold. */
export function checkImageSize(name: string, width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new AppError(
      'IMAGE_TOO_LARGE',
      `${name} is ${width} x ${height} px, larger than the ${MAX_IMAGE_PIXELS / 1e6} megapixels (at most ${MAX_IMAGE_SIDE} px a side) this app handles.`,
      'Downscale or tile the image, then open it again.',
    );
  }
}

/**
 * Width and height read from a PNG or JPEG header, without decoding; null for other formats or a
 * header too short to tell. Lets a huge image be refused before the browser tries to decode it.
 */
export function imageSizeFromHeader(bytes: Uint8Array): { width: number; height: number } | null {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return { width: dv.getUint32(16), height: dv.getUint32(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let p = 2;
    while (p + 9 < bytes.length) {
      if (bytes[p] !== 0xff) return null;
      const marker = bytes[p + 1]!;
      if (marker === 0xff) {
        p++;
        continue;
      }
      const len = dv.getUint16(p + 2);
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof) return { height: dv.getUint16(p + 5), width: dv.getUint16(p + 7) };
      p += 2 + len;
    }
  }
  return null;
}

/** Display name of a file: its path inside an opened folder, else its name. */
export function fileDisplayName(f: { name: string; webkitRelativePath?: string }): string {
  return f.webkitRelativePath || f.name;
}
