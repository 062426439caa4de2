import { describe, expect, it } from 'vitest';
import { imageWorkStatuses } from './imageStatus.ts';
import type { Annotation } from './types.ts';

let nextId = 1;
// apart by image and far from each other: no proposal is covered
const ann = (imageId: number, review?: 'pending' | 'accepted') =>
  ({
    id: nextId++,
    imageId,
    ...(review ? { review } : {}),
    segmentation: { size: [1, 1], counts: '01' },
    bbox: [nextId * 10, 0, 1, 1],
  }) as unknown as Annotation;

describe('image work status', () => {
  it('missing file > done > proposals > in progress > not started', () => {
    const images = [1, 2, 3, 4, 5, 6].map((id) => ({
      id,
      fileName: `${id}.png`,
      width: 1,
      height: 1,
      ...(id === 2 || id === 6 ? { done: true } : {}),
    }));
    const s = imageWorkStatuses({ images, annotations: [ann(1), ann(3, 'pending'), ann(3), ann(4, 'accepted'), ann(2)] }, (id) => id !== 6);
    expect([...s.values()]).toEqual(['in-progress', 'done', 'proposals', 'in-progress', 'not-started', 'missing']);
  });
});
