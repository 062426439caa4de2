/** Categories: add, rename (typed letter by letter: one undo step), recolour, ensure by name. */
import { DiffBuilder } from '../../../core/project/changes.ts';
import { categoryColor } from '../../../core/project/palette.ts';
import type { HistoryPolicy } from '../history.ts';
import type { SliceContext } from '../store.ts';

export interface CategoriesSlice {
  /** Adds a category and makes it the current one; returns its id. */
  addCategory(name?: string): number;
  /**
   * Renames a category. `from`: the name the field showed when editing began; a category renamed
   * since (undo, another tab) is not overwritten with a stale name. Renames of one category with
   * the same `burst` (one spell of typing in its field) are one undo step.
   */
  renameCategory(id: number, name: string, from?: string, burst?: string): boolean;
  recolorCategory(id: number, color: string): void;
  /** Category ids for names, adding the missing categories; the current category is kept. */
  ensureCategories(names: readonly string[], policy?: HistoryPolicy): Map<string, number>;
}

export function createCategoriesSlice(ctx: SliceContext): CategoriesSlice {
  const { get, set, ids, session } = ctx;
  return {
    addCategory(name) {
      const s = get();
      const id = ids.next('categories', s.project);
      const base = name?.trim() || `category ${id}`;
      if (
        !s.change(new DiffBuilder(s.project).add('categories', { id, name: base, color: categoryColor(id) }).diff, 'record', {
          label: 'add category',
        })
      )
        return s.currentCategoryId;
      set({ currentCategoryId: id });
      if (session.underWay()) session.recolor();
      return id;
    },

    renameCategory(id, name, from, burst = '') {
      const s = get();
      const c = s.project.categories.find((x) => x.id === id);
      const trimmed = name.trim();
      if (!c || !trimmed || c.name === trimmed) return false;
      if (from !== undefined && c.name !== from) {
        s.notify('warning', `“${c.name}” was not renamed: its name changed while you were typing.`, 'Type the new name again.');
        return false;
      }
      return s.change(new DiffBuilder(s.project).update('categories', id, (x) => ({ ...x, name: trimmed })).diff, 'squash', {
        label: 'rename category',
        squashKey: `rename-category:${id}:${burst}`,
      });
    },

    recolorCategory(id, color) {
      const s = get();
      // a colour picker sends many values while dragged: one undo step
      s.change(new DiffBuilder(s.project).update('categories', id, (x) => (x.color === color ? x : { ...x, color })).diff, 'squash', {
        label: 'recolour category',
        squashKey: `recolor-category:${id}`,
      });
      if (id === get().currentCategoryId && session.underWay()) session.recolor();
    },

    ensureCategories(names, policy = 'ignore') {
      const out = new Map<string, number>();
      const b = new DiffBuilder(get().project);
      for (const name of names) {
        const found = b.project.categories.find((c) => c.name.toLowerCase() === name.toLowerCase());
        if (found) {
          out.set(name, found.id);
          continue;
        }
        const id = ids.next('categories', b.project);
        b.add('categories', { id, name, color: categoryColor(id) });
        out.set(name, id);
      }
      if (b.ops.length) get().change(b.diff, policy, { label: 'add categories' });
      return out;
    },
  };
}
