/**
 * EXIF orientation of JPEG files, applied as browsers apply it (`image-orientation: from-image`,
 * `createImageBitmap`'s default): a phone photo stored sideways with Orientation = 6 is shown, and
 * annotated, upright. The CLI and the Node tools read images through this, so their masks are in
 * the pixels the app shows.
 */

/** The EXIF Orientation (1-8) of a JPEG file, 1 when there is none or it cannot be read. */
export function jpegOrientation(bytes: Uint8Array): number {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return 1;
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return 1;
    const marker = bytes[p + 1]!;
    // start of scan / end of image: no more metadata
    if (marker === 0xda || marker === 0xd9) return 1;
    const len = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (len < 2) return 1;
    if (marker === 0xe1) {
      const o = exifOrientation(bytes.subarray(p + 4, Math.min(bytes.length, p + 2 + len)));
      if (o) return o;
    }
    p += 2 + len;
  }
  return 1;
}

/** Orientation from an APP1 segment's payload ("Exif\0\0" + TIFF), or 0 if absent. */
function exifOrientation(app1: Uint8Array): number {
  if (app1.length < 14 || String.fromCharCode(...app1.subarray(0, 4)) !== 'Exif' || app1[4] !== 0 || app1[5] !== 0) return 0;
  const tiff = app1.subarray(6);
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 0;
  const u16 = (o: number) => (o + 2 > tiff.length ? -1 : little ? tiff[o]! | (tiff[o + 1]! << 8) : (tiff[o]! << 8) | tiff[o + 1]!);
  const u32 = (o: number) =>
    o + 4 > tiff.length
      ? -1
      : little
        ? (tiff[o]! | (tiff[o + 1]! << 8) | (tiff[o + 2]! << 16) | (tiff[o + 3]! << 24)) >>> 0
        : ((tiff[o]! << 24) | (tiff[o + 1]! << 16) | (tiff[o + 2]! << 8) | tiff[o + 3]!) >>> 0;
  if (u16(2) !== 42) return 0;
  const ifd = u32(4);
  const n = u16(ifd);
  if (ifd < 0 || n < 0) return 0;
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (u16(e) === 0x0112) {
      const v = u16(e + 8);
      return v >= 1 && v <= 8 ? v : 0;
    }
  }
  return 0;
}

/**
 * Pixels (`channels` per pixel, row-major) turned upright as EXIF `orientation` says: 2 mirrored,
 * 3 rotated 180°, 4 flipped, 5 transposed, 6 rotated 90° clockwise, 7 transversed, 8 rotated 90°
 * counter-clockwise. Orientations 5-8 swap width and height.
 */
export function applyOrientation<T extends Uint8Array | Uint8ClampedArray>(
  data: T,
  width: number,
  height: number,
  orientation: number,
  channels = 4,
): { data: T; width: number; height: number } {
  if (orientation < 2 || orientation > 8) return { data, width, height };
  const swap = orientation >= 5;
  const ow = swap ? height : width;
  const oh = swap ? width : height;
  const out = new (data.constructor as new (n: number) => T)(ow * oh * channels);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      let ix: number;
      let iy: number;
      switch (orientation) {
        case 2:
          [ix, iy] = [width - 1 - ox, oy];
          break;
        case 3:
          [ix, iy] = [width - 1 - ox, height - 1 - oy];
          break;
        case 4:
          [ix, iy] = [ox, height - 1 - oy];
          break;
        case 5:
          [ix, iy] = [oy, ox];
          break;
        case 6:
          [ix, iy] = [oy, height - 1 - ox];
          break;
        case 7:
          [ix, iy] = [width - 1 - oy, height - 1 - ox];
          break;
        default:
          [ix, iy] = [width - 1 - oy, ox];
      }
      const s = (iy * width + ix) * channels;
      const d = (oy * ow + ox) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = data[s + c]!;
    }
  }
  return { data: out, width: ow, height: oh };
}
