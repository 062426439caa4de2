import { describe, expect, it } from 'vitest';
import { maskFromRle, rleFromMask } from '../mask/rle.ts';
import { emptyProject, type Annotation, type ImageRecord, type Project } from '../project/types.ts';
import { projectToCoco } from './export.ts';
import { CocoFormatError, parseCoco } from './import.ts';
import { mergeCocoIntoProject } from './merge.ts';

const W = 4;
const H = 3;

/** A mask of the 4x3 image with the given row-major pixels set. */
function maskOf(pixels: number[]) {
  const m = new Uint8Array(W * H);
  for (const p of pixels) m[p] = 1;
  return rleFromMask(m, W, H);
}

function ann(id: number, imageId: number, pixels: number[], extra: Partial<Annotation> = {}): Annotation {
  return {
    id,
    imageId,
    categoryId: 1,
    segmentation: maskOf(pixels),
    area: pixels.length,
    bbox: [0, 0, 1, 1],
    score: null,
    prompts: { points: [], box: null },
    source: 'points',
    createdAt: 0,
    ...extra,
  };
}

const frame = (id: number, fileName: string, video?: ImageRecord['video']): ImageRecord => ({
  id,
  fileName,
  width: W,
  height: H,
  ...(video ? { video } : {}),
});

/** Two clips (the first with a gap: frames 0 and 2, listed out of order), one plain image. */
function videoProject(): Project {
  return {
    ...emptyProject('clips'),
    images: [
      frame(2, 'walk/0002.png', { id: 5, name: 'walk.mp4', frame: 2, fps: 25 }),
      frame(1, 'walk/0000.png', { id: 5, name: 'walk.mp4', frame: 0, fps: 25 }),
      frame(3, 'run/0000.png', { id: 9, name: 'run', frame: 0, fps: null }),
      frame(4, 'still.jpg'),
    ],
    annotations: [
      ann(1, 1, [0], { trackId: 7 }),
      ann(2, 2, [1, 5], { trackId: 7, track: 'propagated', flag: 'abrupt' }),
      ann(3, 3, [11], { trackId: 8, track: 'interpolated' }),
      ann(4, 4, [6]),
      ann(5, 2, [10]),
    ],
  };
}

function errorOf(data: unknown): string {
  try {
    parseCoco(data);
  } catch (e) {
    expect(e).toBeInstanceOf(CocoFormatError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('COCO export of clips and tracks', () => {
  const coco = projectToCoco(videoProject(), {}, new Date(0));

  it('lists the videos (frame count, fps only when known) and places each frame', () => {
    expect(coco.videos).toEqual([
      { id: 5, name: 'walk.mp4', width: 4, height: 3, length: 2, fps: 25 },
      { id: 9, name: 'run', width: 4, height: 3, length: 1 },
    ]);
    expect(coco.images).toEqual([
      { id: 2, file_name: 'walk/0002.png', width: 4, height: 3, video_id: 5, frame_index: 2 },
      { id: 1, file_name: 'walk/0000.png', width: 4, height: 3, video_id: 5, frame_index: 0 },
      { id: 3, file_name: 'run/0000.png', width: 4, height: 3, video_id: 9, frame_index: 0 },
      { id: 4, file_name: 'still.jpg', width: 4, height: 3 },
    ]);
    expect(Object.keys(coco)).toEqual(['info', 'videos', 'images', 'annotations', 'categories']);
  });

  it('gives tracked annotations their track id, role (a keyframe where unset) and flag', () => {
    const byId = new Map(coco.annotations.map((a) => [a.id, a]));
    expect(byId.get(1)!.track_id).toBe(7);
    expect(byId.get(1)!.attributes).toMatchObject({ track: 'key' });
    expect(byId.get(1)!.attributes).not.toHaveProperty('flag');
    expect(byId.get(2)!.track_id).toBe(7);
    expect(byId.get(2)!.attributes).toMatchObject({ track: 'propagated', flag: 'abrupt' });
    expect(byId.get(3)!.track_id).toBe(8);
    expect(byId.get(3)!.attributes).toMatchObject({ track: 'interpolated' });
    for (const id of [4, 5]) {
      expect(byId.get(id)).not.toHaveProperty('track_id');
      expect(byId.get(id)!.attributes).not.toHaveProperty('track');
    }
  });

  it('a project without clips writes no video field, even for a stray track id', () => {
    const p: Project = { ...emptyProject('plain'), images: [frame(1, 'a.jpg')], annotations: [ann(1, 1, [0, 1], { trackId: 3 })] };
    const c = projectToCoco(p, {}, new Date(0));
    expect(Object.keys(c)).toEqual(['info', 'images', 'annotations', 'categories']);
    expect(Object.keys(c.images[0]!)).toEqual(['id', 'file_name', 'width', 'height']);
    expect(Object.keys(c.annotations[0]!)).toEqual([
      'id',
      'image_id',
      'category_id',
      'segmentation',
      'area',
      'bbox',
      'iscrowd',
      'attributes',
    ]);
    expect(Object.keys(c.annotations[0]!.attributes)).toEqual(['time_ms', 'clicks', 'strokes', 'source', 'over_budget', 'prompts']);
  });
});

describe('COCO import of clips and tracks', () => {
  const exported = JSON.parse(JSON.stringify(projectToCoco(videoProject(), {}, new Date(0)))) as unknown;

  it('reads the frames and tracks back, and export → import → export is identical', () => {
    const imp = parseCoco(exported);
    expect(imp.videos).toEqual([
      { cocoId: 5, name: 'walk.mp4', fps: 25 },
      { cocoId: 9, name: 'run', fps: null },
    ]);
    expect(imp.images[0]).toEqual({ cocoId: 2, fileName: 'walk/0002.png', width: 4, height: 3, video: { videoCocoId: 5, frame: 2 } });
    expect(imp.images[3]).toEqual({ cocoId: 4, fileName: 'still.jpg', width: 4, height: 3 });
    const r = mergeCocoIntoProject({ ...emptyProject('clips'), categories: [] }, imp);
    expect(r.newVideos).toEqual(['walk.mp4', 'run']);
    expect(r.tracks).toBe(2);
    const im = r.project.images.find((i) => i.fileName === 'walk/0002.png')!;
    expect(im.video).toEqual({ id: 5, name: 'walk.mp4', frame: 2, fps: 25 });
    expect(r.project.images.find((i) => i.fileName === 'run/0000.png')!.video).toEqual({ id: 9, name: 'run', frame: 0, fps: null });
    expect(r.project.images.find((i) => i.fileName === 'still.jpg')!.video).toBeUndefined();
    const a2 = r.project.annotations.find((a) => a.imageId === im.id && a.trackId !== undefined)!;
    expect(a2).toMatchObject({ trackId: 7, track: 'propagated', flag: 'abrupt' });
    expect([...maskFromRle(a2.segmentation)].flatMap((v, i) => (v ? [i] : []))).toEqual([1, 5]);
    expect(r.project.annotations.filter((a) => a.trackId === undefined)).toHaveLength(2);
    expect(projectToCoco(r.project, {}, new Date(0))).toEqual(exported);
  });

  it('an edited role or cleared flag is exported as it is now, not as the file had it', () => {
    const r = mergeCocoIntoProject({ ...emptyProject('clips'), categories: [] }, parseCoco(exported));
    const edited = {
      ...r.project,
      // the flagged mask edited by a person: a keyframe now, its flag gone
      annotations: r.project.annotations.map(({ flag, ...a }): Annotation => (flag ? { ...a, track: 'key' } : a)),
    };
    const again = projectToCoco(edited, {}, new Date(0)).annotations.find((a) => a.id === 2)!;
    expect(again.attributes['track']).toBe('key');
    expect(again.attributes).not.toHaveProperty('flag');
  });

  it('merging into a project: frames opened as plain images become frames; taken clip and track ids are replaced', () => {
    const p: Project = {
      ...emptyProject('mine'),
      images: [frame(1, 'walk/0000.png'), frame(2, 'other/x.png', { id: 5, name: 'other', frame: 0, fps: null })],
      annotations: [ann(1, 2, [3], { trackId: 7 })],
    };
    const r = mergeCocoIntoProject(p, parseCoco(exported));
    // video 5 is taken by "other": walk.mp4 gets the next free id, 6 ("run" keeps its 9)
    const walk = r.project.images.filter((i) => i.video?.name === 'walk.mp4');
    expect(walk.map((i) => [i.fileName, i.video!.id, i.video!.frame])).toEqual([
      ['walk/0000.png', 6, 0],
      ['walk/0002.png', 6, 2],
    ]);
    expect(r.project.images.find((i) => i.fileName === 'walk/0000.png')!.id).toBe(1);
    expect(r.project.images.find((i) => i.fileName === 'run/0000.png')!.video!.id).toBe(9);
    // track 7 is taken: the file's 7 becomes 9 (the next above 7 and 8, 8 being the file's own other track)
    const tracks = new Set(r.project.annotations.filter((a) => a.id > 1).map((a) => a.trackId));
    expect(tracks).toEqual(new Set([9, 8, undefined]));
    expect(r.project.annotations.filter((a) => a.trackId === 9)).toHaveLength(2);
  });

  it('without videos, a track_id stays a field of its own and is written back as it was', () => {
    const data = {
      images: [{ id: 1, file_name: 'a.jpg', width: 4, height: 3 }],
      categories: [{ id: 1, name: 'cat' }],
      annotations: [{ id: 1, image_id: 1, category_id: 1, segmentation: maskOf([0]), track_id: 3 }],
    };
    const imp = parseCoco(data);
    expect(imp.videos).toBeUndefined();
    expect(imp.annotations[0]!.trackId).toBeUndefined();
    const out = projectToCoco(mergeCocoIntoProject(emptyProject(), imp).project, {}, new Date(0));
    expect(out.annotations[0]!.track_id).toBe(3);
  });

  it("accepts mmtracking's frame_id for frame_index", () => {
    const data = {
      videos: [{ id: 1, name: 'v' }],
      images: [{ id: 1, file_name: 'a.jpg', width: 4, height: 3, video_id: 1, frame_id: 4 }],
      categories: [],
    };
    expect(parseCoco(data).images[0]!.video).toEqual({ videoCocoId: 1, frame: 4 });
  });
});

describe('COCO video validation', () => {
  const img = (id: number, video: number, frameIndex: number) => ({
    id,
    file_name: `f${id}.png`,
    width: 4,
    height: 3,
    video_id: video,
    frame_index: frameIndex,
  });
  const file = (images: unknown[], annotations: unknown[] = []) => ({
    videos: [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ],
    images,
    categories: [{ id: 1, name: 'cat' }],
    annotations,
  });
  const seg = maskOf([0]);

  it('names the field, what is wrong and what to do', () => {
    expect(errorOf(file([img(1, 1, 0), img(2, 3, 0)]))).toBe(
      'images[1].video_id: no video has id 3; list the video in "videos" (id, name) or remove the image\'s video_id',
    );
    const { videos: _v, ...noVideos } = file([img(1, 1, 0)]);
    expect(errorOf(noVideos)).toMatch(/^images\[0\]\.video_id: no video has id 1;/);
    expect(errorOf(file([img(1, 1, 0), img(2, 1, 0)]))).toBe(
      'images[1].frame_index: frame 0 of video 1 is images[0] too; each frame of a video is one image (give one of them another frame_index)',
    );
    expect(errorOf(file([{ id: 1, file_name: 'x.png', width: 4, height: 3, video_id: 2 }]))).toBe(
      "images[0].frame_index: expected the frame's index in video 2 (an integer ≥ 0), found nothing",
    );
    expect(errorOf({ ...file([]), videos: [{ id: 1, name: 'a', fps: '25' }] })).toBe(
      'videos[0].fps: expected frames per second (a positive number) or null, found the string "25"',
    );
    expect(errorOf({ ...file([]), videos: [{ id: 1 }, { id: 1 }] })).toBe('videos[1].id: id 1 is used by another video too');
  });

  it('a track stays in one video, with one mask per frame, on frames only', () => {
    const a = (id: number, image: number, track: number) => ({ id, image_id: image, category_id: 1, segmentation: seg, track_id: track });
    expect(errorOf(file([img(1, 1, 0), img(2, 2, 0)], [a(1, 1, 4), a(2, 2, 4)]))).toBe(
      'annotations[1].track_id: track 4 is in video 1 (annotations[0]) and in video 2; a track is one object in one video: give the object in video 2 another track_id',
    );
    expect(errorOf(file([img(1, 1, 0)], [a(1, 1, 4), a(2, 1, 4)]))).toBe(
      'annotations[1].track_id: track 4 has two annotations on frame 0 of video 1 (annotations[0] and annotations[1]); a track has one mask per frame: keep one',
    );
    expect(errorOf(file([{ id: 1, file_name: 'x.png', width: 4, height: 3 }], [a(1, 1, 4)]))).toMatch(
      /^annotations\[0\]\.track_id: image 1 is not a frame of a video \(it has no video_id\)/,
    );
    expect(errorOf(file([img(1, 1, 0)], [{ ...a(1, 1, 4), track_id: 'x' }]))).toBe(
      'annotations[0].track_id: expected an integer ≥ 0, found the string "x"',
    );
  });
});
