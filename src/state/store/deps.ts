/**
 * What the store needs from the outside, handed to it at start-up (`createAppStore`): the inference
 * engine, file access and worker-backed parsers, and id allocation. Store tests give fakes.
 */
import type { Collection } from '../../core/project/changes.ts';
import type { CocoRle } from '../../core/mask/rle.ts';
import { nextId, type Project } from '../../core/project/types.ts';
import type { EmbeddingStatus } from '../../inference/engine.ts';
import type { SessionEngine } from '../../inference/maskSession.ts';
import type { OverlayRegistry } from '../../inference/overlays.ts';
import type { MaskPngObjects, ParsedCoco, ParsedTracks, RenderedMask } from '../../../workers/protocol.ts';
import type { StoredVideoMeta, VideoReadResult, VideoSink } from '../../core/video/videoFile.ts';

export interface StoreEngine extends SessionEngine {
  /** the shown image and the one to encode ahead of time */
  show(current: number | null, next: number | null): void;
  /** the file of an image that was missing has been opened */
  fileAttached(imageId: number): void;
  /** another project is opened: background work stops, embeddings are dropped */
  resetImages(): void;
  whenReady(imageId: number): Promise<void>;
  embeddingStatus(imageId: number): EmbeddingStatus;
  /** display of a stored mask: fill over its box and outline (drawn in the decoder worker) */
  renderMask(rle: CocoRle, color: string): Promise<RenderedMask>;
}

export interface StoreIo {
  /** validates an image file and reads its size (throws an AppError naming the file) */
  probeImage(blob: Blob, name: string): Promise<{ width: number; height: number }>;
  registerImage(id: number, blob: Blob, name: string): void;
  hasImageFile(id: number): boolean;
  /** parses a COCO file off the main thread; progress in annotations checked, `signal` cancels */
  parseCoco(blob: Blob, options?: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal }): Promise<ParsedCoco>;
  decodeMaskPngs(blobs: readonly Blob[]): Promise<MaskPngObjects[]>;
  /** reads video tracks (a YouTube-VIS JSON, or palette PNGs with `instances.json`) off the main thread */
  parseTracks(files: readonly { blob: Blob; name: string }[]): Promise<ParsedTracks>;
  /** reads a video file off the main thread: its facts, then which of every `every`-th frame decode (to `sink`); never throws */
  readVideo(blob: Blob, name: string, every: number, sink: VideoSink): Promise<VideoReadResult>;
  /** stores a video file with the open project, once, and opens it for decoding frames on demand; resolves to why it could not (null: stored) */
  storeVideo(videoId: number, file: Blob, meta: StoredVideoMeta): Promise<string | null>;
  /** removes a stored video file whose clip was not opened after all (no frame of it added) */
  dropVideo(videoId: number): void;
  /** an image is frame `frame` of a stored video: its file is decoded from the video when read */
  registerVideoFrame(imageId: number, videoId: number, frame: number, name: string): void;
  /** the storage quota and usage of the app's origin (null: unknown) */
  storageEstimate(): Promise<{ quota: number; usage: number } | null>;
}

/**
 * Ids of new records. The app's source hands out ids reserved for this tab, so two tabs on one
 * project never make two records with the same id; `reserve` makes sure `n` are at hand (imports).
 */
export interface IdSource {
  next(coll: Collection, project: Project): number;
  /** the id `next` would hand out now, without taking it (the draft's colour is its future id's) */
  peek(coll: Collection, project: Project): number;
  reserve(coll: Collection, n: number, project: Project): Promise<void>;
}

/** Ids above every id in the project and every id handed out before (one tab, tests). */
export function localIds(): IdSource {
  const high = new Map<Collection, number>();
  return {
    next(coll, project) {
      const id = Math.max(nextId(project[coll] as { id: number }[]), (high.get(coll) ?? 0) + 1);
      high.set(coll, id);
      return id;
    },
    peek: (coll, project) => Math.max(nextId(project[coll] as { id: number }[]), (high.get(coll) ?? 0) + 1),
    reserve: () => Promise.resolve(),
  };
}

/** The project server's side of a job's review (services/teamClient.ts). */
export interface StoreTeam {
  /** stores a decision on one mask; rejects when the project is not on a server or the server refuses */
  reviewMask(annotationId: number, decision: 'accept' | 'reject', comment?: string): Promise<void>;
}

export interface StoreDeps {
  engine: StoreEngine;
  io: StoreIo;
  ids?: IdSource;
  /** where the mask session draws the live mask and previews (default: one of the store's own) */
  overlays?: OverlayRegistry;
  /** review decisions (default: none; Enter/Delete in a review then say the server is needed) */
  team?: StoreTeam;
}
