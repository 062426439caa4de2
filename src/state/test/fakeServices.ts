/**
 * Small fakes of what the browser services are wired to (state/appContext.ts): the sync steps of
 * the save pipeline, the id blocks, the image registry, the page's life, and BroadcastChannels that
 * link tabs in one test. Each records what it was asked, into a shared log when given one.
 */
import type { DocDiff } from '../../core/project/changes.ts';
import type { Project } from '../../core/project/types.ts';
import type { SyncMeta } from '../../io/persist.ts';
import type { RecordKey } from '../services/saveBook.ts';
import type { ProjectIdBlocks, ProjectSync } from '../services/persistence.ts';
import type { TabChannel } from '../services/tabs.ts';
import type { StoredVideoMeta } from '../../core/video/videoFile.ts';
import { FrameCache, VideoFrameSource, type FrameDecoder } from '../../io/videoFrames.ts';

/** A ProjectSync that records each step (persistence's side of the sync); `link` is what `meta()` answers. */
export class RecordingSync implements ProjectSync {
  link: SyncMeta | undefined = undefined;
  readonly localChanges: DocDiff[] = [];
  readonly openedWith: { id: string; meta: SyncMeta | undefined; recovered: RecordKey[] }[] = [];
  readonly merges: { stored: SyncMeta | undefined; next: SyncMeta }[] = [];
  closings = 0;
  /** what `mergeMeta` answers (default: the meta to write, unchanged) */
  merge: (stored: SyncMeta | undefined, next: SyncMeta) => SyncMeta = (_stored, next) => next;

  constructor(private readonly log: string[] = []) {}

  meta(): SyncMeta | undefined {
    return this.link;
  }
  mergeMeta(stored: SyncMeta | undefined, next: SyncMeta): SyncMeta {
    this.merges.push({ stored, next });
    return this.merge(stored, next);
  }
  opened(id: string, meta: SyncMeta | undefined, recovered: RecordKey[]): void {
    this.log.push(`sync.opened ${id}`);
    this.openedWith.push({ id, meta, recovered });
  }
  localChange(diff: DocDiff): void {
    this.log.push('sync.localChange');
    this.localChanges.push(diff);
  }
  closing(): void {
    this.log.push('sync.closing');
    this.closings++;
  }
}

export class FakeIdBlocks implements ProjectIdBlocks {
  readonly used: string[] = [];
  releases = 0;
  constructor(private readonly log: string[] = []) {}
  use(projectId: string, _project: Project): Promise<void> {
    this.log.push(`ids.use ${projectId}`);
    this.used.push(projectId);
    return Promise.resolve();
  }
  release(): void {
    this.log.push('ids.release');
    this.releases++;
  }
}

/** The image registry as persistence and sync use it: registered files by image id. */
export class FakeImages {
  readonly files = new Map<number, { blob: Blob; name: string }>();
  clears = 0;
  private readonly listeners = new Set<() => void>();
  constructor(private readonly log: string[] = []) {}
  register(id: number, blob: Blob, name: string): void {
    this.files.set(id, { blob, name });
    for (const l of this.listeners) l();
  }
  /** frames of stored videos: image id -> the source and frame */
  readonly frames = new Map<number, { source: VideoFrameSource; frame: number; name: string }>();
  readonly videos = new Map<number, VideoFrameSource>();
  registerVideo(videoId: number, source: VideoFrameSource): void {
    this.videos.set(videoId, source);
  }
  video(videoId: number): VideoFrameSource | undefined {
    return this.videos.get(videoId);
  }
  registerFrame(id: number, source: VideoFrameSource, frame: number, name: string): void {
    source.want(frame);
    this.frames.set(id, { source, frame, name });
    for (const l of this.listeners) l();
  }
  file(id: number): { name: string; read(): Promise<Blob> } | undefined {
    const f = this.files.get(id);
    if (f) return { name: f.name, read: () => Promise.resolve(f.blob) };
    const v = this.frames.get(id);
    return v && { name: v.name, read: () => v.source.read(v.frame) };
  }
  has(id: number): boolean {
    return this.files.has(id) || this.frames.has(id);
  }
  clear(): void {
    this.log.push('images.clear');
    this.clears++;
    this.files.clear();
    this.frames.clear();
    for (const v of this.videos.values()) v.close();
    this.videos.clear();
  }
  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export class FakeBatch {
  abandons = 0;
  constructor(private readonly log: string[] = []) {}
  abandon(): void {
    this.log.push('batch.abandon');
    this.abandons++;
  }
}

/** The page's life: tests say when the tab is hidden or the page goes. */
export function fakeLifecycle() {
  const hidden: (() => void)[] = [];
  const pageHide: (() => void)[] = [];
  return {
    onHidden: (fn: () => void) => void hidden.push(fn),
    onPageHide: (fn: () => void) => void pageHide.push(fn),
    hide: () => hidden.forEach((f) => f()),
    pageHide: () => pageHide.forEach((f) => f()),
  };
}

/** BroadcastChannels of one name in one browser: a message reaches every other channel, later, as a copy. */
export class ChannelHub {
  private readonly members = new Set<TabChannel>();
  /** every message posted, in order */
  readonly posted: unknown[] = [];

  channel(): TabChannel {
    const { posted, members } = this;
    const ch: TabChannel = {
      onmessage: null,
      postMessage(m: unknown) {
        posted.push(structuredClone(m));
        for (const other of members)
          if (other !== ch) {
            const data = structuredClone(m);
            setTimeout(() => other.onmessage?.({ data } as MessageEvent), 0);
          }
      },
    };
    members.add(ch);
    return ch;
  }
}

/** Lets queued deliveries and what they start (reads from the fakes) run: a few turns of the event loop. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
}

/**
 * A frame decoder without a browser: frame images are `WxH` text (as the store tests' image files are) with the
 * clip's key and the time asked for after a space, so a test sees which frame it got. Counts its calls.
 */
export function fakeFrameDecoder(size: { width: number; height: number } = { width: 8, height: 6 }): FrameDecoder & { calls: number[][] } {
  const calls: number[][] = [];
  return {
    calls,
    frames: (key, _blob, times) => {
      calls.push(times);
      return Promise.resolve(times.map((t) => new Blob([`${size.width}x${size.height} ${key}@${t.toFixed(6)}`])));
    },
    forget: () => undefined,
  };
}

/** Persistence's `openVideo` for tests: a source on a fake decoder (frames of the stored meta's size). */
export function fakeOpenVideo(key: string, file: Blob, meta: StoredVideoMeta): VideoFrameSource {
  return new VideoFrameSource(key, file, meta, fakeFrameDecoder(meta), new FrameCache());
}
