/**
 * Which records of the open project are not in IndexedDB yet, and which of them the journal must
 * cover (pure bookkeeping for persistence.ts; no storage here). A record is `dirty` from its change
 * until a write takes it, then `in flight` until that write lands. A record written again while an
 * earlier write of it is in flight is counted twice: it stays covered until the last one lands. Keys
 * of a change too large to journal (an import) are `bulk`: the journal covers everything else, so an
 * accept made while an import's write is under way is journaled at once.
 */
import type { Collection } from '../../core/project/changes.ts';

export interface RecordKey {
  coll: Collection;
  id: number;
}

/** One write taken from the book: its keys, and whether the meta record (name, UI, server link) goes with it. */
export interface TakenWrite {
  keys: RecordKey[];
  renamed: boolean;
}

const keyOf = (k: RecordKey) => `${k.coll}:${k.id}`;

export class SaveBook {
  private readonly dirty = new Map<string, RecordKey>();
  private readonly inflight = new Map<string, { key: RecordKey; count: number }>();
  private readonly bulk = new Set<string>();
  private metaDirty = false;
  private nameChanged = false;

  /** Records a change touched. `bulk`: too many to journal (they are covered once written). */
  touch(keys: readonly RecordKey[], bulk = false): void {
    for (const k of keys) {
      const key = keyOf(k);
      this.dirty.set(key, k);
      if (bulk) this.bulk.add(key);
      else this.bulk.delete(key);
    }
  }

  /** The meta record changed (the server link, the place); `renamed`: the project's name (other tabs are told). */
  touchMeta(renamed = false): void {
    this.metaDirty = true;
    if (renamed) this.nameChanged = true;
  }

  /** Whether anything waits to be written. */
  hasWork(): boolean {
    return this.dirty.size > 0 || this.metaDirty;
  }

  isDirty(k: RecordKey): boolean {
    return this.dirty.has(keyOf(k));
  }

  dirtyCount(): number {
    return this.dirty.size;
  }

  /** Takes what waits into a write (in flight from now on). */
  take(): TakenWrite {
    const keys = [...this.dirty.values()];
    for (const [key, k] of this.dirty) {
      const f = this.inflight.get(key);
      if (f) f.count++;
      else this.inflight.set(key, { key: k, count: 1 });
    }
    this.dirty.clear();
    this.metaDirty = false;
    const renamed = this.nameChanged;
    this.nameChanged = false;
    return { keys, renamed };
  }

  /** A write landed: its records are in IndexedDB (unless written again since). */
  landed(w: TakenWrite): void {
    this.settle(w.keys);
  }

  /** A write failed: nothing of it landed; its records wait for the next write (still covered). */
  failed(w: TakenWrite, sameProject: boolean): void {
    this.settle(w.keys);
    if (sameProject) for (const k of w.keys) this.dirty.set(keyOf(k), k);
    this.metaDirty = true;
    if (w.renamed) this.nameChanged = true;
  }

  private settle(keys: readonly RecordKey[]): void {
    for (const k of keys) {
      const key = keyOf(k);
      const f = this.inflight.get(key);
      if (!f) continue;
      if (--f.count > 0) continue;
      this.inflight.delete(key);
      if (!this.dirty.has(key)) this.bulk.delete(key);
    }
  }

  /** The records the journal must hold now: not yet in IndexedDB, bulk ones aside. */
  journalKeys(): RecordKey[] {
    const out: RecordKey[] = [];
    for (const [key, f] of this.inflight) if (!this.bulk.has(key)) out.push(f.key);
    for (const [key, k] of this.dirty) if (!this.bulk.has(key) && !this.inflight.has(key)) out.push(k);
    return out;
  }

  /** Another project is open: nothing of the last one is waited for here any more (writes under way still land). */
  clearDirty(): void {
    this.dirty.clear();
    this.metaDirty = false;
    this.nameChanged = false;
  }
}
