/**
 * Video statistics: per track and per clip, how its frames came to have masks (a person's keyframes,
 * propagation, interpolation, flagged frames) and what they cost a person: the mask clock's active time
 * and clicks of the keyframes (machine-made frames cost no one's time), per keyframe and per frame with a
 * mask (the SAM data engine reports seconds per frame for video). Pure.
 */
import type { Annotation, ImageRecord } from '../project/types.ts';
import { clipsOf, tracksOf } from './clips.ts';

export interface TrackFigures {
  /** frames with a mask */
  frames: number;
  keyframes: number;
  propagated: number;
  interpolated: number;
  flagged: number;
  /** active ms a person spent on the keyframes (the mask clock) */
  activeMs: number;
  clicks: number;
  strokes: number;
  /** active seconds per frame with a mask (0 without any) */
  secondsPerFrame: number;
}

export interface TrackStats extends TrackFigures {
  id: number;
  videoId: number;
  categoryId: number;
}

export interface ClipStats extends TrackFigures {
  id: number;
  name: string;
  /** frames of the clip in the project */
  clipFrames: number;
  tracks: number;
}

function figures(masks: readonly Annotation[]): TrackFigures {
  const f: TrackFigures = {
    frames: masks.length,
    keyframes: 0,
    propagated: 0,
    interpolated: 0,
    flagged: 0,
    activeMs: 0,
    clicks: 0,
    strokes: 0,
    secondsPerFrame: 0,
  };
  for (const a of masks) {
    const role = a.track ?? 'key';
    if (role === 'key') f.keyframes++;
    else if (role === 'propagated') f.propagated++;
    else f.interpolated++;
    if (a.flag) f.flagged++;
    f.activeMs += a.timeMs ?? 0;
    f.clicks += a.clicks ?? 0;
    f.strokes += a.strokes ?? 0;
  }
  f.secondsPerFrame = f.frames ? f.activeMs / 1000 / f.frames : 0;
  return f;
}

/** Figures of every track and every clip of the project. */
export function videoStats(project: { images: readonly ImageRecord[]; annotations: readonly Annotation[] }): {
  clips: ClipStats[];
  tracks: TrackStats[];
} {
  const tracks = tracksOf(project);
  const out: TrackStats[] = tracks.map((t) => ({
    id: t.id,
    videoId: t.videoId,
    categoryId: t.categoryId,
    ...figures([...t.byFrame.values()]),
  }));
  const clips = clipsOf(project.images).map((c) => {
    const mine = tracks.filter((t) => t.videoId === c.id);
    return {
      id: c.id,
      name: c.name,
      clipFrames: c.frames.length,
      tracks: mine.length,
      ...figures(mine.flatMap((t) => [...t.byFrame.values()])),
    };
  });
  return { clips, tracks: out };
}
