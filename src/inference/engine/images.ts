import type { AppErrorData } from '../../core/errors.ts';
import type { BlobOf, EmbeddingStatus, EngineEvents } from './types.ts';

/** Each image's embedding status (and its error), told to the events as it changes. */
export class ImageStates {
  private readonly status = new Map<number, EmbeddingStatus>();
  private readonly errors = new Map<number, AppErrorData>();

  constructor(
    private readonly blobOf: BlobOf,
    private readonly events: EngineEvents,
  ) {}

  /** undefined: never encoded nor asked about */
  get(imageId: number): EmbeddingStatus | undefined {
    return this.status.get(imageId);
  }

  error(imageId: number): AppErrorData | undefined {
    return this.errors.get(imageId);
  }

  set(imageId: number, s: EmbeddingStatus, err?: AppErrorData): void {
    this.status.set(imageId, s);
    if (err) this.errors.set(imageId, err);
    this.events.onEmbeddingStatus(imageId, s, err);
  }

  /** Forgets an image's status (removed from the project, or its file opened). */
  delete(imageId: number): void {
    this.status.delete(imageId);
  }

  /** Forgets every image (another project). */
  clear(): void {
    this.status.clear();
    this.errors.clear();
  }

  /** Another model: every image whose file is open is to be encoded again. */
  backToPending(): void {
    this.errors.clear();
    for (const [id, st] of this.status) if (st !== 'missing') this.set(id, 'pending');
  }

  /** Images the decoder no longer holds (pushed out of its cache) go back to 'pending'. */
  keepOnly(cached: Set<number>): void {
    for (const [id, s] of this.status) if (s === 'ready' && !cached.has(id)) this.set(id, 'pending');
  }

  /** Whether an image is to be encoded; one whose file is not open is marked 'missing'. */
  needsEncoding(id: number | null): id is number {
    if (id === null) return false;
    const s = this.status.get(id);
    if (s !== undefined && s !== 'pending') return false;
    if (!this.blobOf(id)) {
      this.set(id, 'missing');
      return false;
    }
    return true;
  }
}
