/**
 * What persistence needs of the browser's storage, as two ports: the projects in IndexedDB
 * (io/persist.ts) and the synchronous journal and place in localStorage (io/journal.ts). The
 * composition root gives the browser's; the services' unit tests give in-memory fakes
 * (state/test/fakeStorage.ts).
 */
import type { Project } from '../../core/project/types.ts';
import { newProjectId, type ProjectDb, type ProjectMeta, type RecordWrite } from '../../io/persist.ts';
import { dropJournal, dropPlace, readJournal, readPlace, writeJournal, writePlace, type JournalEntry } from '../../io/journal.ts';
import type { Collection, Collections } from '../../core/project/changes.ts';
import type { StoredVideoMeta } from '../../core/video/videoFile.ts';
import { loadVideos, removeVideo, removeVideos, saveVideo, type StoredVideo } from '../../io/videoStore.ts';

export interface StoredProject {
  meta: ProjectMeta;
  project: Project;
  images: { imageId: number; name: string; blob: Blob }[];
}

export interface ProjectSummary {
  id: string;
  name: string;
  updatedAt: number;
  images: number;
  annotations: number;
}

export interface ProjectStorage {
  list(): Promise<ProjectSummary[]>;
  /** the project open when the app was last closed */
  current(): Promise<string | undefined>;
  setCurrent(id: string): Promise<void>;
  load(id: string): Promise<StoredProject | null>;
  create(meta: ProjectMeta, project: Project): Promise<void>;
  /** changed records and the meta record, in one transaction (pieces for imports) */
  write(id: string, w: RecordWrite): Promise<void>;
  /** records as stored now (another tab's), by `coll:id` */
  read(id: string, keys: readonly { coll: Collection; id: number }[]): Promise<Map<string, Collections[Collection]>>;
  saveImage(id: string, imageId: number, name: string, blob: Blob): Promise<void>;
  /** stores a clip's video file with the project, once (its frames are decoded from it on demand) */
  saveVideo(id: string, videoId: number, file: Blob, meta: StoredVideoMeta): Promise<Blob>;
  /** removes one stored video file (its clip was not opened after all) */
  removeVideo(id: string, videoId: number): Promise<void>;
  /** the video files stored with a project */
  videos(id: string): Promise<StoredVideo[]>;
  /** removes a project: its records, image files and video files */
  remove(id: string): Promise<void>;
  newId(): string;
}

export interface JournalStore {
  /** replaces this tab's entry (false: it could not be written) */
  write(projectId: string, entry: JournalEntry): boolean;
  read(projectId: string): { entries: JournalEntry[]; clear(): void };
  drop(projectId: string): void;
  writePlace<T>(projectId: string, value: T): void;
  readPlace<T>(projectId: string): { at: number; value: T } | null;
  dropPlace(projectId: string): void;
}

/** The projects in this browser's IndexedDB. */
export function browserProjects(db: ProjectDb): ProjectStorage {
  return {
    list: () => db.listProjects(),
    current: () => db.currentProjectId(),
    setCurrent: (id) => db.setCurrentProjectId(id),
    load: (id) => db.loadProject(id),
    create: (meta, project) => db.createProject(meta, project),
    write: (id, w) => db.writeRecords(id, w),
    read: (id, keys) => db.readRecords(id, keys),
    saveImage: (id, imageId, name, blob) => db.saveImage(id, imageId, name, blob),
    saveVideo,
    removeVideo,
    videos: loadVideos,
    remove: async (id) => {
      await db.deleteProject(id);
      await removeVideos(id);
    },
    newId: newProjectId,
  };
}

export const browserJournal: JournalStore = {
  write: writeJournal,
  read: readJournal,
  drop: dropJournal,
  writePlace,
  readPlace,
  dropPlace,
};
