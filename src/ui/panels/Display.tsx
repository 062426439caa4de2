import { useStore } from '../../state/useApp.tsx';

/** How masks are drawn: colour by instance or category, fill opacity, outlines only, labels. */
export function DisplayPanel() {
  const d = useStore((s) => s.display);
  const set = useStore((s) => s.setDisplay);
  return (
    <details className="panel-section" data-testid="display-panel">
      <summary>Display</summary>
      <label className="row">
        Colour by
        <select
          aria-label="Colour masks by"
          value={d.colorBy}
          onChange={(e) => set({ colorBy: e.target.value as 'instance' | 'category' })}
        >
          <option value="instance">instance</option>
          <option value="category">category</option>
        </select>
      </label>
      <label className="row">
        Opacity
        <input
          type="range"
          min={0}
          max={1}
          step={0.05}
          aria-label="Mask opacity"
          value={d.fillOpacity}
          onChange={(e) => set({ fillOpacity: Number(e.target.value) })}
        />
      </label>
      <label className="row">
        <input type="checkbox" checked={d.outlineOnly} onChange={(e) => set({ outlineOnly: e.target.checked })} /> Outlines only
      </label>
      <label className="row">
        <input type="checkbox" checked={d.labels} onChange={(e) => set({ labels: e.target.checked })} /> Labels on the canvas
      </label>
      <label className="row">
        <input type="checkbox" checked={d.pointsAfterAccept} onChange={(e) => set({ pointsAfterAccept: e.target.checked })} /> Back to
        Points after Enter
      </label>
      <p className="muted">
        Hold <kbd>H</kbd> to hide every mask.
      </p>
    </details>
  );
}
