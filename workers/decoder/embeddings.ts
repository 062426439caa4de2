import { LRUCache } from 'lru-cache';
import { AppError } from '../../src/core/errors.ts';
import { cropKey, isCropOf, type EmbeddingSource } from '../../src/core/sam/keys.ts';
import { embeddingBytes, type ModelManifest } from '../../src/core/sam/manifest.ts';
import type { PixelRect } from '../../src/core/sam/roi.ts';
import { rectSize } from '../../src/core/sam/zoomIn.ts';
import type { EmbeddingMemory } from '../protocol.ts';
import { disposeEntry, type DecoderModel, type Entry } from './model.ts';

/**
 * Image embeddings, least recently used dropped first once they weigh more than `bytes`; the newest
 * one is kept however small the budget. An entry's tensors are disposed when it leaves.
 */
function imageCache(bytes: number, entryBytes: number): LRUCache<number, Entry> {
  return new LRUCache<number, Entry>({
    maxSize: Math.max(Math.floor(bytes), entryBytes),
    sizeCalculation: () => entryBytes,
    dispose: (e) => disposeEntry(e),
  });
}

/**
 * The embeddings the decoder runs on: images' (a bounded cache), zoom-in crops' (kept until the
 * engine drops them: it mirrors this set) and batch work's one.
 */
export class EmbeddingStore {
  /** bounded in bytes: a SAM 2 image's tensors weigh ~4x a SAM 1 one's */
  private images = imageCache(1, 1);
  private capacity = 1;
  private readonly crops = new Map<string, Entry>();
  /** batch work's embedding (a crop, or an image kept out of the interactive cache) and its job */
  private batch: { jobId: number; entry: Entry } | null = null;

  constructor(private readonly model: DecoderModel) {}

  /** Sizes the image cache for a model's embeddings (its entries are not carried over). */
  configure(m: ModelManifest, cacheBytes: number): void {
    this.capacity = Math.max(1, cacheBytes);
    this.images = imageCache(this.capacity, embeddingBytes(m));
  }

  /** Stores an image's embedding (transferred in), replacing any it had. */
  setImage(imageId: number, embedding: Float32Array, extra: Float32Array[], width: number, height: number): void {
    this.images.set(imageId, this.model.entry(embedding, extra, width, height));
  }

  /** An image's embedding, marked most recently used. */
  image(imageId: number): Entry | undefined {
    return this.images.get(imageId);
  }

  /** The images cached, least recently used first. */
  imageIds(): number[] {
    return [...this.images.rkeys()];
  }

  /** Drops an image's embedding and its crops'. */
  dropImage(imageId: number): void {
    this.images.delete(imageId);
    this.dropCrops((k) => isCropOf(k, imageId));
  }

  setCrop(imageId: number, crop: PixelRect, embedding: Float32Array, extra: Float32Array[]): void {
    const { width, height } = rectSize(crop);
    const entry = this.model.entry(embedding, extra, width, height);
    this.dropCrop(imageId, crop);
    this.crops.set(cropKey(imageId, crop), entry);
  }

  crop(imageId: number, crop: PixelRect): Entry | undefined {
    return this.crops.get(cropKey(imageId, crop));
  }

  dropCrop(imageId: number, crop: PixelRect): void {
    const key = cropKey(imageId, crop);
    this.dropCrops((k) => k === key);
  }

  private dropCrops(match: (key: string) => boolean): void {
    for (const [k, e] of this.crops)
      if (match(k)) {
        disposeEntry(e);
        this.crops.delete(k);
      }
  }

  /** Holds batch job `jobId`'s embedding, replacing the previous job's. */
  setBatch(jobId: number, embedding: Float32Array, extra: Float32Array[], width: number, height: number): void {
    const entry = this.model.entry(embedding, extra, width, height);
    if (this.batch) disposeEntry(this.batch.entry);
    this.batch = { jobId, entry };
  }

  /** The embedding a batch decode names. */
  source(source: EmbeddingSource): Entry {
    if (source.kind === 'image') {
      const e = this.images.get(source.imageId);
      if (!e) throw new AppError('INFERENCE', `Image ${source.imageId} has no embedding.`);
      return e;
    }
    if (!this.batch) throw new AppError('INFERENCE', 'No batch embedding is set.');
    if (this.batch.jobId !== source.jobId)
      throw new AppError('INFERENCE', `Batch job ${source.jobId}'s embedding was replaced by job ${this.batch.jobId}'s.`);
    return this.batch.entry;
  }

  memory(): EmbeddingMemory {
    const m = this.model.manifest;
    const otherBytes = m ? (this.crops.size + (this.batch ? 1 : 0)) * embeddingBytes(m) : 0;
    return { images: this.images.size, bytes: this.images.calculatedSize, capacity: this.capacity, otherBytes };
  }

  /** Drops every embedding (another project). */
  clear(): void {
    this.images.clear();
    if (this.batch) disposeEntry(this.batch.entry);
    this.batch = null;
    this.dropCrops(() => true);
  }
}
