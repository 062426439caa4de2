import type { AppErrorData } from '../../core/errors.ts';
import type { EmbeddingMemory } from '../../../workers/protocol.ts';
import type { BackendChoice } from '../backend.ts';

/** 'missing': the image is in the project (e.g. named by an imported COCO file) but its file is not open. */
export type EmbeddingStatus = 'pending' | 'encoding' | 'ready' | 'error' | 'missing';

export interface EngineEvents {
  onModelProgress(p: { loaded: number; total: number }): void;
  /** `candidates`: whether the decoder offers SAM's mask candidates */
  onModelReady(choice: BackendChoice, candidates: boolean): void;
  onModelError(err: AppErrorData): void;
  onEmbeddingStatus(imageId: number, status: EmbeddingStatus, err?: AppErrorData): void;
  onEncoded?(imageId: number, ms: number, prefetch: boolean): void;
  /** what the embeddings take now (after each encode, drop or model switch) */
  onMemory?(m: EmbeddingMemory): void;
}

/** An image's file, as the project has it open (undefined: not open); `read` gives its bytes (a video frame: decoded then). */
export type BlobOf = (imageId: number) => { name: string; read(): Promise<Blob> } | undefined;

/**
 * Why batch work is held back: the annotator's clicks and strokes, or the image shown to them (its
 * encode, the next image's, and a moment after it is shown or ready, for their first click).
 */
export type BatchHoldup = 'user' | 'encoder';
