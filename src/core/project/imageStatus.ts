import { annotationIndex } from './annotationIndex.ts';
import type { Project } from './types.ts';

/** Where an image stands in the work, as the image list shows and filters it. */
export type ImageWorkStatus = 'missing' | 'done' | 'proposals' | 'in-progress' | 'not-started';

export const IMAGE_STATUS_TEXT: Record<ImageWorkStatus, string> = {
  'not-started': 'not started: no annotation yet',
  'in-progress': 'in progress: annotated, not marked done',
  proposals: 'has proposals: machine-made masks wait for review',
  done: 'done: marked done (Ctrl+Enter)',
  missing: 'file missing: named by an import, its file is not open',
};

/**
 * The status of each image: a missing file first (nothing can be done there), then marked done,
 * then proposals waiting for review, then annotated, else not started.
 */
export function imageWorkStatuses(
  project: Pick<Project, 'images' | 'annotations'>,
  hasFile: (id: number) => boolean,
): Map<number, ImageWorkStatus> {
  // from the annotation index: O(images), whatever the number of annotations
  const idx = annotationIndex(project.annotations);
  const pendingOf = (id: number) => idx.pendingByImage.get(id) ?? 0;
  const pending = { has: (id: number) => pendingOf(id) > 0 };
  const annotated = { has: (id: number) => (idx.byImage.get(id)?.length ?? 0) > pendingOf(id) };
  const out = new Map<number, ImageWorkStatus>();
  for (const im of project.images) {
    out.set(
      im.id,
      !hasFile(im.id)
        ? 'missing'
        : im.done
          ? 'done'
          : pending.has(im.id)
            ? 'proposals'
            : annotated.has(im.id)
              ? 'in-progress'
              : 'not-started',
    );
  }
  return out;
}
