/**
 * Reading a linked project's records from the server, and its image files: an admin's browser uploads the files the server
 * lacks (and notes their hash on the image record); every browser fetches the shown image's file and
 * the next few's from the server when it has none, keeping them (persistence writes them).
 */
import { COLLECTIONS, type Collection } from '../../core/project/changes.ts';
import { emptyProject, type Project } from '../../core/project/types.ts';
import { recordKey, type ServerChange } from '../../core/sync/protocol.ts';
import { OfflineError, sha256Hex, type ServerApi } from '../../io/serverApi.ts';
import { nextImageId } from '../store/selectors.ts';
import type { AppStore } from '../store/store.ts';

export interface ServerFilesDeps {
  store: AppStore;
  api: Pick<ServerApi, 'putFile' | 'file'>;
  images: { file(id: number): { read(): Promise<Blob> } | undefined };
  /** registers a fetched file and writes it (persistence) */
  addImageFile(imageId: number, blob: Blob, name: string): void;
  /** the linked server project now (null: none; a change of link stops the work under way) */
  linked(): number | null;
}

export class ServerFiles {
  /** files being fetched, by image id */
  private readonly fetching = new Set<number>();

  constructor(private readonly deps: ServerFilesDeps) {}

  /** the upload under way, and whether another was asked for meanwhile (it runs once this one ends) */
  private uploading: Promise<void> | null = null;
  private uploadAgain = false;

  /**
   * Uploads the files of images that have none on the server yet (admins), and notes their hash. Asked for again
   * while one runs (each file opened asks), it runs once more after it: never two at a time, so no file (a video
   * frame: decoded to be read) is read and sent twice.
   */
  uploadMissing(): Promise<void> {
    if (this.uploading) {
      this.uploadAgain = true;
      return this.uploading;
    }
    const run = (async () => {
      do {
        this.uploadAgain = false;
        await this.uploadOnce();
      } while (this.uploadAgain);
    })().finally(() => (this.uploading = null));
    this.uploading = run;
    return run;
  }

  private async uploadOnce(): Promise<void> {
    const { store, api, images } = this.deps;
    const pid = this.deps.linked();
    if (pid === null) return;
    // (taken when this pass starts: the pass before it has noted its hashes by then)
    for (const im of store.getState().project.images) {
      if (im.sha256) continue;
      // (a frame of a stored video is decoded now: the server keeps frames as images)
      const blob = await images
        .file(im.id)
        ?.read()
        .catch(() => undefined);
      if (!blob) continue;
      const sha = await sha256Hex(blob);
      await api.putFile(pid, sha, blob);
      if (this.deps.linked() !== pid) return;
      const s = store.getState();
      const cur = s.project.images.find((x) => x.id === im.id);
      if (cur && !cur.sha256)
        s.change({ ops: [{ coll: 'images', id: im.id, before: cur, after: { ...cur, sha256: sha } }] }, 'ignore', {
          label: 'image file on the server',
        });
    }
  }

  /** Fetches the files of the shown image and the next few from the server (then kept in the browser). */
  async fetchAround(imageId: number | null): Promise<void> {
    const { store, api, images } = this.deps;
    const pid = this.deps.linked();
    if (pid === null) return;
    const list = store.getState().project.images;
    const at = Math.max(
      0,
      list.findIndex((im) => im.id === imageId),
    );
    for (const im of list.slice(at, at + 4)) {
      if (!im.sha256 || images.file(im.id) || this.fetching.has(im.id)) continue;
      this.fetching.add(im.id);
      // the list and the canvas say it is on its way, and how far (at most ten updates a second)
      let said = 0;
      const progress = (loaded: number, total: number) => {
        const now = performance.now();
        if (loaded > 0 && loaded < total && now - said < 100) return;
        said = now;
        store.getState().setDownload(im.id, { loaded, total });
      };
      try {
        progress(0, 0);
        const blob = await api.file(pid, im.sha256, progress);
        if (this.deps.linked() !== pid) return;
        this.deps.addImageFile(im.id, blob, im.fileName);
        // the image was shown (or listed) without its file: encode it now
        store.deps.engine.fileAttached(im.id);
        const st = store.getState();
        st.setImageStatus(im.id, 'pending');
        if (st.currentImageId !== null) store.deps.engine.show(st.currentImageId, nextImageId(st, st.currentImageId));
      } catch (e) {
        if (e instanceof OfflineError) return;
        // not uploaded yet: asked again on the next pull
      } finally {
        this.fetching.delete(im.id);
        store.getState().setDownload(im.id, null);
      }
    }
  }
}

/** A server project's records, read page by page, as a document, with the change number to pull from. */
export async function readServerProject(
  api: Pick<ServerApi, 'project' | 'records'>,
  serverProjectId: number,
): Promise<{ name: string; project: Project; seq: number }> {
  const info = await api.project(serverProjectId);
  const project: Project = { ...emptyProject(info.name), categories: [] };
  let after: string | null = null;
  let seq = 0;
  let first = true;
  do {
    const page = await api.records(serverProjectId, after);
    // changes made while the pages are read are pulled afterwards, from the first page's number
    if (first) seq = page.seq;
    first = false;
    for (const r of page.records) (project[r.coll] as unknown[]).push(r.data);
    after = page.next;
  } while (after);
  return { name: info.name, project, seq };
}

/** The server's current version of these records, as changes (a record the server lacks: removed). */
export async function serverVersions(
  api: Pick<ServerApi, 'records'>,
  serverProjectId: number,
  keys: readonly { coll: Collection; id: number }[],
): Promise<ServerChange[]> {
  const want = new Set(keys.map((k) => recordKey(k.coll, k.id)));
  const found: ServerChange[] = [];
  let after: string | null = null;
  do {
    const page = await api.records(serverProjectId, after);
    for (const r of page.records)
      if (want.has(recordKey(r.coll, r.id)))
        found.push({ seq: r.rev, coll: r.coll, id: r.id, data: r.data, username: '', clientId: '', opId: '' });
    after = page.next;
  } while (after);
  for (const k of keys)
    if (!found.some((f) => f.coll === k.coll && f.id === k.id))
      found.push({ seq: 0, coll: k.coll, id: k.id, data: null, username: '', clientId: '', opId: '' });
  return found;
}

/** Reserves on the server every id a project has (its counters then start past them). */
export async function reserveIdsOf(api: Pick<ServerApi, 'reserveIds'>, serverProjectId: number, project: Project): Promise<void> {
  for (const coll of COLLECTIONS) {
    const max = (project[coll] as { id: number }[]).reduce((m, r) => Math.max(m, r.id), 0);
    if (max > 0) await api.reserveIds(serverProjectId, coll, max);
  }
}
