import { AppError } from '../core/errors.ts';
import { checkImageFile, checkImageSize, imageSizeFromHeader } from '../core/project/imageFiles.ts';
import { FrameCache, type VideoFrameSource } from './videoFrames.ts';

/** Longest side of the downscaled copy drawn while the view is zoomed out. */
export const PREVIEW_LONGEST_SIDE = 2048;
const BITMAP_CACHE = 4;
const PREVIEW_CACHE = 16;

function closeLater(p: Promise<ImageBitmap>): void {
  void p.then((b) => b.close()).catch(() => undefined);
}

/** A PNG file's size from its header (null: not a PNG). */
async function pngSize(blob: Blob): Promise<{ width: number; height: number } | null> {
  const head = new Uint8Array(await blob.slice(0, 24).arrayBuffer());
  return head[0] === 0x89 && head[1] === 0x50 ? imageSizeFromHeader(head) : null;
}

/** Keeps at most `max` entries, closing the bitmaps of the oldest. */
function trim(cache: Map<number, Promise<ImageBitmap>>, max: number): void {
  while (cache.size > max) {
    const [oldest, old] = cache.entries().next().value as [number, Promise<ImageBitmap>];
    cache.delete(oldest);
    closeLater(old);
  }
}

/** An image's file: its name and its bytes (a frame of a stored video: decoded when read). */
export interface ImageFile {
  name: string;
  read(): Promise<Blob>;
  /** the clip and frame a video frame is decoded from (absent: a file of its own) */
  frame?: { source: VideoFrameSource; frame: number };
}

/**
 * Source files of the open project's images, by image id, and the bitmaps decoded from them (pixels
 * never go into the store). A frame of a video file stored with the project has no file of its own: it
 * is decoded from the video when read (io/videoFrames.ts). One per app (made by the composition root);
 * views read it through the app's context.
 */
export class ImageRegistry {
  private readonly files = new Map<number, ImageFile>();
  private readonly sources = new Map<number, VideoFrameSource>();
  /** decoded frames of the stored videos, bounded in bytes (shared by their sources) */
  readonly frames = new FrameCache();
  private readonly bitmaps = new Map<number, Promise<ImageBitmap>>();
  private readonly previews = new Map<number, Promise<ImageBitmap>>();
  private readonly thumbs = new WeakMap<ImageFile, Promise<ImageBitmap>>();
  private readonly listeners = new Set<() => void>();
  private changes = 0;

  private changed(): void {
    this.changes++;
    for (const l of this.listeners) l();
  }

  /** Bumped whenever a file is registered or the registry cleared (views that show which files are open). */
  version = (): number => this.changes;

  onChange = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  /** Registers an image's file (writing a new one to storage is persistence's: `Persistence.addImageFile`). */
  register(id: number, blob: Blob, name: string): void {
    this.set(id, { name, read: () => Promise.resolve(blob) });
  }

  /** A stored video file of the open project (its frames are registered with `registerFrame`). */
  registerVideo(videoId: number, source: VideoFrameSource): void {
    this.sources.get(videoId)?.close();
    this.sources.set(videoId, source);
  }

  video(videoId: number): VideoFrameSource | undefined {
    return this.sources.get(videoId);
  }

  /** Bytes of decoded frames kept now, and the most kept. */
  frameCache(): { bytes: number; maxBytes: number } {
    return { bytes: this.frames.bytes, maxBytes: this.frames.lru.maxSize };
  }

  /** Registers an image that is frame `frame` of a stored video. */
  registerFrame(id: number, source: VideoFrameSource, frame: number, name: string): void {
    source.want(frame);
    this.set(id, { name, read: () => source.read(frame), frame: { source, frame } });
  }

  private set(id: number, file: ImageFile): void {
    this.files.set(id, file);
    // a new file for the image: what was decoded from the old one is not its picture
    this.bitmaps.delete(id);
    this.previews.delete(id);
    this.changed();
  }

  /** The image's file (undefined: not open here); the same object until another is registered for it. */
  file = (id: number): ImageFile | undefined => this.files.get(id);

  has(id: number): boolean {
    return this.files.has(id);
  }

  /** The display bitmap of an image (decoded off the main thread by the browser), few kept. */
  bitmap(id: number): Promise<ImageBitmap> {
    let p = this.bitmaps.get(id);
    if (p) {
      this.bitmaps.delete(id);
      this.bitmaps.set(id, p);
      return p;
    }
    const src = this.files.get(id);
    if (!src) return Promise.reject(new Error(`image ${id} has no file`));
    p = src.read().then((blob) => createImageBitmap(blob));
    this.bitmaps.set(id, p);
    this.forgetFailure(this.bitmaps, id, p);
    trim(this.bitmaps, BITMAP_CACHE);
    return p;
  }

  /**
   * A copy of the image no larger than {@link PREVIEW_LONGEST_SIDE}, decoded and scaled by the browser
   * off the main thread; small images are returned at full size.
   */
  preview(id: number): Promise<ImageBitmap> {
    const cached = this.previews.get(id);
    if (cached) return cached;
    const src = this.files.get(id);
    if (!src) return Promise.reject(new Error(`image ${id} has no file`));
    const p = src.read().then(async (blob) => {
      // a PNG (video frames) says its size in its header: a large one is decoded once, straight to the copy's size
      const head = await pngSize(blob);
      const full = head && Math.max(head.width, head.height) > PREVIEW_LONGEST_SIDE ? head : await createImageBitmap(blob);
      const longest = Math.max(full.width, full.height);
      if (longest <= PREVIEW_LONGEST_SIDE) return full as ImageBitmap;
      const k = PREVIEW_LONGEST_SIDE / longest;
      const [w, h] = [Math.round(full.width * k), Math.round(full.height * k)];
      if ('close' in full) full.close();
      // scaled from the file, not from the decoded bitmap: a bitmap's resize runs on the main thread (a long
      // task on every new frame of a clip), the file's decode and resize on the browser's decoding threads
      return createImageBitmap(blob, { resizeWidth: w, resizeHeight: h, resizeQuality: 'high' });
    });
    this.previews.set(id, p);
    this.forgetFailure(this.previews, id, p);
    trim(this.previews, PREVIEW_CACHE);
    return p;
  }

  /** A small copy of an image (longest side `size` px) for the image list, decoded off the main thread, cached per file. */
  thumbnail(id: number, size = 48): Promise<ImageBitmap> {
    const src = this.files.get(id);
    if (!src) return Promise.reject(new Error(`image ${id} has no file`));
    let p = this.thumbs.get(src);
    if (!p) {
      p = src.read().then(async (blob) => {
        // a PNG's size is in its header (one decode, not two); other files are decoded once to learn it (EXIF turns JPEGs)
        const full = (await pngSize(blob)) ?? (await createImageBitmap(blob));
        const k = size / Math.max(full.width, full.height);
        const [w, h] = [Math.max(1, Math.round(full.width * k)), Math.max(1, Math.round(full.height * k))];
        if ('close' in full) full.close();
        // from the file (the browser's decoding threads), not from the bitmap (the main thread)
        return createImageBitmap(blob, { resizeWidth: w, resizeHeight: h, resizeQuality: 'medium' });
      });
      this.thumbs.set(src, p);
      // a frame that could not be decoded now (the file busy, a switch) is tried again next time
      p.catch(() => this.thumbs.get(src) === p && this.thumbs.delete(src));
    }
    return p;
  }

  /** A read that failed is not kept (a frame's decode can fail now and work later). */
  private forgetFailure(cache: Map<number, Promise<ImageBitmap>>, id: number, p: Promise<ImageBitmap>): void {
    p.catch(() => {
      if (cache.get(id) === p) cache.delete(id);
    });
  }

  /** Forgets every image file, stored video and bitmap (switching projects). */
  clear(): void {
    this.files.clear();
    for (const s of this.sources.values()) s.close();
    this.sources.clear();
    this.changed();
    // closed a little later: the stage may still draw the shown image once before it learns it is gone
    // (drawing a closed bitmap throws "the image source is detached")
    const old = [...this.bitmaps.values(), ...this.previews.values()];
    setTimeout(() => old.forEach(closeLater), 2000);
    this.bitmaps.clear();
    this.previews.clear();
  }
}

/** Validates a file and reads its size; throws an AppError naming the file. */
export async function probeImageFile(file: Blob, name: string): Promise<{ width: number; height: number }> {
  checkImageFile(name, file.size, file.type);
  const header = imageSizeFromHeader(new Uint8Array(await file.slice(0, 256 * 1024).arrayBuffer()));
  if (header) checkImageSize(name, header.width, header.height);
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(file);
  } catch {
    throw new AppError(
      'IMAGE_DECODE',
      `${name} could not be decoded as an image; it may be corrupt or truncated.`,
      'Re-export it as PNG or JPEG; the other images are unaffected.',
    );
  }
  const { width, height } = bmp;
  bmp.close();
  checkImageSize(name, width, height);
  return { width, height };
}
