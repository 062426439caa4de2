/**
 * The project server's team work for the open (linked) project: members and accounts, jobs and
 * their review, statistics, and pre-annotation runs on the server's workers. Each call names the
 * linked server project (refused, with a message, when the open project is a local one).
 */
import { maskPngImageKeys } from '../../core/coco/maskPng.ts';
import { fileStem } from '../../core/export/files.ts';
import type { ServerProject, ServerRun, ServerTrackRun, ServerWorker, TrackPropagateSpec } from '../../core/sync/protocol.ts';
import { sha256Hex, type ServerApi, type ServerJob, type ServerJobEvent, type ServerReview } from '../../io/serverApi.ts';
import type { TeamStats } from '../../core/team/stats.ts';
import type { AppStore } from '../store/store.ts';
import type { StoreTeam } from '../store/deps.ts';

/** What jobs to make: given images, or a split (of the free images a filter picks), for annotators in turn. */
export type NewJobsSpec = {
  imageIds?: number[];
  split?: { by: 'count'; size: number } | { by: 'folder' };
  /** a split takes the free images this picks: a part of the name or a glob, and what they have */
  filter?: { name?: string; has?: 'nothing' | 'proposals' | 'annotations' };
  name?: string;
  annotators: string[];
  reviewer?: string | null;
};

export interface ServerPreannotateRequest {
  mode: 'box' | 'box-crop' | 'auto-box' | 'coarse' | 'everything';
  /** the images of this job (else the whole project) */
  jobId?: number;
  redo?: boolean;
  boxPlan?: { margin?: number; minCropSide?: number };
  amg?: Record<string, number>;
  everythingCategory?: string;
  /** coarse: the label PNGs, matched to the project's images by name (uploaded first) */
  coarseFiles?: { blob: Blob; name: string }[];
  coarse?: Record<string, unknown>;
  classMap?: string;
  expireSeconds?: number;
}

export interface TeamDeps {
  api: ServerApi;
  store: AppStore;
  /** the sync with the server (sync.ts): which server project is linked, and sending what waits */
  sync: { linkedProjectId(): number | null; syncNow(): Promise<void> };
}

export class TeamClient implements StoreTeam {
  constructor(private readonly deps: TeamDeps) {}

  /** Gives a user a role in the open server project (project admins). */
  async addServerMember(username: string, memberRole: ServerProject['role']): Promise<{ invited: boolean }> {
    return this.deps.api.setMember(this.linked(), username.trim(), memberRole);
  }

  /** Makes an account on the server (server admins). */
  async createServerUser(username: string, password: string, isAdmin = false): Promise<void> {
    await this.deps.api.createUser(username.trim(), password, isAdmin);
  }

  // ---- jobs and review (issue 14) -----------------------------------------------------------------

  private linked(): number {
    const id = this.deps.sync.linkedProjectId();
    if (id === null) throw new Error('This project is not on a server.');
    return id;
  }

  /** The user's jobs in the open server project: to annotate, and to review. */
  async myQueue(): Promise<{ annotate: ServerJob[]; review: ServerJob[] }> {
    return this.deps.api.queue(this.linked());
  }

  async projectJobs(): Promise<ServerJob[]> {
    return this.deps.api.jobs(this.linked());
  }

  /** Splits the project's images into jobs (admins). */
  async createJobs(spec: NewJobsSpec): Promise<ServerJob[]> {
    return this.deps.api.createJobs(this.linked(), spec);
  }

  /** Moves a job (start, submit for review, accept, send back with a comment, resume, reopen); pending changes go first. */
  /** A job's history: its moves with who, when and why. */
  async jobHistory(jobId: number): Promise<ServerJobEvent[]> {
    return this.deps.api.jobHistory(this.linked(), jobId);
  }

  async moveJob(jobId: number, to: ServerJob['state'], comment?: string): Promise<ServerJob> {
    if (to === 'in_review') await this.deps.sync.syncNow();
    return this.deps.api.moveJob(this.linked(), jobId, to, comment);
  }

  /** A review decision on one annotation (the job's reviewer). */
  async reviewMask(annotationId: number, decision: 'accept' | 'reject', comment?: string): Promise<void> {
    await this.deps.api.review(this.linked(), annotationId, decision, comment);
  }

  async jobReviews(jobId?: number): Promise<ServerReview[]> {
    return this.deps.api.reviews(this.linked(), jobId);
  }

  async teamStatistics(jobId?: number): Promise<TeamStats> {
    return this.deps.api.stats(this.linked(), jobId);
  }

  // ---- pre-annotation on the server's workers -------------------------------------------------------

  /**
   * Queues a pre-annotation run on the server's workers (project admins); its proposals arrive like
   * anyone's changes. Coarse label PNGs are uploaded to the project's files first.
   */
  async queueServerPreannotation(
    req: ServerPreannotateRequest,
  ): Promise<{ runId: number; images: number; skipped: Record<string, number> }> {
    const pid = this.linked();
    const { coarseFiles, ...spec } = req;
    const body: Record<string, unknown> = { ...spec };
    if (req.mode === 'coarse') {
      const byKey = new Map(this.deps.store.getState().project.images.map((im) => [fileStem(im.fileName).toLowerCase(), im.id]));
      const map: Record<string, string> = {};
      const unmatched: string[] = [];
      for (const f of coarseFiles ?? []) {
        const id = maskPngImageKeys(f.name)
          .map((k) => byKey.get(k))
          .find((x) => x !== undefined);
        if (id === undefined) {
          unmatched.push(f.name);
          continue;
        }
        const sha = await sha256Hex(f.blob);
        await this.deps.api.putFile(pid, sha, f.blob);
        map[String(id)] = sha;
      }
      if (unmatched.length)
        this.deps.store
          .getState()
          .notify('warning', `${unmatched.length} label PNG(s) match no image by name and are left out.`, unmatched.slice(0, 3).join(', '));
      body['coarseFiles'] = map;
    }
    const r = await this.deps.api.preannotate(pid, body);
    return { runId: r.runId, images: r.images, skipped: r.skipped };
  }

  async serverRuns(): Promise<{ runs: ServerRun[]; workers: ServerWorker[]; workerMode: 'external' | number }> {
    return this.deps.api.runs(this.linked());
  }

  async cancelServerRun(runId: number): Promise<boolean> {
    return (await this.deps.api.cancelRun(this.linked(), runId)).cancelled;
  }

  // ---- video propagation on the server's workers ----------------------------------------------------

  /**
   * Queues a propagation run of one track on the server's workers (project admins; annotators over frames they may
   * write). Pending changes go first, so the server has the keyframes; the masks arrive like anyone's changes.
   */
  async queueTrackPropagation(spec: TrackPropagateSpec): Promise<{ runId: number; frames: number }> {
    const pid = this.linked();
    await this.deps.sync.syncNow();
    const r = await this.deps.api.queueTrackPropagation(pid, spec);
    return { runId: r.runId, frames: r.frames };
  }

  /** The project's propagation runs on the server, newest first, with their progress. */
  async trackRuns(): Promise<ServerTrackRun[]> {
    return (await this.deps.api.trackRuns(this.linked())).runs;
  }

  async cancelTrackRun(runId: number): Promise<boolean> {
    return (await this.deps.api.cancelTrackRun(this.linked(), runId)).cancelled;
  }
}
