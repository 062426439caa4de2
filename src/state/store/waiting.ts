/**
 * When the annotator waits for the model: the model loading, the shown image being encoded, or a
 * decode that takes longer than {@link SLOW_DECODE_MS}. That time is not theirs: the mask clock
 * pauses (backdated to the start of a slow decode), and the canvas says what it waits for. Reviewing
 * a proposal (nothing drafted) needs no model: its clock runs on.
 */
import { timerWaiting } from '../../core/project/timer.ts';
import { annotationIndex } from '../../core/project/annotationIndex.ts';
import { sessionUnderWay } from '../../inference/sessionTypes.ts';
import type { StoreApi } from 'zustand/vanilla';
import type { StoreState } from './store.ts';

export const SLOW_DECODE_MS = 300;

export type WaitingFor = 'model' | 'encoding' | 'decoding' | null;

export function watchWaiting(store: StoreApi<StoreState>): void {
  let decodeStart = 0;
  let slow = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const update = () => {
    const s = store.getState();
    const status = s.currentImageId === null ? undefined : s.imageStatus[s.currentImageId];
    const waitingFor: WaitingFor =
      s.currentImageId === null
        ? null
        : s.model.status === 'loading' || s.model.status === 'idle'
          ? 'model'
          : status === 'pending' || status === 'encoding'
            ? 'encoding'
            : slow
              ? 'decoding'
              : null;
    const now = Date.now();
    // a verdict on a proposal needs no model: its clock runs while the image encodes
    const reviewing =
      s.selectedAnnotationId !== null &&
      !sessionUnderWay(s) &&
      annotationIndex(s.project.annotations).byId.get(s.selectedAnnotationId)?.review === 'pending';
    const timerNext = timerWaiting(s.timer, waitingFor !== null && !reviewing, now, waitingFor === 'decoding' ? decodeStart : now);
    if (waitingFor !== s.waitingFor || timerNext !== s.timer) store.setState({ waitingFor, timer: timerNext });
  };
  let wasDecoding = false;
  store.subscribe((s) => {
    if (s.decoding !== wasDecoding) {
      wasDecoding = s.decoding;
      if (timer) clearTimeout(timer);
      timer = null;
      slow = false;
      if (s.decoding) {
        decodeStart = Date.now();
        timer = setTimeout(() => {
          slow = store.getState().decoding;
          update();
        }, SLOW_DECODE_MS);
      }
    }
    update();
  });
}
