import { useState } from 'react';

/** A side-panel section that folds away (its title is its summary); open or shut is kept in this browser. */
export function Collapsible({
  title,
  testId,
  children,
  open = false,
}: {
  title: string;
  testId: string;
  children: React.ReactNode;
  open?: boolean;
}) {
  const key = `sam-annotator.open.${testId}`;
  const [isOpen, setOpen] = useState(() => {
    const v = localStorage.getItem(key);
    return v === null ? open : v === '1';
  });
  return (
    <details
      className="panel-section"
      data-testid={testId}
      open={isOpen}
      onToggle={(e) => {
        const o = e.currentTarget.open;
        setOpen(o);
        try {
          localStorage.setItem(key, o ? '1' : '0');
        } catch {
          // a preference
        }
      }}
    >
      <summary>{title}</summary>
      {children}
    </details>
  );
}
