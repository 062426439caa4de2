/**
 * Store dependencies for tests (Node, no workers): an engine whose "SAM" mask is a deterministic
 * rectangle that depends on the prompts and on the low-res logits fed back as `mask_input` (kept by
 * generation, as the decoder worker keeps them), composed with brush strokes by the real core code;
 * and in-memory image files. It counts decodes, so tests can see work that should not happen.
 */
import { parseYtvis, ytvisTrackImport } from '../../core/video/ytvis.ts';
import { composeLiveMask, paintStroke, type Stroke } from '../../core/mask/brush.ts';
import { maskFromRle, rleFromMask, type CocoRle } from '../../core/mask/rle.ts';
import { parseCoco } from '../../core/coco/import.ts';
import { fakeVideoIo } from './fakeVideo.ts';
import { maskAreaAndBbox } from '../../core/sam/postprocess.ts';
import type { Prompts } from '../../core/sam/prompts.ts';
import { promptsAreAmbiguous } from '../../core/sam/candidates.ts';
import type { PixelRect } from '../../core/sam/roi.ts';

const cropKey = (imageId: number, r: PixelRect) => `${imageId}:${r.x0},${r.y0},${r.x1},${r.y1}`;
import type { EmbeddingStatus } from '../../inference/engine.ts';
import type { DecodeResult, EditResult, HoverResult, LiveMaskData, RenderedMask } from '../../../workers/protocol.ts';
import { createAppStore, type AppStore } from '../store/store.ts';
import type { StoreDeps, StoreEngine, StoreIo } from '../store/deps.ts';
import { ProjectIds, type LocalIdCounters } from '../services/projectIds.ts';
import type { Project } from '../../core/project/types.ts';

const bitmap = () => ({ close() {}, width: 1, height: 1 }) as unknown as ImageBitmap;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class FakeEngine implements StoreEngine {
  decodes: {
    imageId: number;
    generation: number;
    prompts: Prompts;
    feedbackFrom: number | null;
    candidate: number | null;
    crop: PixelRect | null;
  }[] = [];
  /** zoom-in crops "encoded" (keys), and those asked for */
  crops = new Set<string>();
  cropRequests: PixelRect[] = [];
  /** hold crop encodes until released (tests of clicks made before the crop is ready) */
  holdCrops = false;
  private heldCrops: (() => void)[] = [];
  recolors = 0;
  /** the colour each decode and recolour drew the live mask in, in order */
  colors: string[] = [];
  shown: { current: number | null; next: number | null }[] = [];
  private lowRes = new Map<number, number>();
  private live: { generation: number; imageId: number; value: number; mask: Uint8Array; w: number; h: number } | null = null;
  private edit: { imageId: number; w: number; h: number; base: Uint8Array | null; manual: Int8Array | null } | null = null;
  private inFlight = new Set<Promise<unknown>>();

  constructor(private readonly sizeOf: (imageId: number) => { width: number; height: number }) {}

  private later<T>(v: () => T): Promise<T> {
    const p = new Promise<T>((r) => setTimeout(() => r(v()), 1));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  /** The "SAM" mask: a rectangle from the left edge whose width depends on the prompts and mask_input. */
  private samMask(value: number, w: number, h: number): Uint8Array {
    const m = new Uint8Array(w * h);
    // at most 255 px a side: large images leave room for a zoom-in crop
    const cols = 1 + (value % Math.min(w - 1, 255));
    const rows = 1 + ((value >>> 8) % Math.min(h - 1, 255));
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) m[y * w + x] = 1;
    return m;
  }

  private composed(withSam: boolean, imageId: number, w: number, h: number): Uint8Array {
    const sam = withSam && this.live && this.live.imageId === imageId ? this.live.mask : null;
    const e = this.edit && this.edit.imageId === imageId ? this.edit : null;
    return composeLiveMask(sam, e?.base ?? null, e?.manual ?? null, w * h);
  }

  decode(
    imageId: number,
    generation: number,
    prompts: Prompts,
    color: string,
    feedbackFrom: number | null,
    candidate: number | null = null,
    crop: PixelRect | null = null,
  ): Promise<DecodeResult | null> {
    this.colors.push(color);
    this.decodes.push({ imageId, generation, prompts, feedbackFrom, candidate, crop });
    const fed = feedbackFrom === null ? 0 : (this.lowRes.get(feedbackFrom) ?? -1);
    return this.later(() => {
      const { width: w, height: h } = this.sizeOf(imageId);
      // SAM's three candidates for one click or a box alone; the first one is its pick
      const ambiguous = promptsAreAmbiguous(prompts);
      const candidates = ambiguous ? [3, 1, 2].map((token, i) => ({ token, predictedIou: 0.9 - i * 0.1 })) : [];
      const token = ambiguous ? (candidate !== null && [1, 2, 3].includes(candidate) ? candidate : 3) : null;
      const used = crop && this.crops.has(cropKey(imageId, crop)) ? crop : null;
      const value = hash(JSON.stringify(prompts) + ':' + fed + ':' + token + ':' + JSON.stringify(used));
      this.lowRes.set(generation, value);
      this.live = { generation, imageId, value, mask: this.samMask(value, w, h), w, h };
      const st = maskAreaAndBbox(this.composed(true, imageId, w, h), w, h);
      return {
        generation,
        imageId,
        score: (value % 1000) / 1000,
        area: st.area,
        bbox: st.bbox,
        approximate: false,
        overlay: bitmap(),
        decodeMs: 1,
        totalMs: 1,
        candidates,
        token,
        previews: candidates.map(() => bitmap()),
        previewBox: candidates.length ? [0, 0, 4, 4] : null,
        crop: used,
      };
    });
  }

  hovers: { x: number; y: number }[] = [];

  hover(imageId: number, point: { x: number; y: number }): Promise<HoverResult | null> {
    this.hovers.push(point);
    return this.later(() => ({ imageId, seq: this.hovers.length, point, overlay: bitmap(), score: 0.9, decodeMs: 1 }));
  }

  cancelHover(): void {}

  cropReady(imageId: number, roi: PixelRect): boolean {
    return this.crops.has(cropKey(imageId, roi));
  }

  prepareCrop(imageId: number, roi: PixelRect): Promise<boolean> {
    this.cropRequests.push(roi);
    const done = () => this.crops.add(cropKey(imageId, roi));
    if (!this.holdCrops) return this.later(() => (done(), true));
    return new Promise((resolve) => this.heldCrops.push(() => (done(), resolve(true))));
  }

  /** Lets held crop encodes finish. */
  releaseCrops(): void {
    for (const f of this.heldCrops.splice(0)) f();
  }

  editReset(imageId: number, width: number, height: number, base: CocoRle | null): Promise<void> {
    this.edit = { imageId, w: width, h: height, base: base ? maskFromRle(base) : null, manual: null };
    return Promise.resolve();
  }

  private editResult(withSam: boolean): EditResult {
    const e = this.edit!;
    const st = maskAreaAndBbox(this.composed(withSam, e.imageId, e.w, e.h), e.w, e.h);
    return { overlay: st.area === 0 && !withSam ? null : bitmap(), area: st.area, bbox: st.bbox };
  }

  editStrokes(imageId: number, strokes: Stroke[], _c: string, withSam: boolean): Promise<EditResult> {
    const e = this.edit!;
    if (e.imageId !== imageId) throw new Error('no edit for this image');
    e.manual = strokes.length ? new Int8Array(e.w * e.h) : null;
    for (const s of strokes) paintStroke(e.manual!, e.w, e.h, s);
    return this.later(() => this.editResult(withSam));
  }

  editAddStroke(imageId: number, stroke: Stroke, _c: string, withSam: boolean): Promise<EditResult> {
    const e = this.edit!;
    if (e.imageId !== imageId) throw new Error('no edit for this image');
    e.manual ??= new Int8Array(e.w * e.h);
    paintStroke(e.manual, e.w, e.h, stroke);
    return this.later(() => this.editResult(withSam));
  }

  recolorLive(_imageId: number, color: string): Promise<EditResult> {
    this.recolors++;
    this.colors.push(color);
    return Promise.resolve({ overlay: bitmap(), area: 0, bbox: [0, 0, 0, 0] });
  }

  liveMaskRle(generation: number, withSam: boolean): Promise<LiveMaskData | null> {
    return this.later(() => {
      if (withSam && (!this.live || this.live.generation !== generation)) return null;
      const imageId = withSam ? this.live!.imageId : this.edit?.imageId;
      if (imageId === undefined) return null;
      const { width: w, height: h } = this.sizeOf(imageId);
      const m = this.composed(withSam, imageId, w, h);
      const st = maskAreaAndBbox(m, w, h);
      return { rle: rleFromMask(m, w, h), area: st.area, bbox: st.bbox, score: withSam ? (this.live!.value % 1000) / 1000 : 0 };
    });
  }

  invalidate(): void {
    this.live = null;
    this.edit = null;
  }

  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  noteActivity(): void {}
  show(current: number | null, next: number | null): void {
    this.shown.push({ current, next });
  }
  fileAttached(): void {}
  resetImages(): void {}
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  embeddingStatus(): EmbeddingStatus {
    return 'ready';
  }
  renderMask(): Promise<RenderedMask> {
    return Promise.resolve({ bitmap: bitmap(), x: 0, y: 0, width: 1, height: 1, outline: [] });
  }
}

/** Image "files" are blobs whose text is `WxH`. */
export function fakeIo(): StoreIo & { files: Map<number, string> } & Pick<ReturnType<typeof fakeVideoIo>, 'videos'> {
  const files = new Map<number, string>();
  const video = fakeVideoIo(files);
  return {
    files,
    async probeImage(blob, name) {
      const m = /^(\d+)x(\d+)$/.exec(await blob.text());
      if (!m) throw new Error(`${name} is not an image`);
      return { width: Number(m[1]), height: Number(m[2]) };
    },
    registerImage: (id, _blob, name) => void files.set(id, name),
    hasImageFile: (id) => files.has(id),
    async parseCoco(blob, options = {}) {
      try {
        const text = await blob.text();
        // as the worker does: a cancel stops it before anything is handed back
        await new Promise((r) => setTimeout(r, 0));
        if (options.signal?.aborted) return { ok: false, kind: 'cancelled', message: 'the import was cancelled' };
        return { ok: true, coco: parseCoco(JSON.parse(text), options.onProgress) };
      } catch (e) {
        return { ok: false, kind: 'coco', message: (e as Error).message };
      }
    },
    decodeMaskPngs: () => Promise.resolve([]),
    ...video,
    // a YouTube-VIS JSON read as the worker reads it (the same core parser)
    async parseTracks(files) {
      try {
        return { ok: true, format: 'ytvis', tracks: ytvisTrackImport(parseYtvis(JSON.parse(await files[0]!.blob.text()))) };
      } catch (e) {
        return { ok: false, message: (e as Error).message };
      }
    },
  };
}

export function imageFile(width: number, height: number): Blob {
  return new Blob([`${width}x${height}`]);
}

/** A store on the fakes, with its engine and io. */
export function testStore(extra: Partial<StoreDeps> = {}): { store: AppStore; engine: FakeEngine; io: ReturnType<typeof fakeIo> } {
  let store: AppStore | null = null;
  const engine = new FakeEngine((id) => store!.getState().project.images.find((im) => im.id === id)!);
  const io = fakeIo();
  store = createAppStore({ engine, io, ...extra });
  return { store, engine, io };
}

/**
 * IndexedDB's id counters as io/persist.ts keeps them, shared by the tabs given them: each reservation starts above
 * the counter and the floor (`hold`: reservations wait until `pending` are called, a busy IndexedDB).
 */
export function idCounters(): LocalIdCounters & { pending: (() => void)[]; hold: boolean } {
  const top = new Map<string, number>();
  const c = {
    pending: [] as (() => void)[],
    hold: false,
    reserveIds(projectId: string, coll: string, n: number, floor: number): Promise<[number, number]> {
      const k = `${projectId}:${coll}`;
      const first = Math.max(top.get(k) ?? 0, floor) + 1;
      top.set(k, first + n - 1);
      const r: [number, number] = [first, first + n - 1];
      if (!c.hold) return Promise.resolve(r);
      return new Promise((resolve) => c.pending.push(() => resolve(r)));
    },
    releaseIds: () => Promise.resolve(),
  };
  return c;
}

/** A tab's store on a project whose ids come from `counters` (shared with the other tabs' stores), as the app's ProjectIds give them. */
export async function tabStore(counters: LocalIdCounters, project: Project, projectId = 'p1'): Promise<ReturnType<typeof testStore>> {
  const ids = new ProjectIds(counters);
  await ids.use(projectId, project);
  const t = testStore({ ids });
  t.store.getState().loadDocument(structuredClone(project));
  return t;
}
