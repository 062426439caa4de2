import { decode, encode } from 'fast-png';

/** Grayscale (1 channel), gray+alpha (2), RGB (3) or RGBA (4); 8 or 16 bits per sample. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  /** row-major samples, interleaved channels */
  data: Uint8Array | Uint16Array;
}

const CHANNELS_OF: Record<number, RawImage['channels']> = { 0: 1, 4: 2, 2: 3, 6: 4 };
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/** Encodes a PNG (no interlace, filter 0 "none" per row, zlib level 6). */
export function encodePng(img: RawImage): Uint8Array {
  const { width, height, channels, bitDepth, data } = img;
  return encode({ width, height, channels, depth: bitDepth, data }, { zlib: { level: 6 } });
}

interface PngLayout {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  palette: Uint8Array | null;
  trns: Uint8Array | null;
  /** [start, end) of the IHDR and IDAT chunks, whole (length, type, data, CRC) */
  pixelChunks: [number, number][];
}

/** Walks the chunks, checking what this module reads, with the errors it gives; decodes nothing. */
function readLayout(bytes: Uint8Array): PngLayout {
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) throw new Error('not a PNG file');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = 0;
  let interlace = 0;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const pixelChunks: [number, number][] = [];
  while (p + 8 <= bytes.length) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4]!, bytes[p + 5]!, bytes[p + 6]!, bytes[p + 7]!);
    if (p + 12 + len > bytes.length) throw new Error(`PNG chunk ${type} is truncated`);
    const body = bytes.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(p + 8);
      height = dv.getUint32(p + 12);
      depth = body[8]!;
      colorType = body[9]!;
      interlace = body[12]!;
      pixelChunks.push([p, p + 12 + len]);
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IDAT') pixelChunks.push([p, p + 12 + len]);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  if (!width || !height) throw new Error('PNG has no IHDR chunk');
  if (interlace) throw new Error('interlaced PNGs are not supported; save it without interlacing');
  if (width * height > 100_000_000) throw new Error(`PNG of ${width}x${height} is too large`);
  if (colorType !== 3 && !CHANNELS_OF[colorType]) throw new Error(`PNG colour type ${colorType} is not supported`);
  if (![1, 2, 4, 8, 16].includes(depth)) throw new Error(`PNG bit depth ${depth} is not supported`);
  return { width, height, depth, colorType, palette, trns, pixelChunks };
}

/**
 * The samples (one per channel, row-major) of the image data, as stored: fast-png inflates and
 * unfilters it. It is given the header and the image data only, so that the ancillary chunks (the
 * palette and transparency are read here) neither fail nor change the decode.
 */
function storedSamples(bytes: Uint8Array, layout: PngLayout, channels: number): ArrayLike<number> {
  const size = layout.pixelChunks.reduce((n, [a, b]) => n + b - a, SIGNATURE.length + IEND.length);
  const png = new Uint8Array(size);
  png.set(SIGNATURE);
  let off = SIGNATURE.length;
  for (const [a, b] of layout.pixelChunks) {
    png.set(bytes.subarray(a, b), off);
    off += b - a;
  }
  png.set(IEND, off);
  let data: ArrayLike<number>;
  try {
    data = decode(png).data;
  } catch (e) {
    // rows missing from the image data: fast-png finds no filter byte where the next row starts
    if (e instanceof Error && e.message === 'Unsupported filter: undefined') throw new Error('PNG image data is truncated', { cause: e });
    throw e;
  }
  const { width, height, depth } = layout;
  if (depth >= 8) return data;
  // bit depths below 8 stay packed in bytes, each row starting on a byte
  const stride = Math.ceil((width * channels * depth) / 8);
  const perRow = width * channels;
  const out = new Uint8Array(perRow * height);
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < perRow; k++) {
      const bit = k * depth;
      const byte = data[y * stride + (bit >> 3)]!;
      out[y * perRow + k] = (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
    }
  }
  return out;
}

/**
 * Decodes a non-interlaced PNG of any bit depth 8/16 (gray, gray+alpha, RGB, RGBA) or palette
 * (expanded to RGB(A)); bit depths below 8 are expanded to 8. Keeps 16-bit samples (instance-id
 * masks need them), unlike a canvas. Throws on anything it cannot read, saying what.
 * With `labels`, sample values are kept as stored: a palette image gives its palette indices (one
 * channel) and low bit depths are not scaled (label maps of a segmentation model).
 */
export function decodePng(bytes: Uint8Array, labels = false): RawImage {
  const layout = readLayout(bytes);
  const { width, height, depth, colorType, palette, trns } = layout;
  const srcChannels = colorType === 3 ? 1 : CHANNELS_OF[colorType]!;
  const samples = storedSamples(bytes, layout, srcChannels);
  const n = width * height;
  if (colorType === 3 && labels) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = samples[i]!;
    return { width, height, channels: 1, bitDepth: 8, data };
  }
  if (colorType === 3) {
    if (!palette) throw new Error('palette PNG without a palette');
    const channels = trns ? 4 : 3;
    const data = new Uint8Array(n * channels);
    for (let i = 0; i < n; i++) {
      const idx = samples[i]!;
      data[i * channels] = palette[idx * 3] ?? 0;
      data[i * channels + 1] = palette[idx * 3 + 1] ?? 0;
      data[i * channels + 2] = palette[idx * 3 + 2] ?? 0;
      if (channels === 4) data[i * channels + 3] = trns![idx] ?? 255;
    }
    return { width, height, channels, bitDepth: 8, data };
  }
  const count = n * srcChannels;
  if (depth === 16) return { width, height, channels: srcChannels, bitDepth: 16, data: samples as Uint16Array };
  if (depth === 8 || labels) {
    const data = samples instanceof Uint8Array ? samples : Uint8Array.from(samples);
    return { width, height, channels: srcChannels, bitDepth: 8, data };
  }
  const data = new Uint8Array(count);
  const scale = 255 / ((1 << depth) - 1);
  for (let i = 0; i < count; i++) data[i] = Math.round(samples[i]! * scale);
  return { width, height, channels: srcChannels, bitDepth: 8, data };
}

/**
 * The label map of a segmentation model's output PNG: one class or instance id per pixel (row-major).
 * Gray (8/16 bit, alpha ignored) gives the value, a palette PNG its index, an RGB(A) PNG its value
 * where R = G = B. Throws, saying what to do, on a colour-coded map.
 */
export function labelMapFromPng(bytes: Uint8Array): { width: number; height: number; labels: Uint8Array | Uint16Array } {
  const img = decodePng(bytes, true);
  const n = img.width * img.height;
  const ch = img.channels;
  const labels = img.bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = img.data[i * ch]!;
    if (ch >= 3 && (img.data[i * ch + 1] !== v || img.data[i * ch + 2] !== v)) {
      throw new Error(
        `pixel (${i % img.width}, ${Math.floor(i / img.width)}) is a colour, not a label id; save the label map as a grayscale or palette PNG with the class (or instance) id as the value`,
      );
    }
    labels[i] = v;
  }
  return { width: img.width, height: img.height, labels };
}
