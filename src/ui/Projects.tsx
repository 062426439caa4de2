import { useEffect, useState } from 'react';
import { listProjects, newProject, removeProject, renameCurrentProject, switchProject, currentProject } from '../state/services/persistence.ts';
import { useStore } from '../state/store/store.ts';

/** Projects kept in the browser: the current one's name and save state, switch, new, delete. */
export function Projects() {
  const name = useStore((s) => s.project.name);
  const saveState = useStore((s) => s.saveState);
  const otherTabs = useStore((s) => s.otherTabs);
  // the open project's count from the store: the stored counts are read only when the list is looked at
  const annotations = useStore((s) => s.project.annotations.length);
  const [list, setList] = useState<{ id: string; name: string; annotations: number }[]>([]);
  const refresh = () =>
    listProjects().then(
      (l) => setList(l),
      () => setList([]),
    );
  const id = currentProject();
  // read when the project or its name changes and when the list is opened; not on every autosave
  // (counting a large project's stored records took the page ~20 ms each time)
  useEffect(() => {
    void refresh();
  }, [name, id]);
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
        className="cat-name"
        defaultValue={name}
        aria-label="Project name"
        onBlur={(e) => void renameCurrentProject(e.target.value).then(refresh)}
        onKeyDown={(e) => e.key === 'Enter' && e.currentTarget.blur()}
      />
      <div className="row">
        <select
          className="project-select"
          aria-label="Open project"
          title={name}
          value={id}
          onChange={(e) => void switchProject(e.target.value).then(refresh)}
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
        <button onClick={() => void newProject().then(refresh)}>New</button>
        <button
          onClick={() => {
            if (confirm(`Delete the project “${name}” and its saved images from this browser?`)) void removeProject(id).then(refresh);
          }}
        >
          Delete
        </button>
      </div>
    </section>
  );
}
