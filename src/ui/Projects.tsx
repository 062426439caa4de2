import { useCallback, useEffect, useRef, useState } from 'react';
import { useApp, useStore } from '../state/useApp.tsx';

/** Projects kept in the browser: the current one's name and save state, switch, new, delete. */
export function Projects() {
  const { projects } = useApp();
  const name = useStore((s) => s.project.name);
  const saveState = useStore((s) => s.saveState);
  const otherTabs = useStore((s) => s.otherTabs);
  // the open project's count from the store: the stored counts are read only when the list is looked at
  const annotations = useStore((s) => s.project.annotations.length);
  const [list, setList] = useState<{ id: string; name: string; annotations: number }[]>([]);
  const refresh = useCallback(
    () =>
      projects.list().then(
        (l) => setList(l),
        () => setList([]),
      ),
    [projects],
  );
  const id = useStore((s) => s.projectId);
  // after "New": the name field has the cursor, its text selected, so the project is named by typing
  const nameField = useRef<HTMLInputElement>(null);
  const [askName, setAskName] = useState<string | null>(null);
  useEffect(() => {
    if (askName === null || askName !== id || !nameField.current) return;
    nameField.current.focus();
    nameField.current.select();
    setAskName(null);
  }, [askName, id, name]);
  // files opened or imported meanwhile: the user has moved on, and the keys are theirs again (the name stays)
  const contents = useStore((s) => s.project.images.length + s.project.categories.length);
  useEffect(() => {
    if (nameField.current && document.activeElement === nameField.current) nameField.current.blur();
  }, [contents]);
  // read when the project or its name changes and when the list is opened; not on every autosave
  // (counting a large project's stored records took the page ~20 ms each time)
  useEffect(() => {
    void refresh();
  }, [name, id, refresh]);
  return (
    <section className="projects">
      <h2>
        Project{' '}
        <span className={`save save-${saveState}`} data-testid="save-state">
          {saveState === 'saved' ? 'saved' : saveState === 'saving' ? 'saving…' : 'not saved'}
        </span>
      </h2>
      {otherTabs > 0 && (
        <p
          className="muted"
          data-testid="other-tabs"
          title="Work from every tab is saved: each tab writes only what it changed and shows the other tabs’ masks as they are accepted."
        >
          Also open in {otherTabs === 1 ? 'another tab' : `${otherTabs} other tabs`}: both are saved.
        </p>
      )}
      <input
        key={name}
        ref={nameField}
        className="cat-name"
        defaultValue={name}
        aria-label="Project name"
        onBlur={(e) => void projects.rename(e.target.value).then(refresh)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') e.currentTarget.value = name;
          if (e.key === 'Enter' || e.key === 'Escape') {
            e.stopPropagation();
            e.currentTarget.blur();
          }
        }}
      />
      <div className="row">
        <select
          className="project-select"
          aria-label="Open project"
          title={name}
          value={id}
          onChange={(e) => void projects.switchTo(e.target.value).then(refresh)}
          onFocus={() => void refresh()}
          onPointerDown={() => void refresh()}
        >
          {list.some((p) => p.id === id) ? null : <option value={id}>{name}</option>}
          {list.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.id === id ? annotations : p.annotations})
            </option>
          ))}
        </select>
        <button
          title="A new project in this browser: type its name"
          onClick={() =>
            void projects.newProject().then(() => {
              setAskName(projects.current());
              return refresh();
            })
          }
        >
          New
        </button>
        <button
          onClick={() => {
            if (confirm(`Delete the project “${name}” and its saved images from this browser?`)) void projects.remove(id).then(refresh);
          }}
        >
          Delete
        </button>
      </div>
    </section>
  );
}
