import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { mayEditCategories } from '../../state/store/selectors.ts';
import { useAppStore, useStore } from '../../state/useApp.tsx';
import { HideLockToggles } from './icons.tsx';
import { useModal } from '../keyboard.ts';

/**
 * A category's name field: shows the stored name (an undo, another tab or another project shows at
 * once); typing renames as you go, one undo step per spell of typing.
 */
function CategoryName({
  id,
  name,
  focus = false,
  onFocused,
  readOnly = false,
}: {
  id: number;
  name: string;
  focus?: boolean;
  onFocused?: () => void;
  readOnly?: boolean;
}) {
  const store = useAppStore();
  const [draft, setDraft] = useState<string | null>(null);
  const burst = useRef('');
  const field = useRef<HTMLInputElement>(null);
  // a category just added: its name is ready to be typed over
  useEffect(() => {
    if (!focus || !field.current) return;
    field.current.focus();
    field.current.select();
    onFocused?.();
  }, [focus, onFocused]);
  return (
    <input
      ref={field}
      readOnly={readOnly}
      title={readOnly ? ONLY_ADMINS : undefined}
      className="cat-name"
      value={draft ?? name}
      aria-label="Category name"
      onFocus={() => (burst.current = Math.random().toString(36).slice(2))}
      onChange={(e) => {
        const v = e.target.value;
        setDraft(v);
        // the stored name this field last showed: a rename made elsewhere meanwhile is not overwritten
        if (v.trim()) store.getState().renameCategory(id, v, name, burst.current);
      }}
      onBlur={() => setDraft(null)}
      onKeyDown={(e) => {
        // Enter keeps what was typed, Escape the name as it is; both give the keys back to the canvas
        if (e.key === 'Enter' || e.key === 'Escape') {
          e.stopPropagation();
          e.currentTarget.blur();
        }
      }}
    />
  );
}

/** Categories matching a filter: names containing it, those starting with it first. */
export function filterCategories<T extends { name: string }>(list: readonly T[], q: string): T[] {
  const t = q.trim().toLowerCase();
  if (!t) return [...list];
  const hits = list.filter((c) => c.name.toLowerCase().includes(t));
  return [...hits.filter((c) => c.name.toLowerCase().startsWith(t)), ...hits.filter((c) => !c.name.toLowerCase().startsWith(t))];
}

const ONLY_ADMINS = 'Only a project admin can add, rename or recolour the categories of a server project.';

export function Categories() {
  const store = useAppStore();
  const categories = useStore((s) => s.project.categories);
  const editable = useStore(mayEditCategories);
  const current = useStore((s) => s.currentCategoryId);
  const [filter, setFilter] = useState('');
  const [added, setAdded] = useState<number | null>(null);
  const focused = useCallback(() => setAdded(null), []);
  const shown = useMemo(() => filterCategories(categories, filter), [categories, filter]);
  const s = store.getState();
  return (
    <section className="categories-panel">
      <h2>
        Categories ({categories.length}) <kbd title="Category picker: type to filter, Enter to choose">C</kbd>
      </h2>
      {categories.length > 9 && (
        <input
          className="filter"
          placeholder="Filter categories"
          aria-label="Filter categories"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      )}
      <ul className="categories scroll">
        {shown.map((c) => {
          const i = categories.indexOf(c);
          return (
            <li key={c.id} className={c.id === current ? 'current' : ''} onClick={() => s.setCurrentCategory(c.id)}>
              <kbd>{i < 9 ? i + 1 : ''}</kbd>
              <input
                type="color"
                disabled={!editable}
                title={editable ? undefined : ONLY_ADMINS}
                value={c.color}
                aria-label={`Colour of ${c.name}`}
                onChange={(e) => s.recolorCategory(c.id, e.target.value)}
              />
              <CategoryName id={c.id} name={c.name} focus={c.id === added} onFocused={focused} readOnly={!editable} />
              <HideLockToggles kind="category" id={c.id} name={c.name} />
            </li>
          );
        })}
      </ul>
      <button
        disabled={!editable}
        title={editable ? 'A new category: type its name' : ONLY_ADMINS}
        onClick={() => {
          setFilter('');
          setAdded(s.addCategory());
        }}
      >
        Add category
      </button>
    </section>
  );
}

/** The category picker (key C): type to filter, ↑/↓ to move, Enter to choose, Esc to close. */
export function CategoryPicker({ open, onClose }: { open: boolean; onClose: () => void }) {
  const store = useAppStore();
  const categories = useStore((s) => s.project.categories);
  const [q, setQ] = useState('');
  const [at, setAt] = useState(0);
  const close = useCallback(() => {
    setQ('');
    setAt(0);
    onClose();
  }, [onClose]);
  useModal(open, close);
  const hits = useMemo(() => filterCategories(categories, q), [categories, q]);
  // what was typed, when no category matches it: offered instead, made on Enter
  const typed = q.trim();
  const editable = useStore(mayEditCategories);
  const creatable = editable && typed !== '' && hits.length === 0;
  const options = hits.length + (creatable ? 1 : 0);
  if (!open) return null;
  const choose = (id: number | undefined) => {
    if (id !== undefined) store.getState().setCurrentCategory(id);
    close();
  };
  const create = () => {
    const s = store.getState();
    s.setCurrentCategory(s.addCategory(typed));
    close();
  };
  return (
    <div className="modal" role="dialog" aria-modal="true" aria-label="Choose a category" onClick={close}>
      <div className="modal-body picker" onClick={(e) => e.stopPropagation()}>
        <input
          autoFocus
          aria-label="Category search"
          placeholder="Type to find a category"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setAt(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') setAt((a) => Math.min(options - 1, a + 1));
            else if (e.key === 'ArrowUp') setAt((a) => Math.max(0, a - 1));
            else if (e.key === 'Enter') {
              if (at < hits.length) choose(hits[at]?.id);
              else if (creatable) create();
            } else return;
            e.preventDefault();
          }}
        />
        <ul className="scroll" role="listbox" aria-label="Categories">
          {hits.map((c, i) => (
            <li key={c.id} role="option" aria-selected={i === at} className={i === at ? 'current' : ''} onClick={() => choose(c.id)}>
              <span className="swatch" style={{ background: c.color }} />
              {c.name}
            </li>
          ))}
          {creatable && (
            <li role="option" aria-selected={at === hits.length} className={at === hits.length ? 'current' : ''} onClick={create}>
              <span className="swatch" /> Create “{typed}”
            </li>
          )}
          {hits.length === 0 && !creatable && (
            <li className="muted">{editable ? 'Type a name to find or create a category.' : `No category matches. ${ONLY_ADMINS}`}</li>
          )}
        </ul>
      </div>
    </div>
  );
}
