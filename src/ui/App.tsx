import { appErrorFromUnknown } from '../core/errors.ts';
import { Candidates } from './panels/Candidates.tsx';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { MaskTimerPanel } from './Timer.tsx';
import { StatsPanel } from './Stats.tsx';
import { AnnotationStage } from '../canvas/AnnotationStage.tsx';
import { useViewport } from '../canvas/viewport.ts';
import { useApp, useAppStore, useStore } from '../state/useApp.tsx';
import type { AppContext } from '../state/appContext.ts';
import { Categories, CategoryPicker } from './panels/Categories.tsx';
import { Annotations } from './panels/Annotations.tsx';
import { DisplayPanel } from './panels/Display.tsx';
import { ImageList } from './panels/ImageList.tsx';
import { ExportDialog } from './ExportDialog.tsx';
import { ModelsDialog } from './ModelsDialog.tsx';
import { ModelStatus } from './ModelStatus.tsx';
import { loadExportSettings, runExport } from '../state/services/exporting.ts';
import { fileDisplayName } from '../core/project/imageFiles.ts';
import { useKeyboard, useModal } from './keyboard.ts';
import { ACTIONS, GESTURES, actionLabel, type ActionUi } from '../state/store/actions.ts';
import { PreannotatePanel, ReviewBar } from './Preannotate.tsx';
import { Collapsible } from './panels/Collapsible.tsx';
import { VideoPanel } from './video/VideoPanel.tsx';
import { Timeline } from './video/Timeline.tsx';

/** One click, always COCO with compressed RLE (lossless; the automation contract); polygons are in the dialog. */
async function exportCocoNow({ store, images }: AppContext): Promise<void> {
  try {
    store.getState().notify('info', await runExport(store, images, { kind: 'coco-rle', tolerance: loadExportSettings().tolerance }));
  } catch (e) {
    const err = appErrorFromUnknown(e);
    store.getState().notify('error', err.message, err.hint);
  }
}

/** The toolbar's action buttons, from the action table. */
function ActionButtons({ ui }: { ui: ActionUi }) {
  const store = useAppStore();
  // re-render on the state the buttons show (active tool, undo/redo labels, enabled)
  useStore(
    (s) => `${s.tool}|${s.past.length}:${s.past[s.past.length - 1]?.label}|${s.future.length}:${s.future[0]?.label}|${s.currentImageId}`,
  );
  const s = store.getState();
  return (
    <>
      {ACTIONS.filter((a) => a.toolbar).map((a) => (
        <button
          key={a.id}
          className={`${a.active?.(s) ? 'active' : ''}${a.id === 'undo' || a.id === 'redo' ? ' step-label' : ''}`.trim()}
          disabled={!a.enabled(s)}
          onClick={() => a.perform(store.getState(), ui, '')}
          title={`${actionLabel(a, s)}${a.keysLabel ? ` (${a.keysLabel})` : ''}`}
        >
          {actionLabel(a, s)} {a.keysLabel && <kbd>{a.keysLabel.split(',')[0]}</kbd>}
        </button>
      ))}
    </>
  );
}

function Toolbar({ ui }: { ui: ActionUi }) {
  const store = useAppStore();
  const app = useApp();
  const addFiles = useStore((s) => s.addFiles);
  const folderRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    folderRef.current?.setAttribute('webkitdirectory', '');
  }, []);
  const [dialog, setDialog] = useState(false);
  const closeDialog = useCallback(() => setDialog(false), []);
  const [models, setModels] = useState(false);
  const closeModels = useCallback(() => setModels(false), []);
  return (
    <header className="toolbar">
      <label className="button">
        Open images
        <input
          type="file"
          accept="image/*"
          multiple
          data-testid="image-input"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            void addFiles(files);
          }}
        />
      </label>
      <label className="button">
        Open folder
        <input
          ref={folderRef}
          type="file"
          multiple
          data-testid="folder-input"
          onChange={(e) => {
            // a folder's images in natural path order (img2 before img10); other files are skipped silently
            const files = [...(e.currentTarget.files ?? [])]
              .filter((f) => f.type.startsWith('image/'))
              .sort((a, b) => fileDisplayName(a).localeCompare(fileDisplayName(b), undefined, { numeric: true }));
            e.currentTarget.value = '';
            void addFiles(files);
          }}
        />
      </label>
      <label className="button">
        Import COCO
        <input
          type="file"
          accept=".json,application/json"
          data-testid="coco-input"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            e.currentTarget.value = '';
            if (f) void store.getState().importCoco(f, f.name);
          }}
        />
      </label>
      <label className="button">
        Import masks
        <input
          type="file"
          accept=".png"
          multiple
          data-testid="mask-input"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            void store.getState().importMaskPngs(files.map((f) => ({ blob: f, name: fileDisplayName(f) })));
          }}
        />
      </label>
      <span className="sep" />
      <ActionButtons ui={ui} />
      <span className="sep" />
      <button onClick={() => void exportCocoNow(app)}>Export COCO</button>
      <button onClick={() => setDialog(true)}>Export…</button>
      {dialog && <ExportDialog onClose={closeDialog} />}
      <button onClick={() => setModels(true)}>Models…</button>
      {models && <ModelsDialog onClose={closeModels} />}
      <ModelStatus />
    </header>
  );
}

/** Whether the next clicks are decoded on the object's zoom-in crop. */
function ZoomStatus() {
  const zoom = useStore((s) => s.zoom);
  const on = useStore((s) => s.zoomIn);
  if (!on || !zoom) return null;
  const [w, h] = [zoom.roi.x1 - zoom.roi.x0, zoom.roi.y1 - zoom.roi.y0];
  return (
    <p className="muted" data-testid="zoom-status" data-state={zoom.ready ? 'ready' : 'encoding'}>
      {zoom.ready ? `Zoomed in: next clicks on a ${w}×${h} crop` : `Encoding a ${w}×${h} crop around the object…`}
    </p>
  );
}

function LiveInfo() {
  const store = useAppStore();
  const { batch } = useApp();
  const live = useStore((s) => s.live);
  const prompts = useStore((s) => s.prompts);
  const strokes = useStore((s) => s.strokes.length);
  const editing = useStore((s) => s.editingAnnotationId);
  const brushRadius = useStore((s) => s.brushRadius);
  const feedback = useStore((s) => s.feedback);
  const zoomIn = useStore((s) => s.zoomIn);
  const hoverPreview = useStore((s) => s.hoverPreview);
  const pending = useStore((s) => s.project.pendingBoxes.filter((b) => b.imageId === s.currentImageId).length);
  return (
    <section className="live" data-testid="live-info">
      <h2>Current mask</h2>
      {live ? (
        <p>
          {Number.isNaN(live.score) ? (
            'manual mask'
          ) : (
            <>
              predicted IoU <b data-testid="live-score">{live.score.toFixed(3)}</b>
            </>
          )}{' '}
          · {live.approximate ? '≈' : ''}
          {live.area} px{Number.isNaN(live.score) ? '' : ` · decoded in ${live.decodeMs.toFixed(0)} ms`}
        </p>
      ) : (
        <p className="muted">Click on an object (or drag a box with B).</p>
      )}
      <p className="muted">
        {prompts.points.filter((p) => p.positive).length} fg · {prompts.points.filter((p) => !p.positive).length} bg ·{' '}
        {prompts.box ? 'box' : 'no box'} · {strokes} stroke{strokes === 1 ? '' : 's'}
        {editing !== null ? ` · editing #${editing}` : ''}
      </p>
      <p className="muted">
        Brush radius {brushRadius.toFixed(1)} px <kbd>[</kbd> <kbd>]</kbd>
      </p>
      {pending > 0 && (
        <button
          onClick={() => void batch.start({ mode: 'auto-box', scope: 'current' })}
          title="SAM masks from this image's boxes, as proposals to review"
        >
          Masks from boxes ({pending})
        </button>
      )}
      <Candidates />
      <ZoomStatus />
      <label className="row muted">
        <input type="checkbox" checked={feedback} onChange={(e) => store.getState().setFeedback(e.target.checked)} />
        Refine with the previous mask (mask feedback)
      </label>
      <label className="row muted" title="After the first mask, a crop around the object is encoded and the next clicks are decoded on it">
        <input
          type="checkbox"
          data-testid="zoom-in-toggle"
          checked={zoomIn}
          onChange={(e) => store.getState().setZoomIn(e.target.checked)}
        />
        Zoom in on the object after the first mask (zoom-in refinement)
      </label>
      <label
        className="row muted"
        title="With the points tool and nothing drafted, the mask under the resting pointer is shown light; a click there takes it"
      >
        <input
          type="checkbox"
          data-testid="hover-preview-toggle"
          checked={hoverPreview}
          onChange={(e) => store.getState().setHoverPreview(e.target.checked)}
        />
        Preview the mask under the pointer
      </label>
    </section>
  );
}

function Notifications() {
  const list = useStore((s) => s.notifications);
  const dismiss = useStore((s) => s.dismiss);
  return (
    <div className="notifications" role="status" aria-live="polite">
      {list.map((n) => (
        <div key={n.id} className={`toast toast-${n.level}`} role={n.level === 'error' ? 'alert' : undefined}>
          <div>
            <div className="msg">{n.message}</div>
            {n.hint && <div className="hint">{n.hint}</div>}
          </div>
          <button aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}

function Help({ open, setOpen }: { open: boolean; setOpen: (f: (o: boolean) => boolean) => void }) {
  const close = useCallback(() => setOpen(() => false), [setOpen]);
  useModal(open, close);
  const rows = [...ACTIONS.filter((a) => a.keysLabel), ...GESTURES];
  return (
    <section>
      <button onClick={() => setOpen((o) => !o)}>
        Keys <kbd>?</kbd>
      </button>
      {open && (
        <div className="modal" role="dialog" aria-modal="true" aria-label="Keys" onClick={close}>
          <div className="modal-body" onClick={(e) => e.stopPropagation()}>
            <h2>Keys</h2>
            <table className="keys">
              <tbody>
                {rows.map((k) => (
                  <tr key={k.keysLabel}>
                    <td>
                      <kbd>{k.keysLabel}</kbd>
                    </td>
                    <td>{k.help}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="row">
              <button onClick={close}>Close</button>
            </div>
          </div>
        </div>
      )}
    </section>
  );
}

export function App() {
  const ctx = useApp();
  const viewport = useViewport();
  const [help, setHelp] = useState(false);
  const [picker, setPicker] = useState(false);
  const closePicker = useCallback(() => setPicker(false), []);
  const ui = useMemo<ActionUi>(
    () => ({
      toggleHelp: () => setHelp((h) => !h),
      exportCoco: () => void exportCocoNow(ctx),
      openCategoryPicker: () => setPicker(true),
      zoom: (k) => viewport.zoom(k),
      propagate: (direction) => void ctx.tracking.propagate({ direction }),
    }),
    [ctx, viewport],
  );
  useKeyboard(ui);
  const addFiles = useStore((s) => s.addFiles);
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);
  return (
    <div
      className={`app${dragging ? ' drop-target' : ''}`}
      onDragEnter={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        // enter and leave fire for each element crossed: counted, so the highlight stays while inside the window
        dragDepth.current++;
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        dragDepth.current = Math.max(0, dragDepth.current - 1);
        if (dragDepth.current === 0) setDragging(false);
      }}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        dragDepth.current = 0;
        setDragging(false);
        void addFiles([...e.dataTransfer.files]);
      }}
    >
      {dragging && (
        <div className="drop-hint" data-testid="drop-hint" aria-live="polite">
          Drop to add these images to the project
        </div>
      )}
      <Toolbar ui={ui} />
      <main>
        <ImageList />
        <div className="stage-column">
          <AnnotationStage />
          <Timeline />
        </div>
        <aside className="panel side">
          <MaskTimerPanel />
          <ReviewBar />
          <LiveInfo />
          <Categories />
          <Annotations />
          <DisplayPanel />
          <PreannotatePanel />
          <VideoPanel />
          <Collapsible title="Statistics" testId="stats-section">
            <StatsPanel />
          </Collapsible>
          <Help open={help} setOpen={setHelp} />
        </aside>
      </main>
      <CategoryPicker open={picker} onClose={closePicker} />
      <Notifications />
    </div>
  );
}
