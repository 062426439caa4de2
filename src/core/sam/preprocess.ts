import { resizeLongestSideShape, type Size } from '../geometry.ts';

/** How a model wants its input image: longest side `inputSize`, per-channel mean/std on 0–255 RGB. */
export interface NormalizationSpec {
  inputSize: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export const SAM_NORMALIZATION: NormalizationSpec = {
  inputSize: 1024,
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
};

/** PIL's fixed point for 8-bit resampling: 22 fractional bits, results rounded half up. */
const PRECISION_BITS = 22;
const FIXED_ONE = 2 ** PRECISION_BITS;
const FIXED_HALF = 2 ** (PRECISION_BITS - 1);

/** `clip8(ss >> PRECISION_BITS)` of PIL, on an exact integer sum held in a double. */
function clip8(sum: number): number {
  const v = Math.floor((sum + FIXED_HALF) / FIXED_ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

interface Coeffs {
  /** first source index of each output sample */
  start: Int32Array;
  /** number of taps of each output sample */
  count: Int32Array;
  /** `taps` weights per output sample, normalized to sum 1, in PIL's 22-bit fixed point */
  weights: Int32Array;
  taps: number;
}

/**
 * Bilinear (triangle) resampling weights with antialiasing, the way PIL's `Image.resize(BILINEAR)`
 * (used by SAM's `ResizeLongestSide`) computes them: when downscaling, the filter support grows
 * with the scale so every source pixel contributes.
 */
function triangleCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const n = Math.min(xmax - xmin, taps);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const t = Math.abs((i + xmin - center + 0.5) / filterScale);
      const w = t < 1 ? 1 - t : 0;
      k[i] = w;
      sum += w;
    }
    for (let i = 0; i < n; i++) {
      const w = sum > 0 ? k[i]! / sum : 0;
      weights[o * taps + i] = w < 0 ? Math.trunc(-0.5 + w * FIXED_ONE) : Math.trunc(0.5 + w * FIXED_ONE);
    }
    start[o] = xmin;
    count[o] = n;
  }
  return { start, count, weights, taps };
}

/**
 * Resizes an RGBA (or RGB with `channels` = 3) 8-bit image to `out` with antialiased bilinear
 * filtering, returning interleaved RGB bytes. Reproduces PIL's 8-bit resampler exactly (fixed-point
 * weights, horizontal pass rounded to 8 bits, then vertical pass).
 */
export function resizeRgb(pixels: ArrayLike<number>, src: Size, out: Size, channels = 4): Uint8ClampedArray {
  const { width: sw, height: sh } = src;
  const { width: ow, height: oh } = out;
  if (pixels.length < sw * sh * channels) throw new RangeError(`pixel buffer too small for ${sw}x${sh}x${channels}`);
  const hc = triangleCoeffs(sw, ow);
  const vc = triangleCoeffs(sh, oh);
  // horizontal pass: sh rows x ow columns x 3 channels, rounded to 8 bits as PIL does
  const tmp = new Uint8Array(sh * ow * 3);
  for (let y = 0; y < sh; y++) {
    const rowIn = y * sw * channels;
    const rowOut = y * ow * 3;
    for (let x = 0; x < ow; x++) {
      const s = hc.start[x]!;
      const n = hc.count[x]!;
      const wo = x * hc.taps;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < n; k++) {
        const w = hc.weights[wo + k]!;
        const i = rowIn + (s + k) * channels;
        r += pixels[i]! * w;
        g += pixels[i + 1]! * w;
        b += pixels[i + 2]! * w;
      }
      const o = rowOut + x * 3;
      tmp[o] = clip8(r);
      tmp[o + 1] = clip8(g);
      tmp[o + 2] = clip8(b);
    }
  }
  const result = new Uint8ClampedArray(ow * oh * 3);
  for (let y = 0; y < oh; y++) {
    const s = vc.start[y]!;
    const n = vc.count[y]!;
    const wo = y * vc.taps;
    const rowOut = y * ow * 3;
    for (let x = 0; x < ow * 3; x++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += tmp[(s + k) * ow * 3 + x]! * vc.weights[wo + k]!;
      result[rowOut + x] = clip8(acc);
    }
  }
  return result;
}

/**
 * Builds the SAM encoder input from an 8-bit RGBA image: longest side scaled to `spec.inputSize`,
 * normalized per channel, zero padded at the bottom/right. Returns planar float32 data of shape
 * [1, 3, inputSize, inputSize].
 */
export function encoderInputFromRgba(
  rgba: ArrayLike<number>,
  image: Size,
  spec: NormalizationSpec = SAM_NORMALIZATION,
  channels = 4,
): Float32Array {
  const size = spec.inputSize;
  const r = resizeLongestSideShape(image, size);
  const rgb = resizeRgb(rgba, image, r, channels);
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = spec.mean[c]!;
    const inv = 1 / spec.std[c]!;
    const base = c * plane;
    for (let y = 0; y < r.height; y++) {
      const rowIn = y * r.width * 3;
      const rowOut = base + y * size;
      for (let x = 0; x < r.width; x++) out[rowOut + x] = (rgb[rowIn + x * 3 + c]! - mean) * inv;
    }
  }
  return out;
}
