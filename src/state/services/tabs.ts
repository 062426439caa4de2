/**
 * Other tabs of this browser on the same project: each says what records it wrote (BroadcastChannel);
 * the others read those records and show them as `ignore` changes (not an undo step there). Tabs say
 * hello and bye, so each knows whether the project is open elsewhere and says so.
 */
import { COLLECTIONS, DiffBuilder, diffProjects, type Collection } from '../../core/project/changes.ts';
import type { ProjectStorage } from './storagePorts.ts';
import type { AppStore } from '../store/store.ts';

/** More records than this in one write (an import): the other tabs read the whole project instead of a list of keys. */
const MAX_KEYS = 2000;

type Message =
  | { type: 'changed'; projectId: string; from: string; keys: { coll: Collection; id: number }[]; all?: boolean; name?: string }
  | { type: 'hello' | 'here' | 'bye'; projectId: string; from: string };

/** The part of a BroadcastChannel the tabs use (tests give a channel of their own name). */
export interface TabChannel {
  postMessage(m: unknown): void;
  onmessage: ((e: MessageEvent) => void) | null;
}

export class Tabs {
  private readonly id = Math.random().toString(36).slice(2);
  private readonly others = new Set<string>();

  constructor(
    private readonly store: AppStore,
    private readonly projectId: () => string,
    private readonly storage: Pick<ProjectStorage, 'read' | 'load'>,
    private readonly channel: TabChannel = new BroadcastChannel('sam-annotator'),
  ) {
    this.channel.onmessage = (e: MessageEvent) => this.receive(e.data as Message);
  }

  private post(m: Message): void {
    this.channel.postMessage(m);
  }

  /** This tab wrote these records (and maybe renamed the project). */
  changed(projectId: string, keys: { coll: Collection; id: number }[], name: string | undefined): void {
    // 300,000 keys are a long task to send and to read: the other tabs take the stored project instead
    const many = keys.length > MAX_KEYS;
    this.post({
      type: 'changed',
      projectId,
      from: this.id,
      keys: many ? [] : keys,
      ...(many ? { all: true } : {}),
      ...(name !== undefined ? { name } : {}),
    });
  }

  /** This tab opened a project: who else has it open? */
  announce(projectId: string): void {
    this.others.clear();
    this.store.setState({ otherTabs: 0 });
    this.post({ type: 'hello', projectId, from: this.id });
  }

  bye(projectId: string): void {
    this.post({ type: 'bye', projectId, from: this.id });
  }

  private receive(m: Message): void {
    if (m.projectId !== this.projectId() || m.from === this.id) return;
    if (m.type === 'changed') {
      void (m.all ? this.followAll() : this.follow(m.keys, m.name));
      return;
    }
    if (m.type === 'bye') {
      this.others.delete(m.from);
      this.store.setState({ otherTabs: this.others.size });
      return;
    }
    if (m.type === 'hello') this.post({ type: 'here', projectId: m.projectId, from: this.id });
    if (!this.others.has(m.from)) {
      this.others.add(m.from);
      this.store.setState({ otherTabs: this.others.size });
      this.store
        .getState()
        .notify(
          'warning',
          'This project is open in another tab too.',
          'Work from both tabs is saved: each tab writes only what it changed and shows the other’s masks as they are accepted.',
        );
    }
  }

  /** Another tab wrote records of this project: read them and show them. */
  private async follow(keys: { coll: Collection; id: number }[], name: string | undefined): Promise<void> {
    const id = this.projectId();
    const stored = await this.storage.read(id, keys);
    if (this.projectId() !== id) return;
    const s = this.store.getState();
    const b = new DiffBuilder(s.project);
    // in dependency order: images and categories before what refers to them
    const ordered = [...keys].sort((x, y) => COLLECTIONS.indexOf(x.coll) - COLLECTIONS.indexOf(y.coll));
    for (const { coll, id: rid } of ordered) {
      const rec = stored.get(`${coll}:${rid}`);
      const has = (b.project[coll] as { id: number }[]).some((r) => r.id === rid);
      if (rec && has) b.update(coll, rid, () => rec as never);
      else if (rec) b.add(coll, rec as never);
    }
    // removals last, dependants first
    for (const { coll, id: rid } of [...ordered].reverse()) if (!stored.has(`${coll}:${rid}`)) b.remove(coll, rid);
    if (name !== undefined) b.rename(name);
    // out of step (e.g. a record refers to one not read yet): take the whole stored project
    if (!s.change(b.diff, 'ignore', { origin: 'remote', label: 'another tab' })) await this.followAll();
  }

  /** Another tab wrote many records (an import): take the whole stored project. */
  private async followAll(): Promise<void> {
    const id = this.projectId();
    const loaded = await this.storage.load(id);
    if (loaded && this.projectId() === id)
      this.store.getState().change(diffProjects(this.store.getState().project, loaded.project), 'ignore', { origin: 'remote' });
  }
}
