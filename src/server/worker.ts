/**
 * A pre-annotation worker: takes one image at a time from the work queue, runs SAM on it with
 * onnxruntime-node on the same core as the CLI (`preannotateImage`), and lands the masks as
 * proposals (`landItem`). Any number of them, in `npm run worker` processes on any machine that
 * reaches the database and the image store, or inside the server (`--workers N`). Each also takes
 * propagation runs, one track at a time (`workerTrack.ts`), taking turns with its images.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import type PgBoss from 'pg-boss';
import { labelMapFromPng } from '../core/image/png.ts';
import type { ImageRecord, PendingBox } from '../core/project/types.ts';
import { DEFAULT_AMG_PARAMS, checkAmgParams, type AmgParams } from '../core/sam/amg.ts';
import { parseClassMap } from '../core/sam/classMap.ts';
import { coarsePrompts, DEFAULT_COARSE_OPTIONS, type CoarseOptions } from '../core/sam/coarse.ts';
import { preannotateImage, type PreannotateWork } from '../core/sam/preannotateImage.ts';
import { DEFAULT_BOX_PLAN, type BoxPlanOptions } from '../core/sam/roi.ts';
import { NodeSam2Video } from '../node/sam2-video-node.ts';
import { nodeManifest, nodePreannotateBackend, NodeSam } from '../node/sam-node.ts';
import type { ModelFamily } from '../core/sam/families.ts';
import { decodeImageBytes } from '../node/image.ts';
import type { FileStore } from './files.ts';
import {
  BOX_MODES,
  failItem,
  landItem,
  PREANNOTATE_QUEUE,
  startItem,
  sweepAbandoned,
  workerGone,
  workerHeartbeat,
  workerName,
  type ImageResult,
  type PreannotateJobData,
  type StartedItem,
} from './preannotate.ts';
import type { Service } from './service.ts';
import { TrackWorker, Turns } from './workerTrack.ts';

/** Where a worker reads image files: the server's data directory (shared or mounted), or the server over HTTP. */
export interface ImageSource {
  /** what it is, for the log */
  readonly label: string;
  read(projectId: number, sha: string, what: string): Promise<Uint8Array>;
}

/** The image store on disk (the server's `--data`, or a mount of it). */
export function storeSource(files: FileStore): ImageSource {
  return {
    label: files.root,
    async read(_projectId, sha, what) {
      if (!files.has(sha))
        throw new Error(
          `${what} (${sha.slice(0, 12)}…) is not in ${files.root}: give the worker the server's data directory (--data), or --server URL to fetch images from it.`,
        );
      return new Uint8Array(readFileSync(files.pathOf(sha)));
    },
  };
}

/**
 * The server's files over HTTP, logged in as an account that sees the projects (a server admin):
 * for workers on machines that reach the database but not the server's disk.
 */
export function httpSource(base: string, username: string, password: string, fetcher: typeof fetch = fetch): ImageSource {
  let cookie: string | null = null;
  const login = async () => {
    const r = await fetcher(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!r.ok) throw new Error(`The worker could not log in to ${base} as ${username}: ${r.status} ${(await r.text()).slice(0, 200)}`);
    const m = /sam_session=([^;]*)/.exec(r.headers.get('set-cookie') ?? '');
    if (!m) throw new Error(`${base} gave no session on login.`);
    cookie = m[1]!;
  };
  return {
    label: base,
    async read(projectId, sha, what) {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (!cookie) await login();
        const r = await fetcher(`${base}/api/projects/${projectId}/files/${sha}`, { headers: { cookie: `sam_session=${cookie}` } });
        if (r.status === 401 && attempt === 0) {
          cookie = null; // the session ended: log in again once
          continue;
        }
        if (!r.ok) throw new Error(`${what}: ${base} answered ${r.status} ${(await r.text()).slice(0, 200)}`);
        return new Uint8Array(await r.arrayBuffer());
      }
      throw new Error(`${what}: ${base} refused the worker's session.`);
    },
  };
}

export interface WorkerLog {
  (line: string): void;
}

export class PreannotateWorker {
  private workId: string | null = null;
  private beat: ReturnType<typeof setInterval> | null = null;
  readonly done = { images: 0, masks: 0 };
  /** the slot's propagation worker (startWorkers gives one), taking turns with this one */
  track: TrackWorker | null = null;

  constructor(
    private readonly service: Service,
    private readonly boss: PgBoss,
    private readonly images: ImageSource,
    private readonly sam: NodeSam,
    readonly name: string,
    private readonly log: WorkerLog = () => undefined,
    readonly turns: Turns = new Turns(),
  ) {}

  async start(): Promise<void> {
    await workerHeartbeat(this.service.db, this.name, this.done);
    let beats = 0;
    this.beat = setInterval(() => {
      void workerHeartbeat(this.service.db, this.name, this.done).catch(() => undefined);
      // now and then: images the queue gave up on after their last worker vanished
      if (++beats % 6 === 0) void sweepAbandoned(this.service.db).catch(() => undefined);
    }, 5000);
    this.workId = await this.boss.work<PreannotateJobData>(PREANNOTATE_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs) => {
      for (const job of jobs) await this.handle(job.data);
    });
    await this.track?.start();
  }

  /** Stops taking work (the image under way is finished first). */
  async stop(): Promise<void> {
    if (this.beat) clearInterval(this.beat);
    this.beat = null;
    if (this.workId) await this.boss.offWork({ id: this.workId });
    this.workId = null;
    await this.track?.stop();
    await workerGone(this.service.db, this.name).catch(() => undefined);
  }

  /** One image; throws (so the queue tries it again) when the try failed and tries are left. */
  async handle(data: PreannotateJobData): Promise<void> {
    const item = await startItem(this.service.db, data.runId, data.imageId, this.name);
    if (!item) return; // done already, or its run cancelled
    const t0 = performance.now();
    try {
      const result = await this.turns.run(() => this.run(item));
      const r = await landItem(this.service, item, this.name, result);
      if (r.landed) {
        this.done.images++;
        this.done.masks += r.masks;
      }
      this.log(
        `run ${item.runId} image ${item.imageId}: ${r.landed ? `${r.masks} masks` : 'done elsewhere, dropped'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const what = await failItem(this.service.db, item, msg);
      this.log(`run ${item.runId} image ${item.imageId}: ${msg} (${what === 'retry' ? 'to be tried again' : 'failed'})`);
      if (what === 'retry') throw e;
    }
  }

  private async readRecord<T>(item: StartedItem, coll: string, id: number): Promise<T | null> {
    const row = await this.service.db
      .selectFrom('records')
      .select('data')
      .where('project_id', '=', item.projectId)
      .where('coll', '=', coll)
      .where('id', '=', id)
      .executeTakeFirst();
    return (row?.data as T | null | undefined) ?? null;
  }

  private async run(item: StartedItem): Promise<ImageResult> {
    const record = await this.readRecord<ImageRecord>(item, 'images', item.imageId);
    if (!record) return { masks: [], consumedBoxIds: [] }; // the image was removed since
    if (!record.sha256) throw new Error(`Image ${record.fileName} has no file on the server.`);
    const image = decodeImageBytes(
      await this.images.read(item.projectId, record.sha256, `The file of ${record.fileName}`),
      record.fileName,
    );
    if (image.width !== record.width || image.height !== record.height)
      throw new Error(`${record.fileName} is ${image.width}x${image.height} px, the project says ${record.width}x${record.height}.`);
    const o = item.options;
    const work: PreannotateWork = { width: image.width, height: image.height };
    const categoryNames = new Map<number, string>();
    const nameId = (name: string) => {
      for (const [k, v] of categoryNames) if (v === name) return k;
      const k = -(categoryNames.size + 1);
      categoryNames.set(k, name);
      return k;
    };
    let consumedBoxIds: number[] = [];
    if (BOX_MODES.includes(item.mode)) {
      const rows = await this.service.db
        .selectFrom('records')
        .select('data')
        .where('project_id', '=', item.projectId)
        .where('coll', '=', 'pendingBoxes')
        .where('data', 'is not', null)
        .where(sql<string>`data->>'imageId'`, '=', String(item.imageId))
        .execute();
      const boxes = rows.map((r) => r.data as PendingBox).sort((a, b) => a.id - b.id);
      if (!boxes.length) return { masks: [], consumedBoxIds: [] };
      work.boxes = boxes.map((b) => ({ id: b.id, bbox: b.bbox, categoryId: b.categoryId }));
      consumedBoxIds = boxes.map((b) => b.id);
    } else if (item.mode === 'coarse') {
      const sha = o.coarseFiles?.[String(item.imageId)];
      if (!sha) return { masks: [], consumedBoxIds: [] };
      const map = labelMapFromPng(await this.images.read(item.projectId, sha, `The label PNG of ${record.fileName}`));
      if (map.width !== image.width || map.height !== image.height)
        throw new Error(`The label PNG of ${record.fileName} is ${map.width}x${map.height} px, the image ${image.width}x${image.height}.`);
      const options = { ...DEFAULT_COARSE_OPTIONS, ...(o.coarse as Partial<CoarseOptions> | undefined) };
      const classes = parseClassMap(o.classMap ?? '');
      const nameOf = (v: number) => classes.get(v) ?? (options.kind === 'instance' ? (o.everythingCategory ?? 'object') : `class ${v}`);
      work.coarse = coarsePrompts(map.labels, map.width, map.height, options).map((p) => ({ ...p, categoryId: nameId(nameOf(p.value)) }));
    }
    const amg: AmgParams = { ...DEFAULT_AMG_PARAMS, ...(o.amg as Partial<AmgParams> | undefined) };
    checkAmgParams(amg);
    const produced = await preannotateImage(
      work,
      {
        mode: item.mode,
        boxPlan: { ...DEFAULT_BOX_PLAN, ...(o.boxPlan as Partial<BoxPlanOptions> | undefined) },
        amg,
        everythingCategoryId: item.mode === 'everything' ? nameId(o.everythingCategory ?? 'object') : 0,
      },
      nodePreannotateBackend(this.sam, image),
    );
    const model = this.sam.modelId;
    return { masks: (produced?.masks ?? []).map((m) => ({ ...m, model })), consumedBoxIds, categoryNames };
  }
}

/** Model files a worker runs instead of the bundled model (`--encoder/--decoder/--family`). */
export interface WorkerModel {
  encoder: string;
  decoder: string;
  family: ModelFamily | 'auto';
}

/**
 * Loads SAM once (the bundled model, or `model`'s files of any supported family) and starts `count`
 * workers on it (one image each at a time), each with a propagation worker (one track at a time; the
 * bundled model is loaded again with its candidates, as `npm run track` runs it, when the first run comes;
 * with `sam2VideoDir` the propagation workers follow tracks with SAM 2's memory instead, its graphs loaded now).
 */
export async function startWorkers(
  service: Service,
  boss: PgBoss,
  images: ImageSource,
  count: number,
  threads: number | undefined,
  log: WorkerLog,
  model: WorkerModel | null = null,
  /** SAM 2's video graphs (`--sam2-video DIR`): propagation runs follow tracks with its memory */
  sam2VideoDir: string | null = null,
): Promise<PreannotateWorker[]> {
  const sam = model
    ? await NodeSam.fromFiles(model.encoder, model.decoder, { family: model.family, ...(threads ? { threads } : {}) })
    : await NodeSam.load(nodeManifest(), threads ? { threads } : {});
  let withCandidates: Promise<NodeSam> | null = null;
  // the memory graphs are loaded now, so that a folder without them is refused at the start, not on the first run
  const video = sam2VideoDir ? await NodeSam2Video.fromDir(sam2VideoDir, threads ? { threads } : {}) : null;
  const trackSam = (): Promise<NodeSam | NodeSam2Video> =>
    video
      ? Promise.resolve(video)
      : model
        ? Promise.resolve(sam)
        : (withCandidates ??= NodeSam.load(nodeManifest(), { candidates: true, ...(threads ? { threads } : {}) }));
  const workers: PreannotateWorker[] = [];
  for (let i = 0; i < count; i++) {
    const w = new PreannotateWorker(service, boss, images, sam, workerName(count > 1 ? `#${i + 1}` : ''), log);
    w.track = new TrackWorker(service, boss, images, trackSam, w.name, log, w.turns);
    await w.start();
    workers.push(w);
  }
  return workers;
}
