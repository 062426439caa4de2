/**
 * Video tracks brought in from other tools' files: a YouTube-VIS JSON, or DAVIS / YouTube-VOS palette
 * PNGs (a folder per clip, one PNG per frame, `instances.json` where there is one). Parsed in a worker;
 * the tracks land on the project's clips whose frames they name (one `ignore` change, as imports are);
 * frames the project does not have are reported, nothing else is lost.
 */
import { diffProjects } from '../../../core/project/changes.ts';
import { mergeTracksIntoProject } from '../../../core/video/trackImport.ts';
import type { SliceContext } from '../store.ts';

export interface VideoImportSlice {
  /** Imports tracks from a YouTube-VIS JSON or palette PNGs; resolves to the number of tracks added. */
  importTracks(files: readonly { blob: Blob; name: string }[]): Promise<number>;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function createVideoImportSlice({ get, deps }: SliceContext): VideoImportSlice {
  return {
    async importTracks(files) {
      const what = files.length === 1 ? files[0]!.name : plural(files.length, 'file');
      if (files.length === 0) return 0;
      const parsed = await deps.io.parseTracks(files);
      if (!parsed.ok) {
        get().notify(
          'error',
          `No tracks were imported from ${what}: ${parsed.message}.`,
          'Fix the file (or pick the right folder) and import again; nothing was changed.',
        );
        return 0;
      }
      const before = get().project;
      if (!before.images.some((im) => im.video)) {
        get().notify(
          'error',
          `No tracks were imported from ${what}: the project has no video.`,
          'Open the clip first (its frames folder or video file), then import its tracks.',
        );
        return 0;
      }
      const report = mergeTracksIntoProject(before, parsed.tracks);
      if (report.tracks === 0) {
        get().notify(
          'error',
          `No tracks were imported from ${what}: none of its frames is a frame of the project.`,
          report.framesNotFound.length
            ? `For example ${report.framesNotFound.slice(0, 3).join(', ')}. Open that clip first.`
            : 'Open the clip first.',
        );
        return 0;
      }
      if (!get().change(diffProjects(before, report.project), 'ignore', { label: 'import tracks' })) return 0;
      const parts = [`Imported ${plural(report.tracks, 'track')} (${plural(report.masks, 'mask')}) from ${what}`];
      if (report.newCategories.length) parts.push(`${plural(report.newCategories.length, 'new category', 'new categories')}`);
      get().notify('info', `${parts.join(', ')}.`);
      if (report.framesNotFound.length)
        get().notify(
          'warning',
          `${plural(report.framesNotFound.length, 'frame')} of ${what} are not in the project; their masks were left out.`,
          report.framesNotFound.slice(0, 5).join(', '),
        );
      if (report.sizeMismatches.length)
        get().notify(
          'warning',
          `${plural(report.sizeMismatches.length, 'mask')} were left out: their size is not their frame's.`,
          report.sizeMismatches.slice(0, 3).join('; '),
        );
      return report.tracks;
    },
  };
}
