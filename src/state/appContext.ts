/**
 * The browser's composition root: every long-lived part of the app, made once, in dependency order,
 * and handed to the views (ui/appContext.tsx) and the automation API. Nothing else in the browser
 * layers keeps module-level state: a test or a second app makes its own context.
 *
 *   images, overlays, ids        registries (pixels and files stay out of the store)
 *   engine                       the SAM model in workers (inference/engine.ts)
 *   store                        the state and its actions (store/), given the engine and io
 *   batch                        pre-annotation runs (services/batch.ts)
 *   videoModel                   SAM 2's video memory model, apart (inference/sam2Video.ts, services/videoModel.ts)
 *   tracking                     video propagation and interpolation (services/tracking.ts)
 *   sync, team                   the project server: sync loop, team calls (services/sync.ts, teamClient.ts)
 *   projects                     autosave and project operations (services/persistence.ts)
 *   models                       the model of each project (services/models.ts)
 */
import { InferenceEngine } from '../inference/engine.ts';
import { OverlayRegistry } from '../inference/overlays.ts';
import { Sam2VideoModel } from '../inference/sam2Video.ts';
import { ImageRegistry } from '../io/images.ts';
import { ProjectDb } from '../io/persist.ts';
import { ServerApi } from '../io/serverApi.ts';
import { BatchRunner } from './services/batch.ts';
import { TrackingService } from './services/tracking.ts';
import { VideoModelService } from './services/videoModel.ts';
import { ModelsService } from './services/models.ts';
import { Persistence } from './services/persistence.ts';
import { ProjectIds } from './services/projectIds.ts';
import { browserIo, engineEvents, startModel } from './services/startup.ts';
import { browserJournal, browserProjects } from './services/storagePorts.ts';
import { SyncService } from './services/sync.ts';
import { Tabs } from './services/tabs.ts';
import { TeamClient } from './services/teamClient.ts';
import { createAppStore, type AppStore } from './store/store.ts';
import { VideoFrameSource, workerFrameDecoder } from '../io/videoFrames.ts';

export interface AppContext {
  store: AppStore;
  engine: InferenceEngine;
  images: ImageRegistry;
  overlays: OverlayRegistry;
  ids: ProjectIds;
  projects: Persistence;
  sync: SyncService;
  team: TeamClient;
  models: ModelsService;
  batch: BatchRunner;
  tracking: TrackingService;
  videoModel: VideoModelService;
}

/** Makes the app's parts and wires them; nothing runs until `startApp`. */
export function createAppContext(): AppContext {
  const images = new ImageRegistry();
  const overlays = new OverlayRegistry();
  const db = new ProjectDb();
  const stored = browserProjects(db);
  const ids = new ProjectIds(db);
  const api = new ServerApi();
  // the engine's events reach the store, made right after it (the engine reports nothing before it starts)
  const events = engineEvents(() => store);
  const engine = new InferenceEngine((id) => images.file(id), events);
  const store: AppStore = createAppStore({
    engine,
    io: browserIo(images, {
      addImageFile: (id, blob, name) => projects.addImageFile(id, blob, name),
      addVideoFile: (videoId, file, meta) => projects.addVideoFile(videoId, file, meta),
      addVideoFrame: (imageId, videoId, frame, name) => projects.addVideoFrame(imageId, videoId, frame, name),
      dropVideoFile: (videoId) => projects.dropVideoFile(videoId),
    }),
    ids,
    overlays,
    team: { reviewMask: (id, decision, comment) => team.reviewMask(id, decision, comment) },
  });
  const batch = new BatchRunner({ store, engine, images });
  const memory = new Sam2VideoModel(
    (id) => images.file(id),
    () => engine.preferred,
  );
  const videoModel = new VideoModelService({ store, loader: memory });
  const tracking = new TrackingService({ store, engine, memory });
  const sync: SyncService = new SyncService({ store, ids, api, images, projects: () => projects });
  const team = new TeamClient({ api, store, sync });
  const frameDecoder = workerFrameDecoder();
  const projects: Persistence = new Persistence({
    store,
    ids,
    images,
    openVideo: (key, file, meta) => new VideoFrameSource(key, file, meta, frameDecoder, images.frames),
    sync,
    batch,
    projects: stored,
    journal: browserJournal,
    tabs: typeof BroadcastChannel === 'undefined' ? null : (projectId) => new Tabs(store, projectId, stored),
  });
  const models = new ModelsService({ store, engine, batch });
  return { store, engine, images, overlays, ids, projects, sync, team, models, batch, tracking, videoModel };
}

/**
 * Starts the app: the model (from the URL or the last project), the server sync, and the last
 * project (restored, or a new one); resolves to whether a project was restored.
 */
export function startApp(ctx: AppContext): Promise<boolean> {
  startModel(ctx.store, ctx.engine, ctx.models);
  // `?sam2video=FOLDER/` (or four file URLs, comma-separated): SAM 2's video memory model for propagation
  const sam2video = new URLSearchParams(location.search).get('sam2video');
  if (sam2video) void ctx.videoModel.loadUrl(sam2video);
  // sync with a project server (when the app was opened from one) hears of every project opened
  ctx.sync.start();
  const restoring = ctx.projects.start();
  ctx.store.getState().setInitGate(() => ctx.projects.settled());
  return restoring;
}
