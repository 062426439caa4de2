/** Messages to the user (toasts): what happened and what to do next. */
import type { SliceContext } from '../store.ts';

export interface Notification {
  id: number;
  level: 'error' | 'warning' | 'info';
  message: string;
  hint: string;
  /** about this image only: it goes when another image is shown */
  imageId?: number;
}

export interface NotificationsSlice {
  notifications: Notification[];
  notify(level: Notification['level'], message: string, hint?: string, about?: { imageId: number }): void;
  dismiss(id: number): void;
}

export function createNotificationsSlice({ set, get }: SliceContext): NotificationsSlice {
  let lastId = 0;
  return {
    notifications: [],
    notify(level, message, hint = '', about) {
      const id = ++lastId;
      const n: Notification = { id, level, message, hint, ...(about ? { imageId: about.imageId } : {}) };
      // the same message again (a refused click repeated) replaces the one shown, not stacks on it
      set((s) => ({ notifications: [...s.notifications.filter((x) => x.message !== message || x.level !== level).slice(-5), n] }));
      if (level !== 'error') setTimeout(() => get().dismiss(id), 6000);
    },
    dismiss(id) {
      set((s) => ({ notifications: s.notifications.filter((n) => n.id !== id) }));
    },
  };
}
