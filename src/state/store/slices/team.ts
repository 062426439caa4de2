/**
 * The job the shown image belongs to, on a project server (issue 14), and its keys: J goes to the
 * job's next image; while the user reviews the job, Enter accepts the selected mask and Delete
 * rejects it (with an optional comment, asked for by the jobs panel), each then selecting the next
 * mask still to decide. Decisions go to the server through the store's `team` dependency (the team
 * client, services/teamClient.ts); the store keeps only ids.
 */
import type { AssignedJob } from '../../../core/team/jobs.ts';
import type { SliceContext } from '../store.ts';
import { undecided } from '../selectors.ts';
import { selectFirstToDecide } from '../steps.ts';

export interface JobFocus {
  jobId: number;
  name: string;
  /** the job's images, in order */
  imageIds: number[];
  /** the user reviews this job (it is in review): Enter and Delete decide on masks */
  reviewing: boolean;
  /** masks with a decision in this review round (latest decisions, from the server and made here) */
  decided: number[];
}

export interface ReviewMark {
  decision: 'accept' | 'reject';
  comment: string | null;
  reviewer: string;
}

export interface TeamSlice {
  jobFocus: JobFocus | null;
  /** the open server project's jobs by image (only images in a job): whose each image is */
  imageJobs: Record<number, AssignedJob>;
  /** the latest review decision on each mask (server projects), for the list and the canvas */
  reviewMarks: Record<number, ReviewMark>;
  /** The reviews the server holds, in the order made (the latest per mask counts). */
  setReviews(reviews: readonly (ReviewMark & { annotationId: number })[]): void;
  /** The project's jobs (as the server lists them; none when not on a server). */
  setProjectJobs(jobs: readonly (AssignedJob & { imageIds: readonly number[] })[]): void;
  /** the mask whose rejection waits for its comment (the jobs panel asks for it) */
  rejecting: number | null;
  /** The jobs panel says which job the shown image is in (null: none of the user's). */
  setJobFocus(f: JobFocus | null): void;
  /** J: the job's next (or previous) image, round to the first. */
  stepJobImage(delta: 1 | -1): void;
  /** Enter in review: accepts the selected mask, then selects the next one still to decide. */
  decideSelected(decision: 'accept' | 'reject', comment?: string): void;
  /** Delete in review: asks for the comment of a rejection of the selected mask. */
  startReject(): void;
  cancelReject(): void;
  /** Whether Enter / Delete decide on the selected mask (a job in review, a mask of a person selected, nothing drafted). */
  reviewKeysActive(): boolean;
}

export function createTeamSlice(ctx: SliceContext): TeamSlice {
  const { get, set, session } = ctx;
  const selectNextUndecided = () => {
    const next = undecided(get())[0];
    if (next) get().selectAnnotation(next.id);
    else {
      set({ selectedAnnotationId: null });
      get().notify('info', 'Every mask of this image has a decision.', 'J shows the job’s next image.');
    }
  };

  return {
    jobFocus: null,
    rejecting: null,
    imageJobs: {},
    reviewMarks: {},

    setReviews(reviews) {
      const reviewMarks: Record<number, ReviewMark> = {};
      for (const r of reviews) reviewMarks[r.annotationId] = { decision: r.decision, comment: r.comment, reviewer: r.reviewer };
      if (JSON.stringify(reviewMarks) !== JSON.stringify(get().reviewMarks)) set({ reviewMarks });
    },

    setProjectJobs(jobs) {
      const imageJobs: Record<number, AssignedJob> = {};
      for (const j of jobs) {
        const { imageIds, ...job } = j;
        const info: AssignedJob = {
          id: job.id,
          name: job.name,
          state: job.state,
          annotatorId: job.annotatorId,
          reviewerId: job.reviewerId,
          annotator: job.annotator,
          reviewer: job.reviewer,
        };
        for (const id of imageIds) imageJobs[id] = info;
      }
      if (JSON.stringify(imageJobs) !== JSON.stringify(get().imageJobs)) set({ imageJobs });
    },

    setJobFocus(f) {
      const prev = get().jobFocus;
      if (JSON.stringify(prev) !== JSON.stringify(f)) set({ jobFocus: f, rejecting: null });
      // reviewing an image: its first mask to decide is selected, ready for Enter / Delete
      selectFirstToDecide(ctx);
    },

    stepJobImage(delta) {
      const s = get();
      const ids = s.jobFocus?.imageIds.filter((id) => s.project.images.some((im) => im.id === id)) ?? [];
      if (!ids.length) return;
      const here = ids.indexOf(s.currentImageId ?? -1);
      const id = here < 0 ? ids[0]! : ids[(here + delta + ids.length) % ids.length]!;
      s.showImage(id);
    },

    reviewKeysActive() {
      const s = get();
      if (!s.jobFocus?.reviewing || s.selectedAnnotationId === null || session.underWay()) return false;
      const a = s.project.annotations.find((x) => x.id === s.selectedAnnotationId);
      return !!a && a.review !== 'pending' && s.currentImageId !== null && s.jobFocus.imageIds.includes(s.currentImageId);
    },

    decideSelected(decision, comment) {
      const s = get();
      const id = decision === 'reject' ? (s.rejecting ?? s.selectedAnnotationId) : s.selectedAnnotationId;
      if (id === null || !s.jobFocus) return;
      const team = ctx.deps.team;
      if (!team) {
        s.notify('error', 'Review decisions need the project server.', 'Open the project from the server and log in.');
        return;
      }
      const focus = s.jobFocus;
      const before = s.reviewMarks[id];
      set({
        rejecting: null,
        jobFocus: { ...focus, decided: [...focus.decided.filter((x) => x !== id), id] },
        // shown at once; the server's list confirms it
        reviewMarks: { ...s.reviewMarks, [id]: { decision, comment: comment?.trim() || null, reviewer: s.sync.user?.username ?? 'you' } },
      });
      team.reviewMask(id, decision, comment?.trim() || undefined).catch((e: unknown) => {
        // not stored: the mask is to decide again
        const f = get().jobFocus;
        if (f) set({ jobFocus: { ...f, decided: f.decided.filter((x) => x !== id) } });
        const marks = { ...get().reviewMarks };
        if (before) marks[id] = before;
        else delete marks[id];
        set({ reviewMarks: marks });
        get().notify(
          'error',
          `The ${decision === 'accept' ? 'acceptance' : 'rejection'} was not stored: ${e instanceof Error ? e.message : String(e)}`,
        );
      });
      selectNextUndecided();
    },

    startReject() {
      const s = get();
      if (s.selectedAnnotationId !== null) set({ rejecting: s.selectedAnnotationId });
    },

    cancelReject() {
      set({ rejecting: null });
    },
  };
}
