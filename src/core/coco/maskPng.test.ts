import { describe, expect, it } from 'vitest';
import { maskFromRleCounts, rleCountsFromMask } from '../mask/rle.ts';
import { categoryFromMaskFileName, MAX_MASK_PNG_OBJECTS, maskPngImageKeys, masksFromPng, TooManyObjectsError } from './maskPng.ts';

const maskOf = (o: { counts: number[] }, w: number, h: number) => [...maskFromRleCounts(o.counts, w, h)];

describe('mask PNG import', () => {
  it('binary 0/255 is one object', () => {
    const r = masksFromPng({ width: 3, height: 1, channels: 1, bitDepth: 8, data: Uint8Array.from([0, 255, 255]) });
    expect(r.kind).toBe('binary');
    expect(r.objects).toHaveLength(1);
    expect(maskOf(r.objects[0]!, 3, 1)).toEqual([0, 1, 1]);
    expect(r.objects[0]).toMatchObject({ area: 2, bbox: [1, 0, 2, 1] });
  });
  it('instance ids (16-bit too) are one object each, in id order', () => {
    const r = masksFromPng({ width: 4, height: 1, channels: 1, bitDepth: 16, data: Uint16Array.from([300, 0, 2, 300]) });
    expect(r.kind).toBe('instances');
    expect(r.objects.map((o) => o.value)).toEqual([2, 300]);
    expect(maskOf(r.objects[1]!, 4, 1)).toEqual([1, 0, 0, 1]);
  });
  it('an all-zero PNG has no object; RGB reads the first channel', () => {
    expect(masksFromPng({ width: 2, height: 1, channels: 1, bitDepth: 8, data: new Uint8Array(2) }).objects).toEqual([]);
    const rgb = masksFromPng({ width: 2, height: 1, channels: 3, bitDepth: 8, data: Uint8Array.from([255, 0, 0, 0, 9, 9]) });
    expect(maskOf(rgb.objects[0]!, 2, 1)).toEqual([1, 0]);
  });
  it('each object is the COCO RLE of its pixels (column-major), with area and bbox', () => {
    const w = 7;
    const h = 5;
    const data = new Uint16Array(w * h);
    for (let i = 0; i < w * h; i++) data[i] = [0, 0, 3, 9, 3, 0, 1000][(i * 7 + (i >> 2)) % 7]!;
    const r = masksFromPng({ width: w, height: h, channels: 1, bitDepth: 16, data });
    expect(r.objects.map((o) => o.value)).toEqual([3, 9, 1000]);
    for (const o of r.objects) {
      const mask = Uint8Array.from(data, (v) => (v === o.value ? 1 : 0));
      expect(o.counts).toEqual([...rleCountsFromMask(mask, w, h)]);
      expect(o.area).toBe(mask.reduce((a, b) => a + b, 0));
    }
  });
  it(`more than ${MAX_MASK_PNG_OBJECTS} instance ids are refused with the count, before any mask is made`, () => {
    const data = Uint16Array.from({ length: 65535 }, (_, i) => i + 1);
    let err: unknown = null;
    try {
      masksFromPng({ width: 65535, height: 1, channels: 1, bitDepth: 16, data });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TooManyObjectsError);
    expect((err as Error).message).toMatch(/^it holds 65535 different instance ids; at most 2000 objects/);
  });
  it('matches names', () => {
    expect(maskPngImageKeys('Cat_Mask.png')).toEqual(['cat_mask', 'cat']);
    expect(maskPngImageKeys('masks/astronaut/3_object.png')).toContain('astronaut');
    expect(categoryFromMaskFileName('masks/a/12_dog_house.png')).toBe('dog house');
    expect(categoryFromMaskFileName('a.png')).toBeNull();
  });
});
