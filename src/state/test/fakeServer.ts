/**
 * A project server in memory, as the browser's sync reaches it (io/serverApi.ts's ServerApi): each
 * project keeps every record's current version and revision and the log of changes; a push writes
 * its operations (the later write wins, and says whose newer version it replaced, as
 * server/service/push.ts does), a pull answers the changes after a cursor. Tests make others' writes
 * with `othersWrite`, take the server away with `offline`, and make a push fail with `failNextPush`.
 */
import type { Collection } from '../../core/project/changes.ts';
import type {
  AnyRecord,
  ChangesResponse,
  PushRequest,
  PushResponse,
  RecordsResponse,
  Role,
  ServerChange,
  ServerProject,
  ServerUser,
} from '../../core/sync/protocol.ts';
import { OfflineError, type ServerApi } from '../../io/serverApi.ts';

/** The live event stream of a project (the browser's EventSource), fed by the test. */
export class FakeEventSource {
  readyState = 1;
  closed = false;
  onerror: ((e: Event) => void) | null = null;
  private readonly listeners = new Map<string, ((e: Event) => void)[]>();

  addEventListener(type: string, fn: (e: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  /** The server sends an event. */
  emit(type: string, data: string): void {
    for (const fn of this.listeners.get(type) ?? []) fn({ data } as MessageEvent);
  }
}

interface ServerSideRecord {
  coll: Collection;
  id: number;
  rev: number;
  data: AnyRecord | null;
  clientId: string;
  username: string;
}

interface FakeProject {
  id: number;
  name: string;
  role: Role;
  seq: number;
  records: Map<string, ServerSideRecord>;
  log: ServerChange[];
  ids: Map<Collection, number>;
}

export class FakeServerApi {
  /** no answer at all: every call rejects with OfflineError (available() answers false) */
  offline = false;
  /** the user logged in (null: none) */
  user: ServerUser | null = { id: 1, username: 'ann', isAdmin: false };
  private readonly projectsById = new Map<number, FakeProject>();
  private nextProjectId = 100;
  /** every push that reached the server, in order */
  readonly pushes: { projectId: number; req: PushRequest }[] = [];
  /** every call, with the (fake) time it was made */
  readonly calls: { name: string; at: number }[] = [];
  /** the event streams opened, in order */
  readonly streams: FakeEventSource[] = [];
  private pushFailure: Error | null = null;

  /** The ServerApi the services are given. */
  asApi(): ServerApi {
    return this as unknown as ServerApi;
  }

  /** A server project at change number `seq` (changes before it are not in the log: every client has them). */
  addProject(id: number, name: string, role: Role = 'annotator', seq = 0): void {
    this.projectsById.set(id, { id, name, role, seq, records: new Map(), log: [], ids: new Map() });
  }

  /** The server's record now (undefined: never written; data null: removed). */
  record(projectId: number, coll: Collection, id: number): ServerSideRecord | undefined {
    return this.p(projectId).records.get(`${coll}:${id}`);
  }

  /** The next push is answered with this error. */
  failNextPush(e: Error): void {
    this.pushFailure = e;
  }

  /** Someone else (another user's client) writes a record; returns the change number. */
  othersWrite(projectId: number, username: string, coll: Collection, id: number, data: AnyRecord | null): number {
    return this.apply(this.p(projectId), { coll, id, data, clientId: `c-${username}`, username, opId: `c-${username}:${Date.now()}` });
  }

  private p(id: number): FakeProject {
    const p = this.projectsById.get(id);
    if (!p) throw new Error(`no server project ${id}`);
    return p;
  }

  private apply(
    p: FakeProject,
    c: { coll: Collection; id: number; data: AnyRecord | null; clientId: string; username: string; opId: string },
  ): number {
    const seq = ++p.seq;
    p.records.set(`${c.coll}:${c.id}`, { coll: c.coll, id: c.id, rev: seq, data: c.data, clientId: c.clientId, username: c.username });
    p.log.push({ seq, ...c });
    return seq;
  }

  private call(name: string): void {
    this.calls.push({ name, at: Date.now() });
    if (this.offline) throw new OfflineError();
  }

  available(): Promise<boolean> {
    this.calls.push({ name: 'available', at: Date.now() });
    return Promise.resolve(!this.offline);
  }

  async me(): Promise<ServerUser | null> {
    this.call('me');
    return this.user;
  }

  async login(username: string): Promise<ServerUser> {
    this.call('login');
    this.user = { id: 1, username, isAdmin: false };
    return this.user;
  }

  async logout(): Promise<void> {
    this.call('logout');
    this.user = null;
  }

  async projects(): Promise<ServerProject[]> {
    this.call('projects');
    return [...this.projectsById.values()].map((p) => ({ id: p.id, name: p.name, role: p.role, seq: p.seq }));
  }

  async project(id: number): Promise<ServerProject> {
    this.call('project');
    const p = this.p(id);
    return { id: p.id, name: p.name, role: p.role, seq: p.seq };
  }

  async createProject(name: string): Promise<ServerProject> {
    this.call('createProject');
    const id = this.nextProjectId++;
    this.addProject(id, name, 'admin');
    return { id, name, role: 'admin', seq: 0 };
  }

  async reserveIds(projectId: number, coll: Collection, count: number): Promise<[number, number]> {
    this.call('reserveIds');
    const p = this.p(projectId);
    const first = (p.ids.get(coll) ?? 0) + 1;
    p.ids.set(coll, first + count - 1);
    return [first, first + count - 1];
  }

  async push(projectId: number, req: PushRequest): Promise<PushResponse> {
    this.call('push');
    const failure = this.pushFailure;
    this.pushFailure = null;
    if (failure) throw failure;
    this.pushes.push({ projectId, req: structuredClone(req) });
    const p = this.p(projectId);
    const username = this.user?.username ?? '';
    const results = req.ops.map((o) => {
      const cur = p.records.get(`${o.coll}:${o.id}`);
      const overwrote =
        cur && cur.rev > (o.baseRev ?? 0) && cur.clientId !== req.clientId ? { rev: cur.rev, username: cur.username } : undefined;
      const rev = this.apply(p, { coll: o.coll, id: o.id, data: o.data, clientId: req.clientId, username, opId: o.opId });
      return { opId: o.opId, coll: o.coll, id: o.id, rev, ...(overwrote ? { overwrote } : {}) };
    });
    return { results, seq: p.seq };
  }

  async changes(projectId: number, since: number): Promise<ChangesResponse> {
    this.call('changes');
    const p = this.p(projectId);
    return { changes: structuredClone(p.log.filter((c) => c.seq > since)), seq: p.seq, more: false };
  }

  async records(projectId: number, _after: string | null): Promise<RecordsResponse> {
    this.call('records');
    const p = this.p(projectId);
    const records = [...p.records.values()]
      .filter((r): r is ServerSideRecord & { data: AnyRecord } => r.data !== null)
      .map((r) => ({ coll: r.coll, id: r.id, rev: r.rev, data: structuredClone(r.data) }));
    return { records, seq: p.seq, next: null };
  }

  async putFile(): Promise<void> {
    this.call('putFile');
  }

  async file(): Promise<Blob> {
    this.call('file');
    throw new Error('no such file');
  }

  events(_projectId: number): EventSource {
    this.calls.push({ name: 'events', at: Date.now() });
    const es = new FakeEventSource();
    this.streams.push(es);
    return es as unknown as EventSource;
  }
}
