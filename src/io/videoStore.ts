/**
 * Video files stored with their project, once, in the browser's Origin Private File System:
 * `videos/<project id>/<clip id>.video` (the file as opened, copied in pieces: never whole in memory)
 * and `<clip id>.json` (a StoredVideoMeta, written last: a copy that did not finish is not listed, and is removed
 * when the project's videos are next listed). Frames are decoded from the file on demand (io/videoFrames.ts).
 */
import { AppError } from '../core/errors.ts';
import type { StoredVideoMeta } from '../core/video/videoFile.ts';

const DIR = 'videos';

export interface StoredVideo {
  videoId: number;
  /** the stored copy (disk-backed) */
  file: Blob;
  meta: StoredVideoMeta;
}

async function projectDir(projectId: string, create: boolean): Promise<FileSystemDirectoryHandle | null> {
  if (!navigator.storage?.getDirectory)
    throw new AppError(
      'IMAGE_DECODE',
      'This browser has no private file storage for video files.',
      'Use a current Chromium, Chrome or Edge.',
    );
  try {
    const root = await navigator.storage.getDirectory();
    const videos = await root.getDirectoryHandle(DIR, { create });
    return await videos.getDirectoryHandle(projectId, { create });
  } catch (e) {
    if (!create && (e as DOMException).name === 'NotFoundError') return null;
    throw e;
  }
}

/**
 * Stores a clip's file and what decoding its frames needs; resolves to the stored copy (frames are decoded from it,
 * not from the file as picked, which may be moved or changed). A copy that fails (storage full) leaves nothing behind.
 */
export async function saveVideo(projectId: string, videoId: number, file: Blob, meta: StoredVideoMeta): Promise<Blob> {
  const dir = (await projectDir(projectId, true))!;
  const name = `${videoId}.video`;
  try {
    const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
    try {
      // piece by piece from the picked file (a stream): a big file is never in memory whole
      await file.stream().pipeTo(w);
    } catch (e) {
      await w.abort().catch(() => undefined);
      throw e;
    }
    const j = await (await dir.getFileHandle(`${videoId}.json`, { create: true })).createWritable();
    await j.write(JSON.stringify(meta));
    await j.close();
    return await (await dir.getFileHandle(name)).getFile();
  } catch (e) {
    await dir.removeEntry(name).catch(() => undefined);
    await dir.removeEntry(`${videoId}.json`).catch(() => undefined);
    throw e;
  }
}

/** The video files stored with a project (a copy whose meta was never written is skipped). */
export async function loadVideos(projectId: string): Promise<StoredVideo[]> {
  const dir = await projectDir(projectId, false);
  if (!dir) return [];
  const out: StoredVideo[] = [];
  const names: string[] = [];
  for await (const [name] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) names.push(name);
  // a copy whose meta was never written (the page closed while copying) is removed
  for (const name of names)
    if (name.endsWith('.video') && !names.includes(name.replace(/\.video$/, '.json'))) await dir.removeEntry(name).catch(() => undefined);
  for await (const [name, h] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    const m = /^(\d+)\.json$/.exec(name);
    if (!m || h.kind !== 'file') continue;
    try {
      const meta = JSON.parse(await (await (h as FileSystemFileHandle).getFile()).text()) as StoredVideoMeta;
      const file = await (await dir.getFileHandle(`${m[1]}.video`)).getFile();
      out.push({ videoId: Number(m[1]), file, meta });
    } catch {
      // the file is gone or its meta unreadable: its frames show as missing files
    }
  }
  return out.sort((a, b) => a.videoId - b.videoId);
}

/** Removes one stored video file (its clip was not opened after all). */
export async function removeVideo(projectId: string, videoId: number): Promise<void> {
  const dir = await projectDir(projectId, false);
  for (const name of [`${videoId}.json`, `${videoId}.video`]) await dir?.removeEntry(name).catch(() => undefined);
}

/** Removes a project's video files. */
export async function removeVideos(projectId: string): Promise<void> {
  try {
    const root = await navigator.storage.getDirectory();
    const videos = await root.getDirectoryHandle(DIR);
    await videos.removeEntry(projectId, { recursive: true });
  } catch {
    // none stored
  }
}
