import { describe, expect, it } from 'vitest';
import { applyOrientation, jpegOrientation } from './exif.ts';

/** SOI, an APP1 Exif segment with one IFD entry (Orientation), then EOI. */
function jpegWithOrientation(o: number, little: boolean): Uint8Array {
  const tiff = little
    ? [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, o, 0, 0, 0, 0, 0, 0, 0]
    : [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, o, 0, 0, 0, 0, 0, 0];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const len = payload.length + 2;
  return Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xe1, len >> 8, len & 255, ...payload, 0xff, 0xd9]);
}

describe('EXIF orientation', () => {
  it('reads Orientation from little- and big-endian EXIF, 1 without one', () => {
    for (const o of [1, 3, 6, 8]) {
      expect(jpegOrientation(jpegWithOrientation(o, true))).toBe(o);
      expect(jpegOrientation(jpegWithOrientation(o, false))).toBe(o);
    }
    expect(jpegOrientation(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]))).toBe(1);
    expect(jpegOrientation(Uint8Array.from([0x89, 0x50]))).toBe(1);
    // a damaged segment is no orientation, not an error
    expect(jpegOrientation(jpegWithOrientation(6, true).subarray(0, 20))).toBe(1);
  });

  // a 3 x 2 image, one channel: row 0 = 1 2 3, row 1 = 4 5 6
  const img = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const turn = (o: number) => applyOrientation(img, 3, 2, o, 1);
  it('turns pixels upright as browsers do', () => {
    expect(turn(1)).toEqual({ data: img, width: 3, height: 2 });
    expect([...turn(2).data]).toEqual([3, 2, 1, 6, 5, 4]);
    expect([...turn(3).data]).toEqual([6, 5, 4, 3, 2, 1]);
    expect([...turn(4).data]).toEqual([4, 5, 6, 1, 2, 3]);
    // 90° clockwise: the left column (1, 4) becomes the top row read right to left
    expect(turn(6)).toMatchObject({ width: 2, height: 3 });
    expect([...turn(6).data]).toEqual([4, 1, 5, 2, 6, 3]);
    expect([...turn(8).data]).toEqual([3, 6, 2, 5, 1, 4]);
    expect([...turn(5).data]).toEqual([1, 4, 2, 5, 3, 6]);
    expect([...turn(7).data]).toEqual([6, 3, 5, 2, 4, 1]);
  });
  it('6 then 8 (and each mirror twice) gives the image back', () => {
    const six = turn(6);
    expect([...applyOrientation(six.data, six.width, six.height, 8, 1).data]).toEqual([...img]);
    for (const o of [2, 3, 4]) {
      const once = turn(o);
      expect([...applyOrientation(once.data, once.width, once.height, o, 1).data]).toEqual([...img]);
    }
  });
});
