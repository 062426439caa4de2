import { AppError } from '../core/errors.ts';
import { checkImageFile, checkImageSize, imageSizeFromHeader } from '../core/project/imageFiles.ts';

/** Source files of the project's images, by image id. Pixels never go into the store. */
const blobs = new Map<number, { blob: Blob; name: string }>();
const bitmaps = new Map<number, Promise<ImageBitmap>>();
const BITMAP_CACHE = 4;

/** Bumped whenever a file is registered or the registry cleared (views that show which files are open). */
let registryVersion = 0;
const registryListeners = new Set<() => void>();
function registryChanged(): void {
  registryVersion++;
  for (const l of registryListeners) l();
}
export function imageRegistryVersion(): number {
  return registryVersion;
}
export function onImageRegistryChange(l: () => void): () => void {
  registryListeners.add(l);
  return () => registryListeners.delete(l);
}

export function registerImageBlob(id: number, blob: Blob, name: string, persist = true): void {
  blobs.set(id, { blob, name });
  if (persist) onRegister?.(id, blob, name);
  registryChanged();
}

export function imageBlob(id: number): { blob: Blob; name: string } | undefined {
  return blobs.get(id);
}

/** The display bitmap of an image (decoded off the main thread by the browser), few kept. */
export function imageBitmap(id: number): Promise<ImageBitmap> {
  let p = bitmaps.get(id);
  if (p) {
    bitmaps.delete(id);
    bitmaps.set(id, p);
    return p;
  }
  const src = blobs.get(id);
  if (!src) return Promise.reject(new Error(`image ${id} has no file`));
  p = createImageBitmap(src.blob);
  bitmaps.set(id, p);
  while (bitmaps.size > BITMAP_CACHE) {
    const [oldest, old] = bitmaps.entries().next().value as [number, Promise<ImageBitmap>];
    bitmaps.delete(oldest);
    void old.then((b) => b.close()).catch(() => undefined);
  }
  return p;
}

/** Longest side of the downscaled copy drawn while the view is zoomed out. */
export const PREVIEW_LONGEST_SIDE = 2048;
const previews = new Map<number, Promise<ImageBitmap>>();

/**
 * A copy of the image no larger than {@link PREVIEW_LONGEST_SIDE}, decoded and scaled by the browser
 * off the main thread; small images are returned at full size.
 */
export function imagePreview(id: number): Promise<ImageBitmap> {
  const cached = previews.get(id);
  if (cached) return cached;
  const src = blobs.get(id);
  if (!src) return Promise.reject(new Error(`image ${id} has no file`));
  const p = createImageBitmap(src.blob).then(async (full) => {
    const longest = Math.max(full.width, full.height);
    if (longest <= PREVIEW_LONGEST_SIDE) return full;
    const k = PREVIEW_LONGEST_SIDE / longest;
    const small = await createImageBitmap(full, {
      resizeWidth: Math.round(full.width * k),
      resizeHeight: Math.round(full.height * k),
      resizeQuality: 'high',
    });
    full.close();
    return small;
  });
  previews.set(id, p);
  while (previews.size > 16) {
    const [oldest, old] = previews.entries().next().value as [number, Promise<ImageBitmap>];
    previews.delete(oldest);
    void old.then((b) => b.close()).catch(() => undefined);
  }
  return p;
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

/** Display name of a file: its path inside an opened folder, else its name. */
export function fileDisplayName(f: File): string {
  return f.webkitRelativePath || f.name;
}

/** Forgets every image file and bitmap (switching projects). */
export function clearImageRegistry(): void {
  blobs.clear();
  registryChanged();
  // closed a little later: the stage may still draw the shown image once before it learns it is gone
  // (drawing a closed bitmap throws "the image source is detached")
  const old = [...bitmaps.values(), ...previews.values()];
  setTimeout(() => {
    for (const p of old) void p.then((b) => b.close()).catch(() => undefined);
  }, 2000);
  bitmaps.clear();
  previews.clear();
}

/** Called with every image file registered (for persistence). */
let onRegister: ((id: number, blob: Blob, name: string) => void) | null = null;
export function onImageRegistered(fn: ((id: number, blob: Blob, name: string) => void) | null): void {
  onRegister = fn;
}

const thumbs = new WeakMap<Blob, Promise<ImageBitmap>>();

/** A small copy of an image (longest side `size` px) for the image list, decoded off the main thread, cached per file. */
export function thumbnail(id: number, size = 48): Promise<ImageBitmap> {
  const src = blobs.get(id);
  if (!src) return Promise.reject(new Error(`image ${id} has no file`));
  let p = thumbs.get(src.blob);
  if (!p) {
    p = createImageBitmap(src.blob).then(async (full) => {
      const k = size / Math.max(full.width, full.height);
      const small = await createImageBitmap(full, {
        resizeWidth: Math.max(1, Math.round(full.width * k)),
        resizeHeight: Math.max(1, Math.round(full.height * k)),
        resizeQuality: 'medium',
      });
      full.close();
      return small;
    });
    thumbs.set(src.blob, p);
  }
  return p;
}
