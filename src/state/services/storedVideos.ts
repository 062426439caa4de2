/**
 * Video files stored with their project (persistence's part): a clip's file stored once when opened, and the
 * frames of the stored files registered again when the project is opened (each decoded from its video on demand).
 */
import type { StoredVideoMeta } from '../../core/video/videoFile.ts';
import { describeSaveError } from '../../io/persist.ts';
import type { PersistenceDeps } from './persistence.ts';
import type { StoredProject } from './storagePorts.ts';

type Deps = Pick<PersistenceDeps, 'projects' | 'images' | 'openVideo'>;

/** A stored video file no frame uses is removed when its project is opened, unless it was stored this recently. */
export const UNUSED_VIDEO_GRACE_MS = 10 * 60_000;
/** How long after opening a project its unused video files are removed (other tabs on it have said so by then). */
export const UNUSED_VIDEO_DELAY_MS = 2000;

/** Stores a clip's video file with the open project and opens it for decoding; resolves to why it could not, or null. */
export async function storeVideo(
  deps: Deps,
  projectId: () => string,
  videoId: number,
  file: Blob,
  meta: StoredVideoMeta,
): Promise<string | null> {
  const id = projectId();
  let stored: Blob;
  try {
    stored = await deps.projects.saveVideo(id, videoId, file, meta);
  } catch (e) {
    return `${meta.name} could not be stored: ${describeSaveError(e)}`;
  }
  if (projectId() !== id) {
    await deps.projects.removeVideo(id, videoId).catch(() => undefined);
    return `${meta.name} was not opened: another project was opened.`;
  }
  // decoded from the stored copy (the file as picked may be moved or changed on disk)
  deps.images.registerVideo(videoId, deps.openVideo(`${id}:${videoId}`, stored, meta));
  return null;
}

/** Removes a stored video file whose clip was not opened after all (no frame of it was added). */
export async function dropVideo(deps: Deps, projectId: string, videoId: number): Promise<void> {
  deps.images.video(videoId)?.close();
  await deps.projects.removeVideo(projectId, videoId).catch(() => undefined);
}

/**
 * The clips of a project being opened that came from video files: their frames decoded from the stored files.
 * Resolves to the stored files no frame uses any more (every frame of the clip deleted), for `dropUnusedVideos`.
 */
export async function restoreVideos(deps: Deps, projectId: string, loaded: StoredProject): Promise<number[]> {
  const files = new Set(loaded.images.map((im) => im.imageId));
  const clips = new Set(loaded.project.images.flatMap((im) => (im.video ? [im.video.id] : [])));
  const unused: number[] = [];
  for (const v of await deps.projects.videos(projectId).catch(() => [])) {
    if (!clips.has(v.videoId)) {
      // a copy stored in the last minutes may be one another tab is adding frames from: left to it
      const storedAt = v.file instanceof File ? v.file.lastModified : 0;
      if (Date.now() - storedAt > UNUSED_VIDEO_GRACE_MS) unused.push(v.videoId);
      continue;
    }
    const source = deps.openVideo(`${projectId}:${v.videoId}`, v.file, v.meta);
    deps.images.registerVideo(v.videoId, source);
    for (const im of loaded.project.images)
      if (im.video?.id === v.videoId && !files.has(im.id)) deps.images.registerFrame(im.id, source, im.video.frame, im.fileName);
  }
  return unused;
}

/**
 * Removes stored video files no frame uses, a moment after the project was opened (`UNUSED_VIDEO_DELAY_MS`: the
 * other tabs have answered by then) and only when no other tab has it open (`alone`): there an undo could still
 * bring the frames back. This tab's own undo cannot: its history starts with the opening.
 */
export async function dropUnusedVideos(deps: Deps, projectId: string, unused: readonly number[], alone: () => boolean): Promise<void> {
  if (unused.length === 0) return;
  await new Promise((r) => setTimeout(r, UNUSED_VIDEO_DELAY_MS));
  if (!alone()) return;
  for (const videoId of unused) await deps.projects.removeVideo(projectId, videoId).catch(() => undefined);
}
