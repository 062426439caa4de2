/**
 * A video file opened as a clip (the video slice's `addVideoFile`): read in a worker (io `readVideo`: its facts and
 * every frame's time, then which frames decode), stored once with the project (io `storeVideo`), its annotated
 * frames added as images in batches as they are checked (the first shown at once), each decoded from the stored
 * file when shown or encoded. A file that cannot be opened is reported and adds nothing; damaged frames are named
 * in a warning and the others kept; a file the storage left cannot hold is refused before anything is copied.
 */
import { clipsOf } from '../../../core/video/clips.ts';
import { damagedWarning, endsEarlyWarning, frameImageName, storageRefusal } from '../../../core/video/videoFile.ts';
import type { Project } from '../../../core/project/types.ts';
import type { IdSource } from '../deps.ts';
import type { SliceContext } from '../store.ts';

/** The video file being decoded: its name, frames decoded of all (0 of 0: reading the file). */
export interface VideoDecoding {
  name: string;
  done: number;
  total: number;
}

export interface OpenVideoOptions {
  /** annotate every k-th frame (1: every frame; the last frame always) */
  every?: number;
}

/**
 * A new clip's id: an image id reserved for this tab (the ids of ProjectIds, or of the project server), so two tabs,
 * or two browsers on one server project, opening clips at once never give them one id; never one a clip already has
 * (clips made before took the smallest free number), nor one in `taken` (clips still being decoded).
 */
export function newClipId(ids: IdSource, project: Project, taken: ReadonlySet<number> = new Set()): number {
  const used = new Set<number>();
  for (const im of project.images) if (im.video) used.add(im.video.id);
  for (;;) {
    const id = ids.next('images', project);
    if (!used.has(id) && !taken.has(id)) return id;
  }
}

/** The `addVideoFile` action: resolves to the image ids of the frames added (none when the file could not be opened). */
export function videoFileOpener(ctx: SliceContext): (file: Blob, name: string, options?: OpenVideoOptions) => Promise<number[]> {
  const { get, set, deps } = ctx;
  // clip ids taken by files still being decoded (their frames are not all in the project yet)
  const taken = new Set<number>();
  const progress = (name: string, done: number, total: number) => set({ videoDecoding: { name, done, total } });

  return async (file, name, options = {}) => {
    const every = Math.max(1, Math.floor(options.every ?? 1));
    const added: number[] = [];
    let clip: { id: number; fps: number | null; width: number; height: number } | null = null;
    // another project opened meanwhile ("New", a switch): its frames go on to no project, and decoding stops
    const projectId = get().projectId;
    const left = () => get().projectId !== projectId;
    let storedId: number | null = null;
    progress(name, 0, 0);
    try {
      const result = await deps.io.readVideo(file, name, every, {
        async onInfo(info) {
          const refusal = storageRefusal(name, file.size, await deps.io.storageEstimate());
          if (refusal) {
            get().notify('error', refusal.message, refusal.hint);
            return false;
          }
          if (left()) return false;
          // a clip of that name whose frames were all imported without their files (a COCO file; none on a team
          // server either) gets them from this one; any other clip is left alone (this file becomes a clip of its own)
          const images = get().project.images;
          const named = clipsOf(images).filter((c) => c.name === name);
          const waiting = named.find((c) => c.frames.every((im) => !deps.io.hasImageFile(im.id) && !im.sha256))?.id;
          const id = waiting ?? newClipId(ctx.ids, get().project, taken);
          taken.add(id);
          clip = { id, fps: info.fps, width: info.width, height: info.height };
          const stored = await deps.io.storeVideo(id, file, {
            name,
            timestamps: info.timestamps,
            width: info.width,
            height: info.height,
            fps: info.fps,
            bytes: file.size,
          });
          if (stored !== null) {
            if (!left()) get().notify('error', stored, 'Free space (delete projects you no longer need), then open the file again.');
            return false;
          }
          storedId = id;
          progress(name, 0, info.frames);
          return !left();
        },
        async onFrames(frames, done, total) {
          if (left()) return false;
          const c = clip!;
          const items = frames.map((frame) => ({
            name: frameImageName(name, frame),
            video: { id: c.id, name, frame, fps: c.fps },
            size: { width: c.width, height: c.height },
          }));
          const ids = await get().addImageBlobs(items, added.length === 0 ? 'first' : 'if-none');
          if (left()) return false;
          added.push(...ids);
          progress(name, done, total);
          return true;
        },
        onProgress: (done, total) => progress(name, done, total),
      });
      if (left()) {
        if (added.length)
          get().notify(
            'info',
            `${name}: opening stopped when another project was opened; ${added.length} frame(s) had been added to the project before.`,
          );
      } else if (!result.ok) {
        if (result.kind !== 'stopped')
          get().notify(
            'error',
            result.message,
            added.length ? `${added.length} frame(s) read before that were opened. ${result.hint}` : result.hint,
          );
      } else {
        const warning = damagedWarning(name, result.damaged, added.length, result.truncated);
        if (warning) get().notify('warning', warning.message, warning.hint);
        if (result.endsEarly) {
          const w = endsEarlyWarning(name, result.endsEarly.at, result.endsEarly.of, added.length);
          get().notify('warning', w.message, w.hint);
        }
      }
      return added;
    } finally {
      // a file stored for a clip that got no frame (damaged throughout, stopped by a switch) is not kept
      if (storedId !== null && added.length === 0) deps.io.dropVideo(storedId);
      if (clip) taken.delete((clip as { id: number }).id);
      if (get().videoDecoding?.name === name) set({ videoDecoding: null });
    }
  };
}
