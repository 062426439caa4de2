/**
 * Ids of new records for the open project, from blocks this tab reserved in IndexedDB: two tabs on
 * one project never hand out the same id.
 */
import { COLLECTIONS, type Collection } from '../core/project/changes.ts';
import { nextId, type Project } from '../core/project/types.ts';
import { releaseIds, reserveIds } from '../io/persist.ts';
import type { IdSource } from './deps.ts';

const ID_BLOCK = 16;

/**
 * Ids for the open project, from blocks this tab reserved in IndexedDB (so two tabs on one project
 * never hand out the same id). Before a project is open (and in tests) it counts above the project.
 */
export class ProjectIds implements IdSource {
  private projectId = '';
  private ranges = new Map<Collection, [number, number][]>();
  private high = new Map<Collection, number>();
  private refills = new Map<Collection, Promise<void>>();

  /** Switches to a project and reserves a first block of each kind. */
  async use(projectId: string, project: Project): Promise<void> {
    this.projectId = projectId;
    this.ranges.clear();
    this.high.clear();
    this.refills.clear();
    await Promise.all(COLLECTIONS.map((c) => this.refill(c, ID_BLOCK, project)));
  }

  private available(coll: Collection): number {
    return (this.ranges.get(coll) ?? []).reduce((n, [a, b]) => n + b - a + 1, 0);
  }

  private refill(coll: Collection, n: number, project: Project): Promise<void> {
    const running = this.refills.get(coll);
    if (running) return running;
    const projectId = this.projectId;
    const floor = Math.max(nextId(project[coll] as { id: number }[]) - 1, this.high.get(coll) ?? 0);
    const p = reserveIds(projectId, coll, n, floor)
      .then((r) => {
        if (this.projectId === projectId) this.ranges.set(coll, [...(this.ranges.get(coll) ?? []), r]);
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
    if (this.projectId && this.available(coll) < ID_BLOCK / 2) void this.refill(coll, ID_BLOCK, project);
    return id;
  }

  async reserve(coll: Collection, n: number, project: Project): Promise<void> {
    if (!this.projectId) return;
    await this.refills.get(coll);
    if (this.available(coll) < n) await this.refill(coll, n + ID_BLOCK, project);
  }

  /** Gives the unused ids back (page closing), so the next session's ids follow on. */
  release(): void {
    for (const [coll, ranges] of this.ranges) {
      const last = ranges[ranges.length - 1];
      if (last) void releaseIds(this.projectId, coll, last[1], Math.max(this.high.get(coll) ?? 0, last[0] - 1)).catch(() => undefined);
    }
  }
}
