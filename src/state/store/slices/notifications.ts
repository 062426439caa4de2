/** Messages to the user (toasts): what happened and what to do next. */
import type { SliceContext } from '../store.ts';

export interface Notification {
  id: number;
  level: 'error' | 'warning' | 'info';
  message: string;
  hint: string;
}

export interface NotificationsSlice {
  notifications: Notification[];
  notify(level: Notification['level'], message: string, hint?: string): void;
  dismiss(id: number): void;
}

export function createNotificationsSlice({ set, get }: SliceContext): NotificationsSlice {
  let lastId = 0;
  return {
    notifications: [],
    notify(level, message, hint = '') {
      const id = ++lastId;
      set((s) => ({ notifications: [...s.notifications.slice(-5), { id, level, message, hint }] }));
      if (level !== 'error') setTimeout(() => get().dismiss(id), 6000);
    },
    dismiss(id) {
      set((s) => ({ notifications: s.notifications.filter((n) => n.id !== id) }));
    },
  };
}
