/**
 * The keys and ids the inference engine (main thread) and the decoder worker share: how a zoom-in
 * crop's embedding is named, and which embedding a batch decode runs on. Pure data: both sides and
 * their tests import it.
 */
import type { PixelRect } from './roi.ts';

/** The name of a zoom-in crop's embedding: the image and the crop (image px). */
export function cropKey(imageId: number, r: PixelRect): string {
  return `${imageId}:${r.x0},${r.y0},${r.x1},${r.y1}`;
}

/** Whether a crop key names a crop of `imageId`. */
export function isCropOf(key: string, imageId: number): boolean {
  return key.startsWith(`${imageId}:`);
}

/**
 * Where a batch decode (pre-annotation, segment everything) takes its embedding: an image's cached
 * one, or the one batch embedding the decoder holds, set for the batch job `jobId`.
 */
export type EmbeddingSource = { kind: 'image'; imageId: number } | { kind: 'batch'; jobId: number };

export const imageSource = (imageId: number): EmbeddingSource => ({ kind: 'image', imageId });
export const batchSource = (jobId: number): EmbeddingSource => ({ kind: 'batch', jobId });
