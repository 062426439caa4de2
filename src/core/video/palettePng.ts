/**
 * DAVIS / YouTube-VOS annotations: one indexed-colour PNG per frame, the pixel value the object's
 * index in its clip (0 background), coloured with the DAVIS palette. The export writes them with an
 * `instances.json` (YouTube-VOS `meta.json` layout, plus each object's track id and the clip's
 * name) from which the import recovers categories; without it, a folder of single-object masks
 * (DAVIS 2016: 0 / 255 grayscale) is one object.
 */
import { encode } from 'fast-png';
import { uniqueStems } from '../export/files.ts';
import { rleCountsFromString, rleFromMask, type CocoRle } from '../mask/rle.ts';
import type { Project } from '../project/types.ts';
import { clipsOf, sortFrameNames, tracksOf } from './clips.ts';
import type { ImportedClip, ImportedTrack, TrackImport } from './trackImport.ts';

/** Objects one clip's palette PNGs can hold: indices 1..254 (255 is "void" in DAVIS and VOC, left unused). */
export const MAX_PALETTE_OBJECTS = 254;

/**
 * The DAVIS (PASCAL VOC) colour map: index i's red, green and blue take bits 0, 1 and 2 of each
 * 3-bit group of i, the first group in their top bit (1 → #800000, 2 → #008000, 8 → #400000).
 */
export function davisPalette(n = 256): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let j = 0; j < 8; j++) {
      r |= (c & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    out.push([r, g, b]);
  }
  return out;
}

/** What `instances.json` says of one clip (the layout of YouTube-VOS `meta.json`, with extras). */
export interface PaletteClipMeta {
  /** the clip's name in the project */
  name: string;
  fps: number | null;
  /** by index ("1", "2", ...): the track, its category and the frames (file stems) it has a mask on */
  objects: Record<string, { track_id: number; category: string; frames: string[] }>;
}

export interface PaletteMeta {
  /** by folder (the clip's name without extension) */
  videos: Record<string, PaletteClipMeta>;
}

/** Paints the object runs of a mask's compressed RLE with `value` in a row-major index image. */
function paint(out: Uint8Array, rle: CocoRle, value: number): void {
  const [h, w] = rle.size;
  const counts = rleCountsFromString(rle.counts);
  let pos = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (i % 2 === 1)
      for (let p = pos; p < pos + c && p < w * h; p++) {
        const x = Math.floor(p / h);
        out[(p - x * h) * w + x] = value;
      }
    pos += c;
  }
}

/**
 * One palette PNG per frame of each clip, at `<clip name without extension>/<frame file name without
 * extension>.png`: the value of a pixel is the index (1..N, tracks in id order) of the track whose
 * mask covers it, the later track where masks overlap, 0 where none does; and `instances.json`. A
 * frame without masks is written all 0. Throws where a clip has more than {@link MAX_PALETTE_OBJECTS}
 * tracks. `keep` leaves out masks (e.g. unreviewed proposals).
 */
export function palettePngFiles(
  project: Project,
  options: { keep?: (a: Project['annotations'][number]) => boolean } = {},
): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const clips = clipsOf(project.images);
  const folders = uniqueStems(clips.map((c) => c.name));
  const palette = davisPalette();
  const catName = new Map(project.categories.map((c) => [c.id, c.name]));
  const anns = options.keep ? project.annotations.filter(options.keep) : project.annotations;
  const meta: PaletteMeta = { videos: {} };
  clips.forEach((clip, k) => {
    const folder = folders[k]!;
    const tracks = tracksOf({ images: project.images, annotations: anns }, clip.id);
    if (tracks.length > MAX_PALETTE_OBJECTS)
      throw new Error(
        `clip "${clip.name}" has ${tracks.length} tracks; palette PNGs hold at most ${MAX_PALETTE_OBJECTS} objects per clip. Export it as COCO or YouTube-VIS instead`,
      );
    const stems = uniqueStems(clip.frames.map((f) => f.fileName));
    const objects: PaletteClipMeta['objects'] = {};
    tracks.forEach((t, i) => {
      objects[String(i + 1)] = { track_id: t.id, category: catName.get(t.categoryId) ?? 'object', frames: [] };
    });
    clip.frames.forEach((f, j) => {
      const data = new Uint8Array(f.width * f.height);
      tracks.forEach((t, i) => {
        const a = t.byFrame.get(f.video!.frame);
        if (!a) return;
        if (a.segmentation.size[0] !== f.height || a.segmentation.size[1] !== f.width)
          throw new Error(
            `a mask of track ${t.id} is ${a.segmentation.size[1]}x${a.segmentation.size[0]}, its frame ${f.fileName} ${f.width}x${f.height}`,
          );
        paint(data, a.segmentation, i + 1);
        objects[String(i + 1)]!.frames.push(stems[j]!);
      });
      files[`${folder}/${stems[j]}.png`] = encode(
        { width: f.width, height: f.height, data, channels: 1, depth: 8, palette },
        { zlib: { level: 6 } },
      );
    });
    meta.videos[folder] = { name: clip.name, fps: clip.fps, objects };
  });
  files['instances.json'] = new TextEncoder().encode(JSON.stringify(meta, null, 1));
  return files;
}

/** One decoded annotation PNG: its path (folders name the clip) and its index (or gray value) per pixel, row-major. */
export interface IndexImage {
  path: string;
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/** The folders of a path, innermost first. */
function foldersOf(path: string): string[] {
  return path.replace(/\\/g, '/').split('/').slice(0, -1).filter(Boolean).reverse();
}

/** The clip entry of `instances.json` (parsed) for a folder, looking at its folders innermost first. */
function metaOf(meta: unknown, folder: string): PaletteClipMeta | null {
  if (typeof meta !== 'object' || meta === null) return null;
  const videos = (meta as { videos?: unknown }).videos;
  if (typeof videos !== 'object' || videos === null) return null;
  for (const f of foldersOf(`${folder}/x`)) {
    if (!Object.prototype.hasOwnProperty.call(videos, f)) continue;
    const v = (videos as Record<string, unknown>)[f];
    if (typeof v === 'object' && v !== null) return v as PaletteClipMeta;
  }
  return null;
}

/**
 * Tracks from decoded annotation PNGs (palette indices, or gray values of single-object masks): the
 * files grouped into clips by folder, each clip's frames in frame order (by the number in their
 * names), one track per index. With `instances` (the parsed `instances.json`), a clip's listed
 * objects get their categories; without it (or for indices it does not list), a clip with a single
 * non-zero value (a 0 / 255 mask) is one object, and otherwise every value 1..254 is an object and
 * 255 is void (the DAVIS / VOC convention), left out. Their category is null (the project's first).
 */
export function tracksFromPalettePngs(files: readonly IndexImage[], instances?: unknown): TrackImport {
  const byFolder = new Map<string, IndexImage[]>();
  for (const f of files) {
    const parts = f.path.replace(/\\/g, '/').split('/');
    const folder = parts.slice(0, -1).join('/');
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), { ...f, path: parts.join('/') }]);
    if (f.data.length < f.width * f.height) throw new RangeError(`${f.path}: ${f.data.length} values for ${f.width}x${f.height} pixels`);
  }
  const clips: ImportedClip[] = [];
  const tracks: ImportedTrack[] = [];
  for (const [folder, list] of byFolder) {
    const frames = sortFrameNames(list.map((f) => ({ name: f.path, f }))).map((x) => x.f);
    const meta = metaOf(instances, folder);
    const listed = new Map<number, string>();
    for (const [k, o] of Object.entries(meta?.objects ?? {})) {
      const v = Number(k);
      if (Number.isInteger(v) && v > 0 && v < 256)
        listed.set(v, typeof o?.category === 'string' && o.category.trim() ? o.category.trim() : 'object');
    }
    const values = new Set<number>();
    for (const f of frames) for (let p = 0, n = f.width * f.height; p < n; p++) if (f.data[p]) values.add(f.data[p]!);
    // a single-object mask folder: its one value (255, 1, ...) is the object; else 255 is void
    const single = !listed.size && values.size === 1;
    const objects = [...values].filter((v) => single || listed.has(v) || v !== 255).sort((a, b) => a - b);
    const clip = clips.length;
    clips.push({
      name: typeof meta?.name === 'string' ? meta.name : (foldersOf(`${folder}/x`)[0] ?? null),
      frames: frames.map((f) => f.path),
    });
    for (const v of objects) {
      tracks.push({
        clip,
        category: listed.get(v) ?? null,
        masks: frames.map((f) => {
          const n = f.width * f.height;
          const m = new Uint8Array(n);
          let any = false;
          for (let p = 0; p < n; p++)
            if (f.data[p] === v) {
              m[p] = 1;
              any = true;
            }
          return any ? rleFromMask(m, f.width, f.height) : null;
        }),
      });
    }
  }
  return { clips, tracks };
}
