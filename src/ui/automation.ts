import { projectToCoco, type CocoDataset, type CocoExportOptions } from '../core/coco/export.ts';
import type { ImageRecord, Project } from '../core/project/types.ts';
import type { CocoRle } from '../core/mask/rle.ts';
import type { Viewport } from '../canvas/viewport.ts';
import type { AppContext } from '../state/appContext.ts';
import { coveredProposals, reviewQueue } from '../state/store/selectors.ts';
import type { PreannotateRequest } from '../state/services/batch.ts';
import type { PreannotateProgress } from '../inference/preannotate.ts';
import { BUNDLED_MODEL_ID, type ModelInUse, type ModelListEntry } from '../core/sam/localModels.ts';
import { bundledManifest } from '../state/services/models.ts';
import type { Prompts } from '../core/sam/prompts.ts';
import type { Stroke } from '../core/mask/brush.ts';
import { timerElapsed, timerPausedReason } from '../core/project/timer.ts';
import type { ServerProject, ServerRun, ServerTrackRun, ServerWorker, TrackPropagateSpec } from '../core/sync/protocol.ts';
import type { TeamStats } from '../core/team/stats.ts';
import type { ServerJob, ServerJobEvent, ServerReview } from '../io/serverApi.ts';
import type { SyncView } from '../state/store/slices/view.ts';
import type { NewJobsSpec, ServerPreannotateRequest } from '../state/services/teamClient.ts';
import { videoAutomation, type VideoApi } from './automationVideo.ts';

export interface EditorState {
  tool: string;
  brushRadius: number;
  prompts: Prompts;
  strokes: Stroke[];
  editingAnnotationId: number | null;
  feedback: boolean;
  /** zoom-in refinement on */
  zoomIn: boolean;
  /** SAM's candidates for the live mask (best predicted IoU first; empty when there is no choice) and the one shown */
  candidates: { token: number; predictedIou: number }[];
  candidateShown: number | null;
  /** the object's zoom-in crop (image px) and whether its embedding is ready; null when none */
  zoom: { roi: { x0: number; y0: number; x1: number; y1: number }; ready: boolean } | null;
  /** the crop the live mask was decoded on (null: the whole image) */
  decodedOnCrop: { x0: number; y0: number; x1: number; y1: number } | null;
  /** hover preview on (setting), and the point (image px) of the preview shown, or null */
  hoverPreview: boolean;
  hoverPoint: { x: number; y: number } | null;
  /** the category new masks get */
  currentCategoryId: number;
  canUndo: boolean;
  canRedo: boolean;
  /** what undo / redo would do ("accept", "point", ...), or null */
  undoLabel: string | null;
  redoLabel: string | null;
  /**
   * The mask clock: 'idle' (no mask under way), 'running', 'paused' (no input for a minute: the pause is
   * backdated to the last input), 'hidden' (tab hidden) or 'waiting' (for the model); active ms so far.
   */
  timer: { status: string; elapsedMs: number };
}

declare global {
  interface Window {
    /** The app's automation contract, installed at start-up (every e2e spec and bench script uses this type). */
    annotator: AnnotatorApi;
  }
}

/** The automation contract (see README): stable entry points for tests and scripts. */
export interface AnnotatorApi {
  /** videos: clips, tracks, propagation (automationVideo.ts) */
  video: VideoApi;
  /**
   * Resolves when the shown image's embedding and the decoder are ready; rejects with the error if not.
   * Images being added (e.g. just given to the file input) are waited for first.
   */
  ready(): Promise<void>;
  /** Page client coordinates of image pixel (x, y) at the current zoom and pan. */
  imageToClient(x: number, y: number): { x: number; y: number };
  /** The project as plain JSON. */
  getProject(): Project;
  /** How many records the project has, without copying it (cheap at any size; getProject copies everything). */
  counts(): { images: number; annotations: number; categories: number };
  /** The shown image, or null. */
  currentImage(): ImageRecord | null;
  /** Waits for pending decodes, then returns the live mask (COCO RLE) and its predicted IoU, or null. */
  getLiveMask(): Promise<{ rle: CocoRle; score: number; area: number; bbox: [number, number, number, number] } | null>;
  /**
   * The live mask's overlay as drawn on the canvas, after pending updates: its size (overlay px; smaller
   * than the image on huge photos) and its alpha plane, base64 (255 = edge, 110 = fill, 0 = outside).
   */
  liveOverlay(): Promise<{ width: number; height: number; alpha: string } | null>;
  /** The COCO object that the export downloads, with RLE (default) or polygon segmentation. */
  exportCoco(options?: CocoExportOptions): CocoDataset;
  /** The editing state: tool, brush radius (image px), prompts and strokes (image px), undo/redo, the mask clock. */
  editorState(): EditorState;
  /** The backend in use and why. */
  backend(): { backend: string; reason: string };
  /** Whether the decoder offers SAM's mask candidates (null while it loads). */
  hasCandidates(): boolean | null;
  /** Shows another of SAM's candidates for the live mask (as a click on its preview); resolves when it is shown. */
  chooseCandidate(token: number): Promise<void>;
  /** Decoder runs so far: clicks, hover previews, warm-ups, batch work (a click on a previewed point runs none). */
  decoderRuns(): Promise<number>;
  /** Resolves when the object's zoom-in crop is encoded (false: there is none, e.g. zoom-in is off or the object is large). */
  zoomReady(timeoutMs?: number): Promise<boolean>;
  /** Measurements for benchmarks: encoder times (ms) and the prompt-to-mask-on-screen measures (ms). */
  perf(): {
    encoderMs: number[];
    clickToMaskMs: number[];
    brushFrameMs: number[];
    cropEncodeMs: number[];
    /** each prompt -> mask on screen with its parts: decoder run, the worker's whole reply (ms) */
    clicks: { generation: number; totalMs: number; decodeMs: number | null; workerMs: number | null }[];
  };
  /** Benchmark reference: the decoder's `session.run` alone, n times, on the shown image (ms each). */
  benchDecoderRaw(n: number): Promise<number[]>;
  /**
   * Runs a pre-annotation batch (see README) and resolves with its final progress: mode
   * 'auto-box' | 'box' | 'box-crop' (pending boxes), 'coarse' (label PNGs given to the coarse input
   * unless `coarseFiles` is set), 'everything'. Rejects if it cannot start.
   */
  preannotate(req: PreannotateRequest): Promise<PreannotateProgress>;
  /**
   * Models (issue 15): `list` the bundled model ('bundled') and those added from disk (add them with
   * the Models dialog's file inputs), `current` the one in use with its embeddings' memory, `use` one
   * for the open project (resolves once it is loaded, rejects on error), `remove` one from the
   * browser's storage.
   */
  models: {
    list(): Promise<ModelListEntry[]>;
    current(): ModelInUse;
    use(id: string): Promise<void>;
    remove(id: string): Promise<void>;
  };
  /** Starts a batch without waiting for it (pause/resume/cancel it with `batch`). */
  startPreannotate(req: PreannotateRequest): Promise<{ ok: boolean; error?: string }>;
  batch: {
    progress(): PreannotateProgress | null;
    pause(): void;
    resume(): void;
    cancel(): void;
    finished(): Promise<PreannotateProgress | null>;
  };
  /** Ids of the shown image's proposals still to review, in review order, and the selected annotation. */
  review(): {
    queue: number[];
    selected: number | null;
    hidden: number[];
    /** on a project server: the job of the shown image (its keys), and the mask whose rejection waits for its comment */
    job: { jobId: number; reviewing: boolean; decided: number[] } | null;
    rejecting: number | null;
  };
  /** The COCO import under way (file name, annotations checked of all), or null. */
  importProgress(): { name: string; done: number; total: number } | null;
  /** Stops the COCO import under way: nothing of it is added. */
  cancelImport(): void;
  /** The project server (the app opened from `npm run server`); see the README. */
  server: {
    login(username: string, password: string): Promise<void>;
    logout(): Promise<void>;
    /** the server projects this user is a member of */
    projects(): Promise<ServerProject[]>;
    /** puts the open local project on the server; resolves to the server project's id */
    upload(name?: string): Promise<number>;
    /** opens a server project in this browser (a new linked local copy) */
    open(serverProjectId: number): Promise<void>;
    /** sends every pending change and pulls until up to date; rejects when the server cannot be reached */
    sync(): Promise<void>;
    /** jobs (issue 14): the project's jobs, the user's queue, making jobs (admins), moving one, review decisions, statistics */
    jobs(): Promise<ServerJob[]>;
    /** A job's moves, oldest first: `{from, to, by, comment, at}`. */
    jobHistory(jobId: number): Promise<ServerJobEvent[]>;
    queue(): Promise<{ annotate: ServerJob[]; review: ServerJob[] }>;
    createJobs(spec: NewJobsSpec): Promise<ServerJob[]>;
    moveJob(jobId: number, to: 'new' | 'annotating' | 'in_review' | 'done' | 'rejected', comment?: string): Promise<ServerJob>;
    review(annotationId: number, decision: 'accept' | 'reject', comment?: string): Promise<void>;
    reviews(jobId?: number): Promise<ServerReview[]>;
    stats(jobId?: number): Promise<TeamStats>;
    /**
     * Pre-annotation on the server's workers (project admins): queues a run (mode and options as the
     * in-app batch takes them, `jobId` for one job's images); resolves to the run's id and image count.
     */
    preannotate(spec: ServerPreannotateRequest): Promise<{ runId: number; images: number; skipped: Record<string, number> }>;
    /** the project's runs (newest first) with progress and ETA, and the workers heard from in the last minute */
    runs(): Promise<{ runs: ServerRun[]; workers: ServerWorker[]; workerMode: 'external' | number }>;
    cancelRun(runId: number): Promise<boolean>;
    /**
     * Video propagation on the server's workers, one queued job per track (admins; annotators over frames they may
     * write): `{trackId, fromImageId, direction: 1 | -1, until: 'next-key' | 'end', stopOnFlag?}`; pending changes are
     * sent first. Resolves to the run's id and how many frames it will make; the masks arrive like anyone's changes.
     */
    propagateTrack(spec: TrackPropagateSpec): Promise<{ runId: number; frames: number }>;
    /** the project's propagation runs, newest first: state, done / total, flagged, message */
    trackRuns(): Promise<ServerTrackRun[]>;
    cancelTrackRun(runId: number): Promise<boolean>;
    /** makes an account on the server (server admins) */
    createUser(username: string, password: string, isAdmin?: boolean): Promise<void>;
    /** gives a user a role in the open server project (project admins) */
    addMember(username: string, role: 'admin' | 'annotator' | 'reviewer'): Promise<void>;
    status(): SyncView;
  };
}

export function installAutomation(ctx: AppContext, viewport: Viewport): void {
  const { store, engine, overlays, batch, models, sync, team } = ctx;
  const api: AnnotatorApi = {
    video: videoAutomation(ctx),
    ready() {
      const s = store.getState();
      if (s.model.status === 'error' && s.model.error) return Promise.reject(new Error(s.model.error.message));
      const wait = (): Promise<number> =>
        new Promise((resolve) => {
          const id = store.getState().currentImageId;
          if (id !== null) return resolve(id);
          const unsub = store.subscribe((st) => {
            if (st.currentImageId !== null) {
              unsub();
              resolve(st.currentImageId);
            }
          });
        });
      // files just given to the input are still being validated: wait for them to be shown
      return store
        .getState()
        .whenImagesAdded()
        .then(wait)
        .then((id) => engine.whenReady(id));
    },
    imageToClient: (x, y) => viewport.imageToClient({ x, y }),
    getProject: () => JSON.parse(JSON.stringify(store.getState().project)) as Project,
    counts: () => {
      const p = store.getState().project;
      return { images: p.images.length, annotations: p.annotations.length, categories: p.categories.length };
    },
    async getLiveMask() {
      const m = await store.session.liveMask();
      return m && { rle: m.rle, score: m.score, area: m.area, bbox: m.bbox };
    },
    async liveOverlay() {
      await store.session.liveMask();
      const l = overlays.getLive();
      if (!l) return null;
      const c = new OffscreenCanvas(l.bitmap.width, l.bitmap.height);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(l.bitmap, 0, 0);
      const rgba = ctx.getImageData(0, 0, c.width, c.height).data;
      let bin = '';
      for (let i = 3; i < rgba.length; i += 4) bin += String.fromCharCode(rgba[i]!);
      return { width: c.width, height: c.height, alpha: btoa(bin) };
    },
    editorState: () => {
      const s = store.getState();
      return JSON.parse(
        JSON.stringify({
          tool: s.tool,
          brushRadius: s.brushRadius,
          prompts: s.prompts,
          strokes: s.strokes,
          editingAnnotationId: s.editingAnnotationId,
          feedback: s.feedback,
          zoomIn: s.zoomIn,
          candidates: s.candidates,
          candidateShown: s.candidateShown,
          zoom: s.zoom && { roi: s.zoom.roi, ready: s.zoom.ready },
          decodedOnCrop: store.session.snapshot().crop,
          hoverPreview: s.hoverPreview,
          hoverPoint: s.hoverPoint,
          currentCategoryId: s.currentCategoryId,
          canUndo: s.past.length > 0,
          canRedo: s.future.length > 0,
          undoLabel: s.past[s.past.length - 1]?.label ?? null,
          redoLabel: s.future[0]?.label ?? null,
          timer: {
            status: timerPausedReason(s.timer, Date.now()) === 'idle' ? 'paused' : s.timer.status,
            elapsedMs: timerElapsed(s.timer, Date.now()),
          },
        }),
      ) as EditorState;
    },
    currentImage: () => {
      const s = store.getState();
      const im = s.project.images.find((i) => i.id === s.currentImageId);
      return im ? { ...im } : null;
    },
    exportCoco: (options = {}) => {
      // exactly what the export writes: the polygon fidelity summary is for the dialog, not the file
      const { fidelity: _fidelity, ...coco } = projectToCoco(store.getState().project, options);
      return coco;
    },
    perf: () => ({
      encoderMs: [...engine.encoderTimes],
      clickToMaskMs: performance.getEntriesByName('click-to-mask').map((e) => e.duration),
      brushFrameMs: performance.getEntriesByName('brush-frame').map((e) => e.duration),
      cropEncodeMs: [...engine.cropTimes],
      clicks: performance.getEntriesByName('click-to-mask').map((e) => {
        const generation = (e as PerformanceMeasure).detail?.generation as number;
        const t = store.session.timings.find((d) => d.generation === generation);
        return { generation, totalMs: e.duration, decodeMs: t?.decodeMs ?? null, workerMs: t?.workerMs ?? null };
      }),
    }),
    benchDecoderRaw: (n) => {
      const id = store.getState().currentImageId;
      return id === null ? Promise.reject(new Error('no image shown')) : engine.benchDecoderRaw(id, n);
    },
    backend: () => ({ backend: store.getState().model.backend, reason: store.getState().model.reason }),
    hasCandidates: () => store.getState().model.candidates,
    decoderRuns: () => engine.decoderRuns(),
    async chooseCandidate(token) {
      await store.session.settled();
      const s = store.getState();
      if (!s.candidates.some((c) => c.token === token))
        throw new Error(`no candidate ${token}: the live mask has ${s.candidates.map((c) => c.token).join(', ') || 'none'}`);
      s.chooseCandidate(token);
      await store.session.settled();
    },
    async zoomReady(timeoutMs = 60_000) {
      await store.session.settled();
      const until = performance.now() + timeoutMs;
      for (;;) {
        const z = store.getState().zoom;
        if (!z) return false;
        if (z.ready) return true;
        if (performance.now() > until) throw new Error('the zoom-in crop was not encoded in time');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async preannotate(req) {
      const r = await api.startPreannotate(req);
      if (!r.ok) throw new Error(r.error);
      return (await batch.whenFinished())!;
    },
    async startPreannotate(req) {
      await store.getState().whenImagesAdded();
      const full = req.mode === 'coarse' && !req.coarseFiles ? { ...req, coarseFiles: batch.coarseFiles() } : req;
      return batch.start(full);
    },
    models: {
      async list() {
        await models.refreshModels();
        const cur = store.getState().model.id;
        const b = bundledManifest();
        return [
          { id: BUNDLED_MODEL_ID, name: b.name, family: 'sam' as const, current: cur === b.id, bytes: 0, sha256: null },
          ...store.getState().models.stored.map((m) => ({
            id: m.id,
            name: m.name,
            family: m.family,
            current: cur === m.id,
            bytes: m.encoder.size + m.decoder.size,
            sha256: { encoder: m.encoder.sha256, decoder: m.decoder.sha256 },
          })),
        ];
      },
      current() {
        const m = store.getState().model;
        return { id: m.id, name: m.name, family: m.family, status: m.status, candidates: m.candidates, memory: m.memory };
      },
      async use(id) {
        const r = await models.chooseModel(id);
        if (!r.ok) throw new Error(r.error);
        for (;;) {
          const m = store.getState().model;
          if (m.status === 'ready') return;
          if (m.status === 'error') throw new Error(`${m.error?.message ?? 'the model failed to load'} ${m.error?.hint ?? ''}`.trim());
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      async remove(id) {
        const r = await models.removeModel(id);
        if (!r.ok) throw new Error(r.error);
      },
    },
    batch: {
      progress: () => store.getState().batch.progress,
      pause: () => batch.pause(),
      resume: () => batch.resume(),
      cancel: () => batch.cancel(),
      finished: () => batch.whenFinished(),
    },
    review: () => {
      const s = store.getState();
      const covered = coveredProposals(s.project.annotations);
      return {
        queue: reviewQueue(s).map((a) => a.id),
        selected: s.selectedAnnotationId,
        hidden: s.project.annotations.filter((a) => covered.has(a.id)).map((a) => a.id),
        job: s.jobFocus ? { jobId: s.jobFocus.jobId, reviewing: s.jobFocus.reviewing, decided: [...s.jobFocus.decided] } : null,
        rejecting: s.rejecting,
      };
    },
    importProgress: () => store.getState().importing,
    cancelImport: () => store.getState().cancelImport(),
    server: {
      login: (username, password) => sync.serverLogin(username, password),
      logout: () => sync.serverLogout(),
      projects: () => sync.serverProjects(),
      upload: (name) => sync.uploadProject(name),
      open: (id) => sync.openServerProject(id),
      sync: () => sync.syncNow(),
      addMember: async (username, role) => void (await team.addServerMember(username, role)),
      createUser: (username, password, isAdmin) => team.createServerUser(username, password, isAdmin),
      jobs: () => team.projectJobs(),
      jobHistory: (jobId) => team.jobHistory(jobId),
      queue: () => team.myQueue(),
      createJobs: (spec) => team.createJobs(spec),
      moveJob: (jobId, to, comment) => team.moveJob(jobId, to, comment),
      review: (id, decision, comment) => team.reviewMask(id, decision, comment),
      reviews: (jobId) => team.jobReviews(jobId),
      stats: (jobId) => team.teamStatistics(jobId),
      preannotate: (spec) => team.queueServerPreannotation(spec),
      runs: () => team.serverRuns(),
      cancelRun: (runId) => team.cancelServerRun(runId),
      propagateTrack: (spec) => team.queueTrackPropagation(spec),
      trackRuns: () => team.trackRuns(),
      cancelTrackRun: (runId) => team.cancelTrackRun(runId),
      status: () => JSON.parse(JSON.stringify(store.getState().sync)) as SyncView,
    },
  };
  window.annotator = api;
}
