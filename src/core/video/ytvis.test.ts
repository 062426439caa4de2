import { describe, expect, it } from 'vitest';
import { CocoFormatError } from '../coco/read.ts';
import { emptyProject } from '../project/types.ts';
import { H, pixelsOf, trackSummary, twoClips, W } from './formats.fixture.ts';
import { mergeYtvisIntoProject, parseYtvis, projectToYtvis } from './ytvis.ts';

function errorOf(data: unknown): string {
  try {
    parseYtvis(data);
  } catch (e) {
    expect(e).toBeInstanceOf(CocoFormatError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('projectToYtvis', () => {
  const y = projectToYtvis(twoClips(), {}, new Date(0));

  it('writes one video per clip, its frames in frame order under the clip’s folder', () => {
    expect(y.info).toEqual({ description: 'clips', version: '1.0', date_created: '1970-01-01T00:00:00.000Z' });
    expect(y.videos).toEqual([
      { id: 1, width: 4, height: 3, length: 3, file_names: ['cat/00000.jpg', 'cat/00005.jpg', 'cat/00010.jpg'], name: 'cat.mp4' },
      { id: 2, width: 4, height: 3, length: 2, file_names: ['dogs/a_0.png', 'dogs/a_1.png'], name: 'dogs' },
    ]);
    expect(y.categories).toEqual([
      { id: 1, name: 'object', supercategory: '' },
      { id: 2, name: 'cat', supercategory: '' },
      { id: 3, name: 'dog', supercategory: '' },
    ]);
  });

  it('writes one annotation per track, null on the frames it has no mask on', () => {
    expect(y.annotations).toHaveLength(3);
    // pixels 0 and 1 of a 4x3 image, column-major: runs 0,1,2,1,8 → "0","1","2", 1-1=0 → "0", 8-2=6 → "6"
    // pixel 5 (x 1, y 1): runs 4,1,7 → "417"
    expect(y.annotations[0]).toEqual({
      id: 1,
      video_id: 1,
      category_id: 2,
      iscrowd: 0,
      height: 3,
      width: 4,
      length: 1,
      segmentations: [{ size: [3, 4], counts: '01206' }, null, { size: [3, 4], counts: '417' }],
      areas: [2, null, 1],
      bboxes: [[0, 0, 2, 1], null, [1, 1, 1, 1]],
      attributes: { track: ['key', null, 'propagated'], flag: [null, null, 'lost'] },
    });
    expect(y.annotations[1]).toMatchObject({
      id: 2,
      video_id: 2,
      category_id: 3,
      areas: [1, 2],
      bboxes: [
        [2, 0, 1, 1],
        [3, 0, 1, 2],
      ],
    });
    expect(y.annotations[1]!.attributes).toEqual({ track: ['key', 'interpolated'] });
    expect(y.annotations[2]).toMatchObject({ id: 3, video_id: 2, segmentations: [null, expect.any(Object)], areas: [null, 2] });
  });
});

describe('parseYtvis and mergeYtvisIntoProject', () => {
  it('round trip: the same tracks, masks per frame, categories, roles and flags', () => {
    const p = twoClips();
    const json = JSON.parse(JSON.stringify(projectToYtvis(p))) as unknown;
    const imp = parseYtvis(json);
    expect(imp.videos.map((v) => [v.id, v.name, v.fileNames.length])).toEqual([
      [1, 'cat.mp4', 3],
      [2, 'dogs', 2],
    ]);
    const bare = { ...p, annotations: p.annotations.filter((a) => a.trackId === undefined) };
    const r = mergeYtvisIntoProject(bare, imp, 0);
    expect(r).toMatchObject({ tracks: 3, masks: 5, newCategories: [], framesNotFound: [], sizeMismatches: [] });
    expect(trackSummary(r.project)).toEqual([
      {
        clip: 1,
        category: 'cat',
        frames: [
          { frame: 0, pixels: [0, 1], track: 'key', flag: null },
          { frame: 10, pixels: [5], track: 'propagated', flag: 'lost' },
        ],
      },
      {
        clip: 2,
        category: 'dog',
        frames: [
          { frame: 0, pixels: [2], track: 'key', flag: null },
          { frame: 1, pixels: [3, 7], track: 'interpolated', flag: null },
        ],
      },
      { clip: 2, category: 'dog', frames: [{ frame: 1, pixels: [7, 11], track: 'key', flag: null }] },
    ]);
    expect(trackSummary(r.project)).toEqual(trackSummary(p));
    const added = r.project.annotations.filter((a) => a.trackId !== undefined);
    expect(added.every((a) => a.source === 'import' && a.score === null)).toBe(true);
    // area and bbox from the mask: track 2 on frame 1 is pixels 3 and 7 (x 3, y 0..1)
    expect(added.find((a) => a.imageId === 5 && a.trackId === 2)).toMatchObject({ area: 2, bbox: [3, 0, 1, 2] });
  });

  it('reads the dataset as published: uncompressed RLE, no names, frames found by folder and file name', () => {
    const data = {
      info: {},
      licenses: [],
      videos: [{ id: 7, width: W, height: H, length: 2, file_names: ['cat/00005.jpg', 'cat/00099.jpg'], license: 1 }],
      categories: [{ id: 4, name: 'Tiger', supercategory: 'object' }],
      annotations: [
        {
          id: 1,
          video_id: 7,
          category_id: 4,
          iscrowd: 0,
          // pixels 0 and 1 (runs 0,1,2,1,8), then pixel 11 (the last: runs 11,1)
          segmentations: [
            { size: [H, W], counts: [0, 1, 2, 1, 8] },
            { size: [H, W], counts: [11, 1] },
          ],
          areas: [2, 1],
          bboxes: [null, null],
        },
        { id: 2, video_id: 7, category_id: 4, segmentations: [[[0, 0, 2, 0, 2, 1, 0, 1]], null] },
      ],
    };
    const p = { ...twoClips(), annotations: [] };
    const r = mergeYtvisIntoProject(p, parseYtvis(data), 0);
    expect(r.newCategories).toEqual(['Tiger']);
    expect(r.framesNotFound).toEqual(['cat/00099']);
    expect(r.tracks).toBe(2);
    const anns = r.project.annotations;
    expect(anns.map((a) => [a.imageId, a.trackId, a.track, pixelsOf(a)])).toEqual([
      [2, 1, 'key', [0, 1]],
      [2, 2, 'key', [0, 1]],
    ]);
    expect(r.project.categories.find((c) => c.name === 'Tiger')!.id).toBe(4);
  });

  it('new tracks get ids above the project’s', () => {
    const p = twoClips();
    const r = mergeYtvisIntoProject(p, parseYtvis(projectToYtvis(p)), 0);
    expect([...new Set(r.project.annotations.map((a) => a.trackId))]).toEqual([1, 2, 3, undefined, 4, 5, 6]);
  });

  it('frames of a video file, whose names say nothing, are matched by position', () => {
    const p = {
      ...emptyProject(),
      images: [0, 1].map((f) => ({
        id: f + 1,
        fileName: `clip.mp4 #${f}`,
        width: W,
        height: H,
        video: { id: 3, name: 'clip.mp4', frame: f, fps: 25 },
      })),
    };
    const data = {
      videos: [{ id: 1, width: W, height: H, file_names: ['clip/00000.jpg', 'clip/00001.jpg'] }],
      categories: [{ id: 1, name: 'object' }],
      annotations: [{ id: 1, video_id: 1, category_id: 1, segmentations: [null, { size: [H, W], counts: '417' }] }],
    };
    const r = mergeYtvisIntoProject(p, parseYtvis(data), 0);
    expect(r.project.annotations.map((a) => [a.imageId, pixelsOf(a)])).toEqual([[2, [5]]]);
  });

  it('names the bad field and says what to do', () => {
    const v = { id: 1, width: W, height: H, file_names: ['a/0.jpg', 'a/1.jpg'] };
    const file = (ann: Record<string, unknown>, video: Record<string, unknown> = v) => ({
      videos: [video],
      categories: [{ id: 1, name: 'x' }],
      annotations: [{ id: 1, video_id: 1, category_id: 1, segmentations: [null, null], ...ann }],
    });
    expect(errorOf({ annotations: [] })).toBe('videos: expected an array, found nothing');
    expect(errorOf(file({ segmentations: [null] }))).toBe(
      'annotations[0].segmentations: 1 entries, but video 1 has 2 frames; give one per frame (null where the object is not seen)',
    );
    expect(errorOf(file({ video_id: 5 }))).toBe('annotations[0].video_id: no video has id 5');
    expect(errorOf(file({ category_id: 2 }))).toBe('annotations[0].category_id: no category has id 2');
    expect(errorOf(file({ segmentations: [null, { size: [4, 3], counts: '417' }] }))).toBe(
      "annotations[0].segmentations[1].size: expected [3, 4] (the image's [height, width]), found an array of 2 [4, 3]",
    );
    expect(errorOf(file({ segmentations: [null, { size: [3, 4], counts: [1, 2] }] }))).toBe(
      'annotations[0].segmentations[1].counts: the runs cover 3 pixels, the 4x3 image has 12',
    );
    expect(errorOf(file({ segmentations: [null, 'x'] }))).toBe(
      'annotations[0].segmentations[1]: expected an RLE object, polygons or null, found the string "x"',
    );
    expect(errorOf(file({}, { ...v, length: 3 }))).toBe(
      'videos[0].length: number 3, but file_names lists 2 frames; length is the number of frames (one file name each)',
    );
    expect(errorOf(file({}, { ...v, file_names: ['a.jpg', ''] }))).toBe(
      `videos[0].file_names[1]: expected a frame's file name, found the string ""`,
    );
  });
});
