/**
 * Coordinate spaces. Image px: pixels of the original image, origin top-left, x right, y down.
 * Model px: the SAM input space, the image scaled so its longest side is `target` (1024), not padded.
 */

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/**
 * Size of the image once its longest side is scaled to `target` px, rounded as SAM's
 * `ResizeLongestSide.get_preprocess_shape` does (`int(x + 0.5)`).
 */
export function resizeLongestSideShape(image: Size, target = 1024): Size {
  if (!(image.width > 0 && image.height > 0)) throw new RangeError(`invalid image size ${image.width}x${image.height}`);
  const scale = target / Math.max(image.width, image.height);
  return {
    width: Math.floor(image.width * scale + 0.5),
    height: Math.floor(image.height * scale + 0.5),
  };
}

/**
 * Converts a point in image px to model px, as SAM's `apply_coords` (separate x and y scale factors,
 * taken from the rounded resized shape).
 */
export function imageToModelPoint(p: Point, image: Size, target = 1024): Point {
  const r = resizeLongestSideShape(image, target);
  return { x: p.x * (r.width / image.width), y: p.y * (r.height / image.height) };
}

/** Inverse of {@link imageToModelPoint}. */
export function modelToImagePoint(p: Point, image: Size, target = 1024): Point {
  const r = resizeLongestSideShape(image, target);
  return { x: p.x * (image.width / r.width), y: p.y * (image.height / r.height) };
}

/** A 2-D similarity transform from image px to screen (stage) px: screen = image * scale + offset. */
export interface ViewTransform {
  scale: number;
  x: number;
  y: number;
}

export function imageToScreen(p: Point, view: ViewTransform): Point {
  return { x: p.x * view.scale + view.x, y: p.y * view.scale + view.y };
}

export function screenToImage(p: Point, view: ViewTransform): Point {
  return { x: (p.x - view.x) / view.scale, y: (p.y - view.y) / view.scale };
}

/** The view that fits `image` entirely into `viewport` with `margin` screen px around it, centred. */
export function fitView(image: Size, viewport: Size, margin = 16): ViewTransform {
  const w = Math.max(1, viewport.width - 2 * margin);
  const h = Math.max(1, viewport.height - 2 * margin);
  const scale = Math.min(w / image.width, h / image.height);
  return {
    scale,
    x: (viewport.width - image.width * scale) / 2,
    y: (viewport.height - image.height * scale) / 2,
  };
}

/**
 * Zooms by `factor` keeping the image point under `anchor` (screen px) fixed; the scale is clamped
 * to [minScale, maxScale].
 */
export function zoomViewAt(view: ViewTransform, anchor: Point, factor: number, minScale = 0.01, maxScale = 64): ViewTransform {
  const scale = Math.min(maxScale, Math.max(minScale, view.scale * factor));
  const img = screenToImage(anchor, view);
  return { scale, x: anchor.x - img.x * scale, y: anchor.y - img.y * scale };
}

/** Clamps a point to the image rectangle [0, width] x [0, height]. */
export function clampToImage(p: Point, image: Size): Point {
  return { x: Math.min(image.width, Math.max(0, p.x)), y: Math.min(image.height, Math.max(0, p.y)) };
}
