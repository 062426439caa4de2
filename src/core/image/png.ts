import { unzlibSync, zlibSync } from 'fflate';

/** Grayscale (1 channel), gray+alpha (2), RGB (3) or RGBA (4); 8 or 16 bits per sample. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  /** row-major samples, interleaved channels */
  data: Uint8Array | Uint16Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const COLOR_TYPE: Record<RawImage['channels'], number> = { 1: 0, 2: 4, 3: 2, 4: 6 };
const CHANNELS_OF: Record<number, RawImage['channels']> = { 0: 1, 4: 2, 2: 3, 6: 4 };
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Encodes a PNG (no interlace, filter 0 "none" per row, zlib level 6). */
export function encodePng(img: RawImage): Uint8Array {
  const { width, height, channels, bitDepth, data } = img;
  const bpp = channels * (bitDepth / 8);
  const stride = width * bpp + 1;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    if (bitDepth === 8) raw.set((data as Uint8Array).subarray(y * width * channels, (y + 1) * width * channels), row + 1);
    else {
      for (let i = 0; i < width * channels; i++) {
        const v = data[y * width * channels + i]!;
        raw[row + 1 + 2 * i] = v >> 8;
        raw[row + 2 + 2 * i] = v & 0xff;
      }
    }
  }
  const idat = zlibSync(raw, { level: 6 });
  const chunks: [string, Uint8Array][] = [];
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = bitDepth;
  ihdr[9] = COLOR_TYPE[channels];
  chunks.push(['IHDR', ihdr], ['IDAT', idat], ['IEND', new Uint8Array(0)]);
  const total = 8 + chunks.reduce((n, [, d]) => n + 12 + d.length, 0);
  const out = new Uint8Array(total);
  out.set(SIGNATURE, 0);
  const ov = new DataView(out.buffer);
  let p = 8;
  for (const [type, d] of chunks) {
    ov.setUint32(p, d.length);
    for (let i = 0; i < 4; i++) out[p + 4 + i] = type.charCodeAt(i);
    out.set(d, p + 8);
    ov.setUint32(p + 8 + d.length, crc32(out, p + 4, p + 8 + d.length));
    p += 12 + d.length;
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
  const idat: Uint8Array[] = [];
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
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  if (!width || !height) throw new Error('PNG has no IHDR chunk');
  if (interlace) throw new Error('interlaced PNGs are not supported; save it without interlacing');
  if (width * height > 100_000_000) throw new Error(`PNG of ${width}x${height} is too large`);
  const srcChannels = colorType === 3 ? 1 : CHANNELS_OF[colorType];
  if (!srcChannels) throw new Error(`PNG colour type ${colorType} is not supported`);
  if (![1, 2, 4, 8, 16].includes(depth)) throw new Error(`PNG bit depth ${depth} is not supported`);
  const joined = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of idat) {
    joined.set(c, off);
    off += c.length;
  }
  const raw = unzlibSync(joined);
  const bitsPerPixel = srcChannels * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel / 8);
  if (raw.length < (stride + 1) * height) throw new Error('PNG image data is truncated');
  const rows = new Uint8Array(stride * height);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = rows.subarray(y * stride, (y + 1) * stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let v = line[i]!;
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const pp = a + b - c;
        const pa = Math.abs(pp - a);
        const pb = Math.abs(pp - b);
        const pc = Math.abs(pp - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (f !== 0) throw new Error(`PNG row ${y} has an unknown filter ${f}`);
      cur[i] = v & 0xff;
    }
    prev = cur;
  }
  const n = width * height;
  // samples
  const sample = (i: number): number => {
    if (depth === 16)
      return (
        (rows[Math.floor(i / (width * srcChannels)) * stride + (i % (width * srcChannels)) * 2]! << 8) |
        rows[Math.floor(i / (width * srcChannels)) * stride + (i % (width * srcChannels)) * 2 + 1]!
      );
    if (depth === 8) return rows[Math.floor(i / (width * srcChannels)) * stride + (i % (width * srcChannels))]!;
    const y = Math.floor(i / (width * srcChannels));
    const k = i % (width * srcChannels);
    const bit = k * depth;
    const byte = rows[y * stride + (bit >> 3)]!;
    return (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  if (colorType === 3 && labels) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = sample(i);
    return { width, height, channels: 1, bitDepth: 8, data };
  }
  if (colorType === 3) {
    if (!palette) throw new Error('palette PNG without a palette');
    const channels = trns ? 4 : 3;
    const data = new Uint8Array(n * channels);
    for (let i = 0; i < n; i++) {
      const idx = sample(i);
      data[i * channels] = palette[idx * 3] ?? 0;
      data[i * channels + 1] = palette[idx * 3 + 1] ?? 0;
      data[i * channels + 2] = palette[idx * 3 + 2] ?? 0;
      if (channels === 4) data[i * channels + 3] = trns![idx] ?? 255;
    }
    return { width, height, channels, bitDepth: 8, data };
  }
  const count = n * srcChannels;
  if (depth === 16) {
    const data = new Uint16Array(count);
    for (let i = 0; i < count; i++) data[i] = sample(i);
    return { width, height, channels: srcChannels, bitDepth: 16, data };
  }
  const data = new Uint8Array(count);
  const scale = depth === 8 || labels ? 1 : 255 / ((1 << depth) - 1);
  for (let i = 0; i < count; i++) data[i] = Math.round(sample(i) * scale);
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
