import { AppError } from '../core/errors.ts';
import { checkImageFile, checkImageSize, imageSizeFromHeader } from '../core/project/imageFiles.ts';

/** Longest side of the downscaled copy drawn while the view is zoomed out. */
export const PREVIEW_LONGEST_SIDE = 2048;
const BITMAP_CACHE = 4;
const PREVIEW_CACHE = 16;

function closeLater(p: Promise<ImageBitmap>): void {
  void p.then((b) => b.close()).catch(() => undefined);
}

/** Keeps at most `max` entries, closing the bitmaps of the oldest. */
function trim(cache: Map<number, Promise<ImageBitmap>>, max: number): void {
  while (cache.size > max) {
    const [oldest, old] = cache.entries().next().value as [number, Promise<ImageBitmap>];
    cache.delete(oldest);
    closeLater(old);
  }
}

/**
 * Source files of the open project's images, by image id, and the bitmaps decoded from them (pixels
 * never go into the store). One per app (made by the composition root); views read it through the
 * app's context.
 */
export class ImageRegistry {
  private readonly blobs = new Map<number, { blob: Blob; name: string }>();
  private readonly bitmaps = new Map<number, Promise<ImageBitmap>>();
  private readonly previews = new Map<number, Promise<ImageBitmap>>();
  private readonly thumbs = new WeakMap<Blob, Promise<ImageBitmap>>();
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
    this.blobs.set(id, { blob, name });
    this.changed();
  }

  blob = (id: number): { blob: Blob; name: string } | undefined => this.blobs.get(id);

  has(id: number): boolean {
    return this.blobs.has(id);
  }

  /** The display bitmap of an image (decoded off the main thread by the browser), few kept. */
  bitmap(id: number): Promise<ImageBitmap> {
    let p = this.bitmaps.get(id);
    if (p) {
      this.bitmaps.delete(id);
      this.bitmaps.set(id, p);
      return p;
    }
    const src = this.blobs.get(id);
    if (!src) return Promise.reject(new Error(`image ${id} has no file`));
    p = createImageBitmap(src.blob);
    this.bitmaps.set(id, p);
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
    const src = this.blobs.get(id);
    if (!src) return Promise.reject(new Error(`image ${id} has no file`));
    const p = createImageBitmap(src.blob).then(async (full) => {
      const longest = Math.max(full.width, full.height);
      if (longest <= PREVIEW_LONGEST_SIDE) return full;
      const k = PREVIEW_LONGEST_SIDE / longest;
      const [w, h] = [Math.round(full.width * k), Math.round(full.height * k)];
      full.close();
      // scaled from the file, not from the decoded bitmap: a bitmap's resize runs on the main thread (a long
      // task on every new frame of a clip), the file's decode and resize on the browser's decoding threads
      return createImageBitmap(src.blob, { resizeWidth: w, resizeHeight: h, resizeQuality: 'high' });
    });
    this.previews.set(id, p);
    trim(this.previews, PREVIEW_CACHE);
    return p;
  }

  /** A small copy of an image (longest side `size` px) for the image list, decoded off the main thread, cached per file. */
  thumbnail(id: number, size = 48): Promise<ImageBitmap> {
    const src = this.blobs.get(id);
    if (!src) return Promise.reject(new Error(`image ${id} has no file`));
    let p = this.thumbs.get(src.blob);
    if (!p) {
      const blob = src.blob;
      p = createImageBitmap(blob).then(async (full) => {
        const k = size / Math.max(full.width, full.height);
        const [w, h] = [Math.max(1, Math.round(full.width * k)), Math.max(1, Math.round(full.height * k))];
        full.close();
        // from the file (the browser's decoding threads), not from the bitmap (the main thread)
        return createImageBitmap(blob, { resizeWidth: w, resizeHeight: h, resizeQuality: 'medium' });
      });
      this.thumbs.set(src.blob, p);
    }
    return p;
  }

  /** Forgets every image file and bitmap (switching projects). */
  clear(): void {
    this.blobs.clear();
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
