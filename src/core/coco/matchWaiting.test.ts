/** Which waiting image (imported without its file) a file opened later is. */
import { describe, expect, it } from 'vitest';
import { matchWaitingImage } from './import.ts';

const im = (fileName: string, video?: { name: string; frame: number }) => (video ? { fileName, video } : { fileName });

describe('matchWaitingImage', () => {
  const waiting = [
    im('dog/00000.jpg', { name: 'dog', frame: 0 }),
    im('cat/00000.jpg', { name: 'cat', frame: 0 }),
    im('JPEGImages/480p/car/00000.jpg', { name: 'car', frame: 0 }),
    im('photos/IMG_1.JPG'),
  ];
  it('the same path, case and slashes aside', () => {
    expect(matchWaitingImage(waiting, 'CAT\\00000.jpg')).toEqual({ image: waiting[1] });
  });
  it('a path ending with the file’s, or the file’s ending with the image’s', () => {
    expect(matchWaitingImage(waiting, 'car/00000.jpg')).toEqual({ image: waiting[2] });
    expect(matchWaitingImage(waiting, 'Downloads/dog/00000.jpg')).toEqual({ image: waiting[0] });
  });
  it('a frame by its clip and index when the paths do not tell', () => {
    expect(matchWaitingImage(waiting, 'x/00000.jpg', { name: 'Cat', frame: 0 })).toEqual({ image: waiting[1] });
    expect(matchWaitingImage(waiting, 'x/00000.jpg', { name: 'cat', frame: 1 })).toMatchObject({ ambiguous: waiting.slice(0, 3) });
  });
  it('the only image of that name; none; several', () => {
    expect(matchWaitingImage(waiting, 'img_1.jpg')).toEqual({ image: waiting[3] });
    expect(matchWaitingImage(waiting, 'other.jpg')).toBeNull();
    expect(matchWaitingImage(waiting, '00000.jpg')).toEqual({ ambiguous: waiting.slice(0, 3) });
  });
});
