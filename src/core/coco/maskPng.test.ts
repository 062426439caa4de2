import { describe, expect, it } from 'vitest';
import { categoryFromMaskFileName, maskPngImageKeys, masksFromPng } from './maskPng.ts';

describe('mask PNG import', () => {
  it('binary 0/255 is one object', () => {
    const r = masksFromPng({ width: 3, height: 1, channels: 1, bitDepth: 8, data: Uint8Array.from([0, 255, 255]) });
    expect(r.kind).toBe('binary');
    expect(r.objects).toHaveLength(1);
    expect([...r.objects[0]!.mask]).toEqual([0, 1, 1]);
  });
  it('instance ids (16-bit too) are one object each, in id order', () => {
    const r = masksFromPng({ width: 4, height: 1, channels: 1, bitDepth: 16, data: Uint16Array.from([300, 0, 2, 300]) });
    expect(r.kind).toBe('instances');
    expect(r.objects.map((o) => o.value)).toEqual([2, 300]);
    expect([...r.objects[1]!.mask]).toEqual([1, 0, 0, 1]);
  });
  it('an all-zero PNG has no object; RGB reads the first channel', () => {
    expect(masksFromPng({ width: 2, height: 1, channels: 1, bitDepth: 8, data: new Uint8Array(2) }).objects).toEqual([]);
    const rgb = masksFromPng({ width: 2, height: 1, channels: 3, bitDepth: 8, data: Uint8Array.from([255, 0, 0, 0, 9, 9]) });
    expect([...rgb.objects[0]!.mask]).toEqual([1, 0]);
  });
  it('matches names', () => {
    expect(maskPngImageKeys('Cat_Mask.png')).toEqual(['cat_mask', 'cat']);
    expect(maskPngImageKeys('masks/astronaut/3_object.png')).toContain('astronaut');
    expect(categoryFromMaskFileName('masks/a/12_dog_house.png')).toBe('dog house');
    expect(categoryFromMaskFileName('a.png')).toBeNull();
  });
});
