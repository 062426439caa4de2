import { useAppStore, useStore } from '../../state/useApp.tsx';

/** Small inline icons (no icon font: they must render everywhere, headless browsers included). */
export function EyeIcon({ off }: { off: boolean }) {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true">
      <path d="M1 8c2-3.5 4.5-5 7-5s5 1.5 7 5c-2 3.5-4.5 5-7 5S3 11.5 1 8z" fill="none" stroke="currentColor" strokeWidth="1.4" />
      {off ? <path d="M2 14L14 2" stroke="currentColor" strokeWidth="1.6" /> : <circle cx="8" cy="8" r="2.2" fill="currentColor" />}
    </svg>
  );
}

export function LockIcon({ locked }: { locked: boolean }) {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true">
      <rect x="3" y="7" width="10" height="7" rx="1" fill={locked ? 'currentColor' : 'none'} stroke="currentColor" strokeWidth="1.4" />
      <path d={locked ? 'M5 7V5a3 3 0 0 1 6 0v2' : 'M5 7V5a3 3 0 0 1 6 0'} fill="none" stroke="currentColor" strokeWidth="1.4" />
    </svg>
  );
}

/** The hide and lock toggles of an annotation or a category (in the lists). */
export function HideLockToggles({ kind, id, name }: { kind: 'annotation' | 'category'; id: number; name: string }) {
  const store = useAppStore();
  const hiddenKey = kind === 'annotation' ? 'hiddenAnnotations' : 'hiddenCategories';
  const lockedKey = kind === 'annotation' ? 'lockedAnnotations' : 'lockedCategories';
  const hidden = useStore((s) => s.visibility[hiddenKey].includes(id));
  const locked = useStore((s) => s.visibility[lockedKey].includes(id));
  const what = kind === 'annotation' ? 'the mask' : 'its masks';
  const toggle = (key: typeof hiddenKey | typeof lockedKey) => (e: React.MouseEvent) => {
    e.stopPropagation();
    store.getState().toggleVisibility(key, id);
  };
  return (
    <>
      <button
        className={`icon${hidden ? ' on' : ''}`}
        aria-label={`${hidden ? 'Show' : 'Hide'} ${name}`}
        aria-pressed={hidden}
        title={hidden ? `Hidden: click to show ${what}` : `Hide ${what}`}
        onClick={toggle(hiddenKey)}
      >
        <EyeIcon off={hidden} />
      </button>
      <button
        className={`icon${locked ? ' on' : ''}`}
        aria-label={`${locked ? 'Unlock' : 'Lock'} ${name}`}
        aria-pressed={locked}
        title={locked ? `Locked: ${what} cannot be selected on the canvas` : `Lock ${what} (not selectable on the canvas)`}
        onClick={toggle(lockedKey)}
      >
        <LockIcon locked={locked} />
      </button>
    </>
  );
}
