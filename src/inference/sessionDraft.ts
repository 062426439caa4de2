/**
 * The session's window on the draft the store holds: reads go to the store (or to what this burst
 * of changes wrote), writes gather until `flush`, which puts them into the store in one update (so
 * the store's listeners never see half a change).
 */
import type { CandidateInfo } from '../../workers/protocol.ts';
import type { DraftPort, LiveMask, SessionSnapshot, SessionView, ZoomState } from './sessionTypes.ts';

export class DraftBuffer {
  private out: Partial<SessionView> = {};

  constructor(private readonly port: DraftPort) {}

  private get<K extends keyof SessionView>(key: K): SessionView[K] {
    return key in this.out ? (this.out[key] as SessionView[K]) : this.port.read(key);
  }

  /** What undo/redo restores (the draft's prompts, strokes, edited annotation, feedback, candidate, crop). */
  get state(): SessionSnapshot {
    return {
      imageId: this.get('imageId'),
      prompts: this.get('prompts'),
      strokes: this.get('strokes'),
      editingAnnotationId: this.get('editingAnnotationId'),
      feedbackFrom: this.get('feedbackFrom'),
      candidate: this.get('candidate'),
      crop: this.get('crop'),
    };
  }

  set state(v: SessionSnapshot) {
    this.out.imageId = v.imageId;
    this.out.prompts = v.prompts;
    this.out.strokes = v.strokes;
    this.out.editingAnnotationId = v.editingAnnotationId;
    this.out.feedbackFrom = v.feedbackFrom;
    this.out.candidate = v.candidate;
    this.out.crop = v.crop;
  }

  get live(): LiveMask | null {
    return this.get('live');
  }
  set live(v: LiveMask | null) {
    this.out.live = v;
  }

  get decoding(): boolean {
    return this.get('decoding');
  }
  set decoding(v: boolean) {
    this.out.decoding = v;
  }

  get candidates(): CandidateInfo[] {
    return this.get('candidates');
  }
  set candidates(v: CandidateInfo[]) {
    this.out.candidates = v;
  }

  /** the candidate shown */
  get token(): number | null {
    return this.get('token');
  }
  set token(v: number | null) {
    this.out.token = v;
  }

  get zoom(): ZoomState | null {
    return this.get('zoom');
  }
  set zoom(v: ZoomState | null) {
    this.out.zoom = v;
  }

  /** Puts what was written (and `also`) into the store, in one update. */
  flush(also: Partial<SessionView>): void {
    const patch = { ...this.out, ...also };
    this.out = {};
    this.port.write(patch);
  }
}
