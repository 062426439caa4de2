/**
 * Tracks read from a video dataset (YouTube-VIS JSON, DAVIS / YouTube-VOS palette PNGs) added to
 * the clips of a project: each imported clip is matched to a clip of the project (by name, else by
 * its frames' names), each frame to a frame of that clip, and each track's masks become annotations
 * of a new track. Pure: returns a new project.
 */
import { fileStem } from '../export/files.ts';
import { rleArea, rleBbox, type CocoRle } from '../mask/rle.ts';
import { categoryColor } from '../project/palette.ts';
import { nextId, type Annotation, type Category, type ImageRecord, type Project, type TrackRole } from '../project/types.ts';
import { clipsOf, nextTrackId, type Clip } from './clips.ts';

/** A clip as a dataset names it: its name (null where it has none) and its frames' file names, in order. */
export interface ImportedClip {
  name: string | null;
  frames: string[];
}

/** One object across the frames of an imported clip. */
export interface ImportedTrack {
  /** index into the import's clips */
  clip: number;
  /** its category's name; null: the project's first category */
  category: string | null;
  /** its mask on each frame of the clip (index as in the clip's `frames`), null where it is not seen */
  masks: (CocoRle | null)[];
  /** how each mask came to be, where the dataset says (else a keyframe) */
  roles?: (TrackRole | null)[];
  flags?: (Annotation['flag'] | null)[];
}

export interface TrackImport {
  clips: ImportedClip[];
  tracks: ImportedTrack[];
}

export interface TrackMergeReport {
  project: Project;
  /** tracks added (those with at least one mask on a frame of the project) */
  tracks: number;
  /** annotations added */
  masks: number;
  newCategories: string[];
  /** frames with a mask that no frame of the project is ("clip/frame") */
  framesNotFound: string[];
  /** masks whose size is not their frame's: left out ("clip/frame (mask WxH, frame WxH)") */
  sizeMismatches: string[];
}

const lower = (s: string) => s.toLowerCase();
const stemKey = (name: string) => lower(fileStem(name));

/** The folders of a path, innermost first ("a/b/c.png" → ["b", "a"]). */
function foldersOf(path: string): string[] {
  return path.replace(/\\/g, '/').split('/').slice(0, -1).filter(Boolean).reverse();
}

/** How many of `frames` a clip has a frame of the same stem for. */
function stemMatches(clip: Clip, frames: readonly string[]): number {
  const stems = new Set(clip.frames.map((f) => stemKey(f.fileName)));
  let n = 0;
  for (const f of frames) if (stems.has(stemKey(f))) n++;
  return n;
}

/** The one clip of `candidates` with the most frame matches (ties: none). */
function bestOf(candidates: readonly Clip[], frames: readonly string[], needMatch: boolean): Clip | null {
  let best: Clip | null = null;
  let bestN = -1;
  let tie = false;
  for (const c of candidates) {
    const n = stemMatches(c, frames);
    if (n > bestN) [best, bestN, tie] = [c, n, false];
    else if (n === bestN) tie = true;
  }
  return tie || (needMatch && bestN <= 0) ? null : best;
}

/**
 * The project clip an imported clip is: the clip of its name (or of a folder its frames lie in,
 * innermost first; a name matches with or without its extension, case ignored), else the clip with
 * the most frames of the same names; null if none (or a tie).
 */
export function matchClip(clips: readonly Clip[], imported: ImportedClip): Clip | null {
  const names = [...(imported.name ? [imported.name] : []), ...(imported.frames[0] ? foldersOf(imported.frames[0]) : [])];
  for (const n of names) {
    const named = clips.filter((c) => lower(c.name) === lower(n) || stemKey(c.name) === stemKey(n));
    if (named.length) return bestOf(named, imported.frames, false);
  }
  return bestOf(clips, imported.frames, true);
}

/**
 * The project frame of each imported frame (null: none): by file name without folder and extension
 * (case ignored); where no name matches and the counts agree, by position (a clip of a video file,
 * whose frames have no names of their own).
 */
export function matchFrames(clip: Clip, frames: readonly string[]): (ImageRecord | null)[] {
  const byStem = new Map<string, ImageRecord>();
  for (const f of clip.frames) if (!byStem.has(stemKey(f.fileName))) byStem.set(stemKey(f.fileName), f);
  const out = frames.map((f) => byStem.get(stemKey(f)) ?? null);
  if (out.every((f) => f === null) && frames.length === clip.frames.length) return [...clip.frames];
  return out;
}

/**
 * Adds imported tracks to a project's clips. Categories are matched by name (case ignored) or
 * created; every imported track becomes a new track (ids from {@link nextTrackId}); each mask an
 * annotation (area and bbox from the mask, source "import", a keyframe unless the import says
 * otherwise). Empty masks are no masks.
 */
export function mergeTracksIntoProject(project: Project, imp: TrackImport, now = Date.now()): TrackMergeReport {
  const clips = clipsOf(project.images);
  const categories: Category[] = [...project.categories];
  const annotations = [...project.annotations];
  const newCategories: string[] = [];
  const framesNotFound: string[] = [];
  const sizeMismatches: string[] = [];
  const categoryOf = (name: string | null): number => {
    const wanted = name ?? categories[0]?.name ?? 'object';
    const existing = categories.find((c) => lower(c.name) === lower(wanted));
    if (existing) return existing.id;
    const id = nextId(categories);
    categories.push({ id, name: wanted, color: categoryColor(id) });
    newCategories.push(wanted);
    return id;
  };
  const matched = imp.clips.map((c) => {
    const clip = matchClip(clips, c);
    return clip ? matchFrames(clip, c.frames) : c.frames.map(() => null);
  });
  const clipLabel = (i: number) => imp.clips[i]?.name ?? foldersOf(imp.clips[i]?.frames[0] ?? '')[0] ?? `clip ${i + 1}`;
  const notFound = new Set<string>();
  let nextAnn = nextId(annotations);
  let nextTrack = nextTrackId(annotations);
  let tracks = 0;
  let masks = 0;
  for (const t of imp.tracks) {
    const frames = matched[t.clip] ?? [];
    const names = imp.clips[t.clip]?.frames ?? [];
    let trackId: number | null = null;
    let categoryId: number | null = null;
    for (let i = 0; i < t.masks.length; i++) {
      const seg = t.masks[i];
      if (!seg || rleArea(seg) === 0) continue;
      const label = `${clipLabel(t.clip)}/${fileStem(names[i] ?? String(i))}`;
      const im = frames[i];
      if (!im) {
        if (!notFound.has(label)) framesNotFound.push(label);
        notFound.add(label);
        continue;
      }
      const [h, w] = seg.size;
      if (h !== im.height || w !== im.width) {
        sizeMismatches.push(`${label} (mask ${w}x${h}, frame ${im.width}x${im.height})`);
        continue;
      }
      trackId ??= nextTrack++;
      categoryId ??= categoryOf(t.category);
      const flag = t.flags?.[i];
      annotations.push({
        id: nextAnn++,
        imageId: im.id,
        categoryId,
        segmentation: { size: [h, w], counts: seg.counts },
        area: rleArea(seg),
        bbox: rleBbox(seg),
        score: null,
        prompts: { points: [], box: null },
        source: 'import',
        createdAt: now,
        trackId,
        track: t.roles?.[i] ?? 'key',
        ...(flag ? { flag } : {}),
      });
      masks++;
    }
    if (trackId !== null) tracks++;
  }
  return { project: { ...project, categories, annotations }, tracks, masks, newCategories, framesNotFound, sizeMismatches };
}
