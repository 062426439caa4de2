/**
 * Decodes an uncompressed Windows BMP (8-bit palette, 24-bit or 32-bit; bottom-up or top-down)
 * to RGBA, as the GrabCut set ships its images and masks. Throws on other variants, saying which.
 */
export function decodeBmp(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  if (bytes[0] !== 0x42 || bytes[1] !== 0x4d) throw new Error('not a BMP file');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  const width = dv.getInt32(18, true);
  const rawHeight = dv.getInt32(22, true);
  const bpp = dv.getUint16(28, true);
  const compression = headerSize >= 40 ? dv.getUint32(30, true) : 0;
  if (compression !== 0 && !(compression === 3 && bpp === 32)) throw new Error(`compressed BMP (method ${compression}) is not supported`);
  if (![8, 24, 32].includes(bpp)) throw new Error(`${bpp}-bit BMP is not supported`);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  const paletteAt = 14 + headerSize;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > bytes.length) throw new Error('BMP pixel data is truncated');
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const srcRow = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (bpp === 8) {
        const idx = bytes[srcRow + x]!;
        const p = paletteAt + idx * 4;
        data[o] = bytes[p + 2]!;
        data[o + 1] = bytes[p + 1]!;
        data[o + 2] = bytes[p]!;
      } else {
        const p = srcRow + x * (bpp / 8);
        data[o] = bytes[p + 2]!;
        data[o + 1] = bytes[p + 1]!;
        data[o + 2] = bytes[p]!;
      }
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}
