/**
 * The shown frame's clip and its tracks, for the timeline and the video panel: the clips are grouped once per
 * images array and the tracks once per project change, so a frame step (a new `currentImageId` in the same clip)
 * gives the same clip and tracks objects and nothing is walked again.
 */
import { useMemo } from 'react';
import { clipsOf, tracksOf, type Clip, type Track } from '../../core/video/clips.ts';
import { useStore } from '../../state/useApp.tsx';

export function useShownClip(): { clip: Clip | null; tracks: Track[]; index: number } {
  const project = useStore((s) => s.project);
  const currentImageId = useStore((s) => s.currentImageId);
  const clips = useMemo(() => clipsOf(project.images), [project.images]);
  const shownVideo = useMemo(
    () => (currentImageId === null ? null : (project.images.find((im) => im.id === currentImageId)?.video?.id ?? null)),
    [project.images, currentImageId],
  );
  const clip = useMemo(() => clips.find((c) => c.id === shownVideo) ?? null, [clips, shownVideo]);
  const tracks = useMemo(() => (clip ? tracksOf(project, clip.id) : []), [project, clip]);
  const index = clip ? clip.frames.findIndex((f) => f.id === currentImageId) : -1;
  return { clip, tracks, index };
}
