/**
 * The project server's API as the app calls it: same origin (the server serves the app), the session
 * in an HTTP-only cookie, the CSRF token in a header on every write. Errors come back as
 * {@link ServerError} (the server's message and hint) or {@link OfflineError} (no answer at all).
 */
import type { Collection } from '../core/project/changes.ts';
import type { TeamStats } from '../core/team/stats.ts';
import type {
  ChangesResponse,
  PushRequest,
  PushResponse,
  RecordsResponse,
  Role,
  ServerProject,
  ServerRun,
  ServerTrackRun,
  ServerUser,
  ServerWorker,
  TrackPropagateSpec,
} from '../core/sync/protocol.ts';

export type { ServerRun, ServerTrackRun, ServerWorker, TrackPropagateSpec };

export class ServerError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint: string | undefined,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class OfflineError extends Error {
  constructor() {
    super('The server cannot be reached (offline, or the server is down).');
  }
}

export class ServerApi {
  csrf = '';

  private async request(
    method: string,
    path: string,
    body?: BodyInit | null,
    headers: Record<string, string> = {},
    cache: RequestCache = 'no-store',
  ): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (method !== 'GET' && this.csrf) h['x-csrf-token'] = this.csrf;
    let res: Response;
    try {
      res = await fetch(path, { method, headers: h, body: body ?? null, credentials: 'same-origin', cache });
    } catch {
      throw new OfflineError();
    }
    if (!res.ok) {
      let parsed: Record<string, unknown> = {};
      try {
        parsed = (await res.json()) as Record<string, unknown>;
      } catch {
        // not JSON: a proxy's page, or the app's own 404
      }
      if (res.status === 502 || res.status === 503 || res.status === 504) throw new OfflineError();
      throw new ServerError(
        res.status,
        typeof parsed.error === 'string' ? parsed.error : `The server answered ${res.status}.`,
        typeof parsed.hint === 'string' ? parsed.hint : undefined,
        parsed,
      );
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(
      method,
      path,
      body === undefined ? null : JSON.stringify(body),
      body === undefined ? {} : { 'content-type': 'application/json' },
    );
    return (await res.json()) as T;
  }

  /** Whether the app was opened from a project server (false for `npm start`'s static server). */
  async available(): Promise<boolean> {
    try {
      const r = await this.json<{ server?: string }>('GET', '/api/health');
      return r.server === 'sam-annotator';
    } catch {
      return false;
    }
  }

  async me(): Promise<ServerUser | null> {
    try {
      const r = await this.json<{ user: ServerUser; csrfToken: string }>('GET', '/api/me');
      this.csrf = r.csrfToken;
      return r.user;
    } catch (e) {
      if (e instanceof ServerError && e.status === 401) return null;
      throw e;
    }
  }

  async login(username: string, password: string): Promise<ServerUser> {
    const r = await this.json<{ user: ServerUser; csrfToken: string }>('POST', '/api/login', { username, password });
    this.csrf = r.csrfToken;
    return r.user;
  }

  async logout(): Promise<void> {
    await this.json('POST', '/api/logout');
    this.csrf = '';
  }

  async createUser(username: string, password: string, isAdmin = false): Promise<ServerUser> {
    return (await this.json<{ user: ServerUser }>('POST', '/api/users', { username, password, isAdmin })).user;
  }

  async projects(): Promise<ServerProject[]> {
    return (await this.json<{ projects: ServerProject[] }>('GET', '/api/projects')).projects;
  }

  async project(id: number): Promise<ServerProject> {
    return (await this.json<{ project: ServerProject }>('GET', `/api/projects/${id}`)).project;
  }

  async createProject(name: string): Promise<ServerProject> {
    return (await this.json<{ project: ServerProject }>('POST', '/api/projects', { name })).project;
  }

  /** `invited`: the name was invited (it joins at its next sign-in; whether it exists is not told). */
  async setMember(projectId: number, username: string, role: Role): Promise<{ invited: boolean }> {
    const r = await this.json<{ invited?: boolean }>('PUT', `/api/projects/${projectId}/members`, { username, role });
    return { invited: r.invited === true };
  }

  async reserveIds(projectId: number, coll: Collection, count: number): Promise<[number, number]> {
    const r = await this.json<{ first: number; last: number }>('POST', `/api/projects/${projectId}/ids`, { coll, count });
    return [r.first, r.last];
  }

  push(projectId: number, body: PushRequest): Promise<PushResponse> {
    return this.json('POST', `/api/projects/${projectId}/push`, body);
  }

  changes(projectId: number, since: number): Promise<ChangesResponse> {
    return this.json('GET', `/api/projects/${projectId}/changes?since=${since}`);
  }

  records(projectId: number, after: string | null): Promise<RecordsResponse> {
    return this.json('GET', `/api/projects/${projectId}/records${after ? `?after=${encodeURIComponent(after)}` : ''}`);
  }

  async putFile(projectId: number, sha: string, blob: Blob): Promise<void> {
    await this.request('PUT', `/api/projects/${projectId}/files/${sha}`, blob, { 'content-type': 'application/octet-stream' });
  }

  /**
   * An image file, named by its hash (the browser's cache may answer: the server marks it immutable);
   * `onProgress` hears the bytes received and the total (0 when the server does not say).
   */
  async file(projectId: number, sha: string, onProgress?: (loaded: number, total: number) => void): Promise<Blob> {
    const res = await this.request('GET', `/api/projects/${projectId}/files/${sha}`, null, {}, 'default');
    if (!onProgress || !res.body) return res.blob();
    const total = Number(res.headers.get('content-length') ?? 0) || 0;
    const reader = res.body.getReader();
    const parts: Uint8Array[] = [];
    let loaded = 0;
    onProgress(0, total);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      loaded += value.byteLength;
      onProgress(loaded, total);
    }
    return new Blob(parts as BlobPart[], { type: res.headers.get('content-type') ?? '' });
  }

  async jobs(projectId: number): Promise<ServerJob[]> {
    return (await this.json<{ jobs: ServerJob[] }>('GET', `/api/projects/${projectId}/jobs`)).jobs;
  }

  async createJobs(projectId: number, spec: Record<string, unknown>): Promise<ServerJob[]> {
    return (await this.json<{ jobs: ServerJob[] }>('POST', `/api/projects/${projectId}/jobs`, spec)).jobs;
  }

  /** A job's moves, oldest first: from which state to which, by whom, when, and the comment given. */
  async jobHistory(projectId: number, jobId: number): Promise<ServerJobEvent[]> {
    return (await this.json<{ events: ServerJobEvent[] }>('GET', `/api/projects/${projectId}/jobs/${jobId}/events`)).events;
  }

  async queue(projectId: number): Promise<{ annotate: ServerJob[]; review: ServerJob[] }> {
    return this.json('GET', `/api/projects/${projectId}/queue`);
  }

  async moveJob(projectId: number, jobId: number, to: ServerJob['state'], comment?: string): Promise<ServerJob> {
    return (
      await this.json<{ job: ServerJob }>('POST', `/api/projects/${projectId}/jobs/${jobId}/move`, { to, ...(comment ? { comment } : {}) })
    ).job;
  }

  async review(projectId: number, annotationId: number, decision: 'accept' | 'reject', comment?: string): Promise<void> {
    await this.json('POST', `/api/projects/${projectId}/reviews`, { annotationId, decision, ...(comment ? { comment } : {}) });
  }

  async reviews(projectId: number, jobId?: number): Promise<ServerReview[]> {
    return (await this.json<{ reviews: ServerReview[] }>('GET', `/api/projects/${projectId}/reviews${jobId ? `?job=${jobId}` : ''}`))
      .reviews;
  }

  async stats(projectId: number, jobId?: number): Promise<TeamStats> {
    return this.json<TeamStats>('GET', `/api/projects/${projectId}/stats${jobId ? `?job=${jobId}` : ''}`);
  }

  async preannotate(
    projectId: number,
    spec: Record<string, unknown>,
  ): Promise<{ runId: number; images: number; skipped: Record<string, number>; run: ServerRun }> {
    return this.json('POST', `/api/projects/${projectId}/preannotate`, spec);
  }

  async runs(projectId: number): Promise<{ runs: ServerRun[]; workers: ServerWorker[]; workerMode: 'external' | number }> {
    return this.json('GET', `/api/projects/${projectId}/preannotate`);
  }

  async cancelRun(projectId: number, runId: number): Promise<{ cancelled: boolean; run: ServerRun }> {
    return this.json('POST', `/api/projects/${projectId}/preannotate/${runId}/cancel`);
  }

  /** Queues a propagation run of one track on the server's workers (`POST .../tracks/propagate`). */
  async queueTrackPropagation(
    projectId: number,
    spec: TrackPropagateSpec,
  ): Promise<{ runId: number; frames: number; run: ServerTrackRun }> {
    return this.json('POST', `/api/projects/${projectId}/tracks/propagate`, spec);
  }

  async trackRuns(projectId: number): Promise<{ runs: ServerTrackRun[]; workers: ServerWorker[]; workerMode: 'external' | number }> {
    return this.json('GET', `/api/projects/${projectId}/tracks/runs`);
  }

  async cancelTrackRun(projectId: number, runId: number): Promise<{ cancelled: boolean; run: ServerTrackRun }> {
    return this.json('POST', `/api/projects/${projectId}/tracks/runs/${runId}/cancel`);
  }

  events(projectId: number): EventSource {
    return new EventSource(`/api/projects/${projectId}/events`, { withCredentials: true });
  }
}

export interface ServerJob {
  id: number;
  name: string;
  state: 'new' | 'annotating' | 'in_review' | 'done' | 'rejected';
  annotatorId: number | null;
  reviewerId: number | null;
  annotator: string | null;
  reviewer: string | null;
  imageIds: number[];
}

export interface ServerJobEvent {
  from: ServerJob['state'] | null;
  to: ServerJob['state'];
  by: string;
  comment: string | null;
  /** ISO time */
  at: string;
}

export interface ServerReview {
  id: number;
  jobId: number | null;
  annotationId: number;
  imageId: number;
  decision: 'accept' | 'reject';
  comment: string | null;
  reviewer: string;
  at: string;
}

/** SHA-256 of a file's bytes, as 64 hex digits (the server stores files under it). */
export async function sha256Hex(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
