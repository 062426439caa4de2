/** Live notices per project, in this process: new changes (the event streams' `seq`) and job moves (`jobs`). */

/** Listeners per project. */
class ProjectListeners<T> {
  private map = new Map<number, Set<(v: T) => void>>();
  on(projectId: number, fn: (v: T) => void): () => void {
    let set = this.map.get(projectId);
    if (!set) this.map.set(projectId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (!set.size) this.map.delete(projectId);
    };
  }
  emit(projectId: number, v: T): void {
    for (const fn of this.map.get(projectId) ?? []) fn(v);
  }
}

/** Live notices per project: new changes, and job moves. */
export class Hub {
  private changes = new ProjectListeners<number>();
  private jobs = new ProjectListeners<void>();
  private last = new Map<number, number>();
  on(projectId: number, fn: (seq: number) => void): () => void {
    return this.changes.on(projectId, fn);
  }
  /** A change committed (here, or in another process: told once by each way, passed on once). */
  emit(projectId: number, seq: number): void {
    if ((this.last.get(projectId) ?? 0) >= seq) return;
    this.last.set(projectId, seq);
    this.changes.emit(projectId, seq);
  }
  /** Job moves, new jobs, reassignments and review decisions of a project: the panels reload at once. */
  onJobs(projectId: number, fn: () => void): () => void {
    return this.jobs.on(projectId, fn);
  }
  emitJobs(projectId: number): void {
    this.jobs.emit(projectId, undefined);
  }
}
