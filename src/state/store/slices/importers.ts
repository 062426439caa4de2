/**
 * Bringing work in: image files, COCO files, mask PNGs. Each lands in the document as one `ignore`
 * change (never undone by Ctrl+Z); a bad file is reported precisely and changes nothing.
 */
import { AppError, appErrorFromUnknown } from '../../../core/errors.ts';
import { COCO_LIMITS, matchWaitingImage } from '../../../core/coco/import.ts';
import { mergeCocoIntoProject } from '../../../core/coco/merge.ts';
import { categoryFromMaskFileName, maskPngImageKeys } from '../../../core/coco/maskPng.ts';
import { DiffBuilder, diffProjects } from '../../../core/project/changes.ts';
import { categoryColor } from '../../../core/project/palette.ts';
import { fileStem } from '../../../core/export/files.ts';
import { EMPTY_PROMPTS } from '../../../core/sam/prompts.ts';
import type { VideoFrame } from '../../../core/project/types.ts';
import type { SliceContext } from '../store.ts';
import { nextImageId } from '../selectors.ts';
import { startReviewOf } from '../steps.ts';

/** An image to add: a file, or a frame of a stored video (no `blob`; `size` and `video` given). */
export interface ImageItem {
  blob?: Blob;
  name: string;
  video?: VideoFrame;
  size?: { width: number; height: number };
}

export interface ImportSlice {
  addFiles(files: readonly File[]): Promise<number[]>;
  /** Validates and adds images (bad files are reported and skipped); shows the first added, or only if none is shown. */
  /** `ungated`: called from within a project operation (which the gate would wait for). */
  /**
   * Adds images from files; an item without `blob` is a frame of a stored video file (`size` its pixels' size,
   * decoded from the video when shown: see `addVideoFile`).
   */
  addImageBlobs(items: readonly ImageItem[], show?: 'first' | 'if-none', ungated?: boolean): Promise<number[]>;
  /** Imports mask PNGs (binary or instance-id) matched to images by name; any bad file: nothing is imported. */
  importMaskPngs(files: readonly { blob: Blob; name: string }[]): Promise<number>;
  /** Imports a COCO instances file; a bad file is reported precisely and changes nothing. */
  importCoco(file: Blob, name: string): Promise<boolean>;
  /** The COCO import under way: the file and how many of its annotations are checked (null: none). */
  importing: { name: string; done: number; total: number } | null;
  /** Stops the COCO import under way; nothing of it is added. */
  cancelImport(): void;
  /** Resolves once every image addition under way has finished (files validated, the first shown). */
  whenImagesAdded(): Promise<void>;
  /**
   * Image additions and imports wait for this (the saved project being restored, a new project being
   * made): what the user opens meanwhile lands in the project they will see.
   */
  setInitGate(gate: () => Promise<unknown>): void;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function createImportSlice(ctx: SliceContext): ImportSlice {
  const { get, set, deps, ids } = ctx;
  let importAbort: AbortController | null = null;
  const addsInFlight = new Set<Promise<unknown>>();
  let initGate: () => Promise<unknown> = () => Promise.resolve();

  const addImagesNow = async (items: readonly ImageItem[], show: 'first' | 'if-none', ungated: boolean): Promise<number[]> => {
    if (!ungated) await initGate().catch(() => undefined);
    const added: number[] = [];
    // another project opened meanwhile ("New", a switch): the files not added yet go to neither
    const projectId = get().projectId;
    // ids for all of them at hand (a batch of video frames is added without a wait between images)
    await ids.reserve('images', items.length, get().project);
    for (const { blob, name, video, size } of items) {
      try {
        const { width, height } = blob ? await deps.io.probeImage(blob, name) : size!;
        // a frame of a stored video: its file is the video's frame
        const register = (id: number) =>
          blob ? deps.io.registerImage(id, blob, name) : deps.io.registerVideoFrame(id, video!.id, video!.frame, name);
        const s = get();
        if (s.projectId !== projectId) return added;
        // an image already in the project without its file (named by an imported COCO file) gets it now
        // (a frame of a stored video goes only to a waiting frame of its own clip: it is found again by clip after a reload)
        const match = matchWaitingImage(
          s.project.images.filter((im) => !deps.io.hasImageFile(im.id) && (blob || im.video?.id === video?.id)),
          name,
          video,
        );
        if (match && 'ambiguous' in match) {
          const named = match.ambiguous.map((im) => im.fileName);
          throw new AppError(
            'IMAGE_AMBIGUOUS',
            `${name} was not opened: ${named.length} imported images are named so (${named.slice(0, 5).join(', ')}${named.length > 5 ? ', ...' : ''}).`,
            'Open it inside its folder (or the folder above it), so that its path tells which one it is.',
          );
        }
        const waiting = match?.image;
        if (waiting) {
          if (waiting.width !== width || waiting.height !== height) {
            throw new AppError(
              'IMAGE_MISMATCH',
              `${name} is ${width}x${height} px, but the imported annotations of ${waiting.fileName} are for ${waiting.width}x${waiting.height} px.`,
              'Open the file the annotations were made on.',
            );
          }
          register(waiting.id);
          deps.engine.fileAttached(waiting.id);
          s.setImageStatus(waiting.id, 'pending');
          added.push(waiting.id);
          continue;
        }
        const id = ids.next('images', s.project);
        register(id);
        const record = video ? { id, fileName: name, width, height, video } : { id, fileName: name, width, height };
        s.change(new DiffBuilder(s.project).add('images', record).diff, 'ignore', { label: video ? 'open frames' : 'open image' });
        added.push(id);
      } catch (e) {
        const err = appErrorFromUnknown(e);
        get().notify('error', err.message, err.hint);
      }
    }
    const first = added[0];
    const s = get();
    if (first !== undefined && (show === 'first' || s.currentImageId === null)) s.showImage(first);
    else deps.engine.show(s.currentImageId, nextImageId(s, s.currentImageId));
    return added;
  };

  return {
    async addFiles(files) {
      return get().addImageBlobs(files.map((f) => ({ blob: f, name: f.webkitRelativePath || f.name })));
    },

    async addImageBlobs(items, show = 'first', ungated = false) {
      const run = addImagesNow(items, show, ungated);
      addsInFlight.add(run);
      try {
        return await run;
      } finally {
        addsInFlight.delete(run);
      }
    },

    async whenImagesAdded() {
      while (addsInFlight.size > 0) await Promise.allSettled([...addsInFlight]);
    },

    setInitGate(gate) {
      initGate = gate;
    },

    async importMaskPngs(files) {
      const byKey = new Map(get().project.images.map((im) => [fileStem(im.fileName).toLowerCase(), im]));
      const errors: string[] = [];
      const matched = files.map(({ name }) =>
        maskPngImageKeys(name)
          .map((k) => byKey.get(k))
          .find((x) => x),
      );
      files.forEach((f, i) => {
        if (!matched[i]) errors.push(`${f.name}: no image of that name in the project`);
      });
      // decoded in a worker: large PNGs must not block the page
      const decoded = errors.length ? [] : await deps.io.decodeMaskPngs(files.map((f) => f.blob));
      await initGate().catch(() => undefined);
      decoded.forEach((d, i) => {
        const im = matched[i]!;
        const name = files[i]!.name;
        if (!d.ok) errors.push(`${name}: ${d.error}`);
        else if (d.width !== im.width || d.height !== im.height)
          errors.push(`${name} is ${d.width}x${d.height} px, its image ${im.fileName} is ${im.width}x${im.height}`);
      });
      if (errors.length) {
        get().notify(
          'error',
          `No masks were imported: ${plural(errors.length, 'file')} could not be used.`,
          errors.slice(0, 4).join('; ') + (errors.length > 4 ? '; …' : ''),
        );
        return 0;
      }
      const objects = decoded.reduce((n, d) => n + (d.ok ? d.objects.length : 0), 0);
      await ids.reserve('annotations', objects, get().project);
      const s = get();
      const b = new DiffBuilder(s.project);
      decoded.forEach((d, i) => {
        if (!d.ok) return;
        const categoryName = categoryFromMaskFileName(files[i]!.name);
        let categoryId = s.currentCategoryId;
        if (categoryName) {
          const c = b.project.categories.find((x) => x.name.toLowerCase() === categoryName.toLowerCase());
          if (c) categoryId = c.id;
          else {
            categoryId = ids.next('categories', b.project);
            b.add('categories', { id: categoryId, name: categoryName, color: categoryColor(categoryId) });
          }
        }
        for (const o of d.objects) {
          b.add('annotations', {
            id: ids.next('annotations', b.project),
            imageId: matched[i]!.id,
            categoryId,
            segmentation: o.rle,
            area: o.area,
            bbox: o.bbox,
            score: null,
            prompts: EMPTY_PROMPTS,
            source: 'import',
            createdAt: Date.now(),
          });
        }
      });
      if (!s.change(b.diff, 'ignore', { label: 'import masks' })) return 0;
      get().notify('info', `Imported ${plural(objects, 'mask')} from ${plural(files.length, 'PNG file')}.`);
      return objects;
    },

    importing: null,

    cancelImport() {
      importAbort?.abort();
    },

    async importCoco(file, name) {
      // parsed and validated in a worker: a large file (a pre-annotated dataset) must not block the page
      importAbort?.abort();
      const abort = new AbortController();
      importAbort = abort;
      set({ importing: { name, done: 0, total: 0 } });
      let lastShown = 0;
      const parsed = await deps.io
        .parseCoco(file, {
          signal: abort.signal,
          onProgress: (done, total) => {
            // a few updates a second are enough for a progress bar
            if (abort.signal.aborted || performance.now() - lastShown < 200) return;
            lastShown = performance.now();
            set({ importing: { name, done, total } });
          },
        })
        .finally(() => {
          if (importAbort === abort) {
            importAbort = null;
            set({ importing: null });
          }
        });
      await initGate().catch(() => undefined);
      if (!parsed.ok && parsed.kind === 'cancelled') {
        get().notify('info', `The import of ${name} was cancelled; nothing was imported.`);
        return false;
      }
      if (!parsed.ok) {
        if (parsed.kind === 'json')
          get().notify('error', `${name} is not valid JSON: ${parsed.message}.`, 'Export the file again; nothing was imported.');
        else
          get().notify(
            'error',
            `${name} is not a valid COCO file: ${parsed.message}.`,
            'Fix that field and import again; nothing was imported.',
          );
        return false;
      }
      const coco = parsed.coco;
      // what the project would hold with this file: refused before anything is added or saved
      const total = get().project.annotations.length + coco.annotations.length;
      if (total > COCO_LIMITS.maxAnnotations) {
        get().notify(
          'error',
          `${name} was not imported: the project would hold ${total.toLocaleString('en')} annotations, more than the ${COCO_LIMITS.maxAnnotations.toLocaleString('en')} one project can hold.`,
          'Import it into a new project ("New"), or split it by image.',
        );
        return false;
      }
      for (const [coll, n] of [
        ['images', coco.images.length],
        ['categories', coco.categories.length],
        ['annotations', coco.annotations.length],
        ['pendingBoxes', coco.annotations.length],
      ] as const)
        await ids.reserve(coll, n, get().project);
      const before = get().project;
      const report = mergeCocoIntoProject(before, coco, Date.now(), (coll) => ids.next(coll, before));
      if (!get().change(diffProjects(before, report.project), 'ignore', { label: 'import COCO' })) return false;
      const missing = report.project.images.filter((im) => !deps.io.hasImageFile(im.id)).map((im) => im.fileName);
      const parts = [`Imported ${plural(report.masks, 'mask')}`];
      if (report.boxes) parts.push(`${plural(report.boxes, 'box', 'boxes')} waiting to become masks`);
      if (report.newCategories.length) parts.push(`${plural(report.newCategories.length, 'new category', 'new categories')}`);
      get().notify(
        'info',
        `${parts.join(', ')} from ${name}.`,
        missing.length
          ? `Open the images it names to see them: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}.`
          : '',
      );
      if (coco.emptyMasks.length) {
        get().notify(
          'warning',
          `${plural(coco.emptyMasks.length, 'annotation')} of ${name} were left out: their masks cover no pixel of their image.`,
          `COCO ids: ${coco.emptyMasks.slice(0, 10).join(', ')}${coco.emptyMasks.length > 10 ? ', …' : ''}. Their polygons lie outside the image or are degenerate.`,
        );
      }
      if (report.sizeMismatches.length) {
        get().notify(
          'warning',
          `Annotations of ${plural(report.sizeMismatches.length, 'image')} were skipped: the sizes differ.`,
          report.sizeMismatches.slice(0, 3).join('; '),
        );
      }
      const s = get();
      if (s.currentImageId === null && report.project.images[0]) s.showImage(report.project.images[0].id);
      else {
        deps.engine.show(s.currentImageId, nextImageId(s, s.currentImageId));
        // imported proposals (e.g. the CLI's output) for the shown image: start reviewing
        startReviewOf(ctx);
      }
      return true;
    },
  };
}
