/**
 * Ids of new records for the open project, from blocks this tab reserved in IndexedDB: two tabs on
 * one project never hand out the same id.
 */
import { COLLECTIONS, type Collection } from '../../core/project/changes.ts';
import { nextId, type Project } from '../../core/project/types.ts';
import type { IdSource } from '../store/deps.ts';

const ID_BLOCK = 16;
/** A project on a server: ids come from the server, in larger blocks, so a while offline still has ids */
const REMOTE_BLOCK = 512;

/** Reserves `n` ids of a collection on the project server: [first, last]. */
export type RemoteIds = (coll: Collection, n: number) => Promise<[number, number]>;

/**
 * Ids for the open project, from blocks this tab reserved in IndexedDB (so two tabs on one project
 * never hand out the same id). Before a project is open (and in tests) it counts above the project.
 */
/** Where this browser's id counters are kept (io/persist.ts's ProjectDb). */
export interface LocalIdCounters {
  reserveIds(projectId: string, coll: Collection, n: number, floor: number): Promise<[number, number]>;
  releaseIds(projectId: string, coll: Collection, reservedEnd: number, lastUsed: number): Promise<void>;
}

export class ProjectIds implements IdSource {
  constructor(private readonly counters: LocalIdCounters) {}

  private projectId = '';
  private ranges = new Map<Collection, [number, number][]>();
  private high = new Map<Collection, number>();
  private refills = new Map<Collection, Promise<void>>();
  private remote: RemoteIds | null = null;

  /** Ids of the project opened next come from the project server (null: from this browser). */
  setRemote(remote: RemoteIds | null): void {
    this.remote = remote;
  }

  /**
   * The open project moved to a project server: ids this browser reserved are dropped (another
   * browser gets the same numbers from the server) and new blocks come from the server.
   */
  async moveToRemote(remote: RemoteIds, project: Project): Promise<void> {
    this.remote = remote;
    await Promise.all(this.refills.values());
    this.ranges.clear();
    this.refills.clear();
    await Promise.all(COLLECTIONS.map((c) => this.refill(c, this.block(), project)));
  }

  private block(): number {
    return this.remote ? REMOTE_BLOCK : ID_BLOCK;
  }

  /** Switches to a project and reserves a first block of each kind. */
  async use(projectId: string, project: Project): Promise<void> {
    this.projectId = projectId;
    this.ranges.clear();
    this.high.clear();
    this.refills.clear();
    await Promise.all(COLLECTIONS.map((c) => this.refill(c, this.block(), project)));
  }

  private available(coll: Collection): number {
    return (this.ranges.get(coll) ?? []).reduce((n, [a, b]) => n + b - a + 1, 0);
  }

  private refill(coll: Collection, n: number, project: Project): Promise<void> {
    const running = this.refills.get(coll);
    if (running) return running;
    const projectId = this.projectId;
    const floor = Math.max(nextId(project[coll] as { id: number }[]) - 1, this.high.get(coll) ?? 0);
    const remote = this.remote;
    const p = (remote ? remote(coll, Math.max(n, REMOTE_BLOCK)) : this.counters.reserveIds(projectId, coll, n, floor))
      .then((r) => {
        if (this.projectId !== projectId) return;
        // ids counted above the project meanwhile (no block was at hand) are not handed out again from this one
        const from = Math.max(r[0], (this.high.get(coll) ?? 0) + 1);
        if (from <= r[1]) this.ranges.set(coll, [...(this.ranges.get(coll) ?? []), [from, r[1]]]);
      })
      .catch(() => undefined)
      .finally(() => this.refills.delete(coll));
    this.refills.set(coll, p);
    return p;
  }

  next(coll: Collection, project: Project): number {
    const ranges = this.ranges.get(coll) ?? [];
    let id: number;
    const first = ranges[0];
    if (first) {
      id = first[0];
      if (first[0] === first[1]) ranges.shift();
      else first[0]++;
    } else {
      // no reserved id at hand (storage failing, or far more at once than ever seen): count above
      // everything known; with one tab that is what a reservation would give anyway
      id = Math.max(nextId(project[coll] as { id: number }[]), (this.high.get(coll) ?? 0) + 1);
    }
    this.high.set(coll, Math.max(id, this.high.get(coll) ?? 0));
    if (this.projectId && this.available(coll) < this.block() / 2) void this.refill(coll, this.block(), project);
    return id;
  }

  peek(coll: Collection, project: Project): number {
    const first = this.ranges.get(coll)?.[0];
    return first ? first[0] : Math.max(nextId(project[coll] as { id: number }[]), (this.high.get(coll) ?? 0) + 1);
  }

  async reserve(coll: Collection, n: number, project: Project): Promise<void> {
    if (!this.projectId) return;
    await this.refills.get(coll);
    if (this.available(coll) < n) await this.refill(coll, n + this.block(), project);
  }

  /** Gives the unused ids back (page closing), so the next session's ids follow on. */
  release(): void {
    // ids reserved on a server are not given back (other clients counted past them)
    if (this.remote) return;
    for (const [coll, ranges] of this.ranges) {
      const last = ranges[ranges.length - 1];
      if (last)
        void this.counters
          .releaseIds(this.projectId, coll, last[1], Math.max(this.high.get(coll) ?? 0, last[0] - 1))
          .catch(() => undefined);
    }
  }
}
