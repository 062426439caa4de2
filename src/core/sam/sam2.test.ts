import { describe, expect, it } from 'vitest';
import { sam2DecoderFeeds, sam2EncoderInput, sam2MaskFromLowRes, SAM2_MEAN, SAM2_STD } from './sam2.ts';

/** A deterministic pseudo-random RGBA image. */
function noise(width: number, height: number, seed = 7): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s >>> 16) & 255;
  }
  return out;
}

/**
 * Antialiased bilinear resampling written from its definition (not from the code under test): each
 * output pixel is the normalized sum over the source pixels of tri((src center - output center
 * mapped to the source) / max(scale, 1)) in each axis, in float64, on v / 255.
 */
function reference(rgba: Uint8Array, w: number, h: number, size: number, c: number): Float64Array {
  const out = new Float64Array(size * size);
  const weights = (inSize: number, o: number) => {
    const scale = inSize / size;
    const widen = Math.max(scale, 1);
    const center = (o + 0.5) * scale;
    const ws: [number, number][] = [];
    for (let i = 0; i < inSize; i++) {
      const d = Math.abs(i + 0.5 - center) / widen;
      if (d < 1) ws.push([i, 1 - d]);
    }
    const total = ws.reduce((a, [, v]) => a + v, 0);
    return ws.map(([i, v]) => [i, v / total] as [number, number]);
  };
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (const [sy, wy] of weights(h, y)) for (const [sx, wx] of weights(w, x)) acc += (rgba[(sy * w + sx) * 4 + c]! / 255) * wx * wy;
      out[y * size + x] = (acc - SAM2_MEAN[c]!) / SAM2_STD[c]!;
    }
  return out;
}

describe('SAM 2 preprocessing', () => {
  it('normalizes a flat image to (v / 255 - mean) / std everywhere, whatever its aspect ratio', () => {
    const w = 30;
    const h = 11;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([200, 100, 50, 255], i * 4);
    const t = sam2EncoderInput(rgba, { width: w, height: h }, 16);
    expect(t.length).toBe(3 * 16 * 16);
    [200, 100, 50].forEach((v, c) => {
      const want = (v / 255 - SAM2_MEAN[c]!) / SAM2_STD[c]!;
      for (let i = 0; i < 256; i++) expect(t[c * 256 + i]).toBeCloseTo(want, 5);
    });
  });

  it('resizes to the square input with antialiased bilinear filtering, shrinking and enlarging, as the definition says', () => {
    for (const [w, h] of [
      [37, 23],
      [5, 9],
      [64, 16],
    ] as const) {
      const rgba = noise(w, h, w * h);
      const t = sam2EncoderInput(rgba, { width: w, height: h }, 16);
      for (let c = 0; c < 3; c++) {
        const ref = reference(rgba, w, h, 16, c);
        let worst = 0;
        for (let i = 0; i < 256; i++) worst = Math.max(worst, Math.abs(t[c * 256 + i]! - ref[i]!));
        expect(worst, `${w}x${h} channel ${c}`).toBeLessThan(1e-5);
      }
    }
  });
});

describe('SAM 2 prompts', () => {
  it('scales each axis by its own factor to the square, puts the box corners (2, 3) before the clicks, and adds no padding point', () => {
    const image = { width: 640, height: 480 };
    const f = sam2DecoderFeeds(
      {
        points: [
          { x: 320, y: 240, positive: true },
          { x: 64, y: 48, positive: false },
        ],
        box: { x0: 600, y0: 400, x1: 160, y1: 120 },
      },
      image,
    );
    expect(f.point_coords.dims).toEqual([1, 4, 2]);
    expect([...f.point_coords.data]).toEqual([256, 256, 960, (400 / 480) * 1024, 512, 512, 102.4, 102.4].map(Math.fround));
    expect([...f.point_labels.data]).toEqual([2, 3, 1, 0]);
    expect(f.has_mask_input.data[0]).toBe(0);
    expect(f.mask_input.dims).toEqual([1, 1, 256, 256]);
    expect([...f.orig_im_size.data]).toEqual([480, 640]);
    const one = sam2DecoderFeeds({ points: [{ x: 0, y: 0, positive: true }], box: null }, image);
    expect([...one.point_labels.data]).toEqual([1]);
    const prev = new Float32Array(256 * 256).fill(2);
    expect(
      sam2DecoderFeeds({ points: [{ x: 1, y: 1, positive: true }], box: null }, image, { maskInput: prev }).has_mask_input.data[0],
    ).toBe(1);
    expect(() => sam2DecoderFeeds({ points: [], box: null }, image)).toThrow(/no prompt/);
  });
});

describe('SAM 2 post-processing', () => {
  it('resizes the chosen candidate’s low-res logits straight to the image and keeps what is above 0', () => {
    // three candidates: the second is positive on the left half of the 256 x 256 grid only
    const low = new Float32Array(3 * 256 * 256).fill(-5);
    for (let y = 0; y < 256; y++) for (let x = 0; x < 128; x++) low[256 * 256 + y * 256 + x] = 5;
    const image = { width: 100, height: 60 };
    const { mask, area, bbox } = sam2MaskFromLowRes(low, 1, image);
    expect(area).toBe(50 * 60);
    expect(bbox).toEqual([0, 0, 50, 60]);
    expect(mask[59 * 100 + 49]).toBe(1);
    expect(mask[59 * 100 + 50]).toBe(0);
    expect(sam2MaskFromLowRes(low, 0, image).area).toBe(0);
    expect(() => sam2MaskFromLowRes(low, 3, image)).toThrow(/no candidate 3/);
  });
});
