import { useMemo, useState } from 'react';
import { DEFAULT_AMG_PARAMS } from '../core/sam/amg.ts';
import { DEFAULT_MIN_CROP_SIDE, DEFAULT_ROI_MARGIN } from '../core/sam/roi.ts';
import type { PreannotateMode } from '../inference/preannotate.ts';
import { fileDisplayName } from '../core/project/imageFiles.ts';
import type { PreannotateRequest } from '../state/services/batch.ts';
import { proposalsToReview } from '../core/project/review.ts';
import { annotationIndex, annotationsOf } from '../core/project/annotationIndex.ts';
import { useApp, useStore } from '../state/useApp.tsx';

function seconds(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '…';
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

const MODE_LABEL: Record<PreannotateMode, string> = {
  'auto-box': 'Masks from boxes (automatic crop)',
  box: 'Masks from boxes (whole image)',
  'box-crop': 'Masks from boxes (ROI crop)',
  coarse: 'Masks from a coarse model’s label PNGs',
  everything: 'Segment everything',
};

/** Pre-annotation: choose a mode and its settings, start, and follow the batch. */
export function PreannotatePanel() {
  const { store, batch } = useApp();
  const pendingBoxes = useStore((s) => s.project.pendingBoxes.length);
  const boxesHere = useStore((s) => s.project.pendingBoxes.filter((b) => b.imageId === s.currentImageId).length);
  const boxesFirst = useStore((s) => s.boxesFirst);
  const [mode, setMode] = useState<PreannotateMode>('auto-box');
  const [scope, setScope] = useState<'all' | 'current'>('all');
  const [margin, setMargin] = useState(DEFAULT_ROI_MARGIN * 100);
  const [minCrop, setMinCrop] = useState(DEFAULT_MIN_CROP_SIDE);
  const [pps, setPps] = useState(DEFAULT_AMG_PARAMS.pointsPerSide);
  const [predIou, setPredIou] = useState(DEFAULT_AMG_PARAMS.predIouThresh);
  const [stability, setStability] = useState(DEFAULT_AMG_PARAMS.stabilityScoreThresh);
  const [minRegion, setMinRegion] = useState(0);
  const [cropLayers, setCropLayers] = useState(0);
  const [kind, setKind] = useState<'semantic' | 'instance'>('semantic');
  const [prompt, setPrompt] = useState<'box' | 'box+points'>('box');
  const [minArea, setMinArea] = useState(100);
  const [classMap, setClassMap] = useState('');
  const [files, setFiles] = useState(0);
  const [redo, setRedo] = useState(false);
  const running = useStore(({ batch: b }) => b.progress !== null && ['running', 'waiting', 'paused'].includes(b.progress.state));
  // advanced settings fold away (folded by default); mode, Start and what each mode needs stay
  const [open, setOpen] = useState(() => globalThis.localStorage?.getItem('sam-annotator.open.preannotate') === '1');
  const toggle = (o: boolean) => {
    setOpen(o);
    try {
      localStorage.setItem('sam-annotator.open.preannotate', o ? '1' : '0');
    } catch {
      // a preference
    }
  };
  const start = () => {
    const req: PreannotateRequest = { mode, scope, redo };
    if (mode === 'box' || mode === 'box-crop' || mode === 'auto-box') req.boxPlan = { margin: margin / 100, minCropSide: minCrop };
    if (mode === 'everything') {
      req.amg = {
        pointsPerSide: pps,
        predIouThresh: predIou,
        stabilityScoreThresh: stability,
        minMaskRegionArea: minRegion,
        cropNLayers: cropLayers,
      };
    }
    if (mode === 'coarse') {
      req.coarseFiles = batch.coarseFiles();
      req.coarse = { kind, prompt, minArea };
      req.classMap = classMap;
    }
    void batch.start(req);
  };
  return (
    <section data-testid="preannotate" data-open={open}>
      <h2>
        Pre-annotate{' '}
        <button
          className="link"
          aria-expanded={open}
          onClick={() => toggle(!open)}
          title="Scope, crop margins, automatic-mask and coarse-mask settings"
        >
          {open ? 'fewer settings ▴' : 'settings ▾'}
        </button>
      </h2>
      <label className="row">
        <select
          aria-label="Pre-annotation mode"
          data-testid="preannotate-mode"
          value={mode}
          onChange={(e) => setMode(e.target.value as PreannotateMode)}
        >
          {(Object.keys(MODE_LABEL) as PreannotateMode[]).map((m) => (
            <option key={m} value={m}>
              {MODE_LABEL[m]}
            </option>
          ))}
        </select>
      </label>
      {open && (
        <label className="row muted">
          <select aria-label="Images to pre-annotate" value={scope} onChange={(e) => setScope(e.target.value as 'all' | 'current')}>
            <option value="all">all images</option>
            <option value="current">this image</option>
          </select>
        </label>
      )}
      {(mode === 'box' || mode === 'box-crop' || mode === 'auto-box') && (
        <>
          <p className="muted">{pendingBoxes} box(es) waiting (bbox-only COCO annotations, or drawn boxes first).</p>
          <label className="row muted">
            <input
              type="checkbox"
              data-testid="boxes-first"
              checked={boxesFirst}
              onChange={(e) => store.getState().setBoxesFirst(e.target.checked)}
            />
            Boxes first: box drags (B) wait here for the batch
          </label>
          {boxesHere > 0 && (
            <div className="row">
              <button onClick={() => store.getState().removePendingBoxes(false)}>Remove last box</button>
              <button onClick={() => store.getState().removePendingBoxes(true)}>Remove this image’s boxes ({boxesHere})</button>
            </div>
          )}
          {open && mode !== 'box' && (
            <NumberField
              className="row muted"
              label="crop margin"
              aria="ROI margin %"
              min={0}
              max={200}
              step={1}
              value={margin}
              onChange={setMargin}
              unit="%"
            />
          )}
          {open && mode !== 'box' && (
            <NumberField
              className="row muted"
              label="smallest crop"
              aria="smallest crop side px"
              min={0}
              max={4096}
              step={16}
              value={minCrop}
              onChange={setMinCrop}
              unit="px"
            />
          )}
        </>
      )}
      {mode === 'everything' && open && (
        <div className="muted">
          <NumberField className="row" label="points per side" aria="points per side" min={1} max={64} value={pps} onChange={setPps} />
          <NumberField
            className="row"
            label="pred IoU ≥"
            aria="pred_iou_thresh"
            step={0.01}
            min={0}
            max={1}
            value={predIou}
            onChange={setPredIou}
          />
          <NumberField
            className="row"
            label="stability ≥"
            aria="stability_score_thresh"
            step={0.01}
            min={0}
            max={1}
            value={stability}
            onChange={setStability}
          />
          <NumberField
            className="row"
            label="min region px"
            aria="min_mask_region_area"
            min={0}
            value={minRegion}
            onChange={setMinRegion}
          />
          <NumberField
            className="row"
            label="crop layers"
            aria="crop_n_layers"
            min={0}
            max={2}
            value={cropLayers}
            onChange={setCropLayers}
          />
        </div>
      )}
      {mode === 'coarse' && (
        <div className="muted">
          <label className="row">
            label PNGs{' '}
            <input
              type="file"
              multiple
              accept=".png,.PNG"
              data-testid="coarse-input"
              onChange={(e) => {
                const list = [...(e.target.files ?? [])].map((f) => ({ blob: f as Blob, name: fileDisplayName(f) }));
                batch.setCoarseFiles(list);
                setFiles(list.length);
              }}
            />
          </label>
          <p>{files || batch.coarseFiles().length} file(s) chosen</p>
          {open && (
            <>
              <label className="row">
                <select aria-label="label map kind" value={kind} onChange={(e) => setKind(e.target.value as 'semantic' | 'instance')}>
                  <option value="semantic">semantic (value = class id)</option>
                  <option value="instance">instance (value = object id)</option>
                </select>
              </label>
              <label className="row">
                <select aria-label="coarse prompt" value={prompt} onChange={(e) => setPrompt(e.target.value as 'box' | 'box+points')}>
                  <option value="box">box prompts</option>
                  <option value="box+points">box + points</option>
                </select>
              </label>
              <NumberField
                className="row"
                label="min area px"
                aria="minimum component area"
                min={1}
                value={minArea}
                onChange={setMinArea}
              />
            </>
          )}
          <label className="row">
            classes{' '}
            <input
              type="text"
              aria-label="class map"
              placeholder="1=person, 2=car"
              value={classMap}
              onChange={(e) => setClassMap(e.target.value)}
            />
          </label>
        </div>
      )}
      {(mode === 'coarse' || mode === 'everything') && (
        <label className="row muted">
          <input type="checkbox" checked={redo} onChange={(e) => setRedo(e.target.checked)} />
          again: also images that already have machine-made masks
        </label>
      )}
      <button onClick={start} disabled={running} data-testid="preannotate-start">
        Start pre-annotation
      </button>
      <BatchProgress />
    </section>
  );
}

/** Progress of the batch under way (or the last one), with pause, resume and cancel. */
export function BatchProgress() {
  const { batch } = useApp();
  const progress = useStore(({ batch: b }) => b.progress);
  const mode = useStore(({ batch: b }) => b.mode);
  if (!progress) return null;
  const p = progress;
  const frac = (p.imagesDone + (p.step && p.step.total ? p.step.done / p.step.total : 0)) / Math.max(1, p.imagesTotal);
  const active = p.state === 'running' || p.state === 'waiting' || p.state === 'paused';
  return (
    <div className="batch" data-testid="batch-progress" data-state={p.state}>
      <progress max={1} value={Math.min(1, frac)} />
      <p>
        {mode ? MODE_LABEL[mode] : ''}: {p.imagesDone}/{p.imagesTotal} images · {p.masks} proposals · {seconds(p.elapsedMs)}
        {active && p.etaMs !== null ? ` · ETA ${seconds(p.etaMs)}` : ''}
      </p>
      {p.step && active && (
        <p className="muted">
          this image: {p.step.done}/{p.step.total} {mode === 'everything' ? 'points' : 'prompts'}
        </p>
      )}
      {p.state === 'waiting' && (
        <p className="muted" data-testid="batch-holdup" data-holdup={p.holdup ?? ''}>
          {p.holdup === 'encoder'
            ? 'waiting: the image you are shown comes first (its encoding, your first click)…'
            : 'waiting for you to pause (your clicks come first)…'}
        </p>
      )}
      {p.state === 'running' && p.phase === 'encoding' && (
        <p className="muted" data-testid="batch-phase">
          encoding image {Math.min(p.imagesDone + 1, p.imagesTotal)} of {p.imagesTotal}…
        </p>
      )}
      {p.state === 'error' && <p className="error">{p.error}</p>}
      {active && (
        <div className="row">
          {p.state === 'paused' ? (
            <button onClick={() => batch.resume()}>Resume</button>
          ) : (
            <button onClick={() => batch.pause()}>Pause</button>
          )}
          <button onClick={() => batch.cancel()}>Cancel</button>
        </div>
      )}
    </div>
  );
}

/** The shown image's proposals: where the review stands and its keys. */
export function ReviewBar() {
  const { store } = useApp();
  const annotations = useStore((s) => s.project.annotations);
  const imageId = useStore((s) => s.currentImageId);
  const selected = useStore((s) => s.selectedAnnotationId);
  const info = useMemo(() => {
    const idx = annotationIndex(annotations);
    const mine = annotationsOf(annotations, imageId);
    const queue = imageId === null ? [] : proposalsToReview(mine, imageId, idx.covered);
    const hidden = mine.filter((a) => idx.covered.has(a.id)).length;
    // covered proposals are proposals too: what is left to review is the rest
    const total = idx.pending - idx.covered.size;
    return { queue, hidden, total };
  }, [annotations, imageId]);
  const categories = useStore((s) => s.project.categories);
  if (info.queue.length === 0 && info.total === 0) return null;
  const i = info.queue.findIndex((a) => a.id === selected);
  const s = store.getState();
  const cur = i >= 0 ? info.queue[i]! : null;
  return (
    <section className="review" data-testid="review" data-pending={info.queue.length} data-hidden={info.hidden}>
      <h2>Review proposals</h2>
      <p>
        {info.queue.length
          ? i >= 0
            ? `Proposal ${i + 1} of ${info.queue.length} on this image`
            : `${info.queue.length} proposal(s) on this image`
          : 'No proposals left on this image'}
        {info.hidden ? ` · ${info.hidden} hidden (covered by accepted masks)` : ''} · {info.total} in the project
      </p>
      {cur && (
        <p data-testid="review-current">
          <b>{categories.find((c) => c.id === cur.categoryId)?.name ?? '?'}</b> #{cur.id} · score{' '}
          <b>{cur.score === null ? '—' : cur.score.toFixed(3)}</b> · {cur.area} px
        </p>
      )}
      <div className="row">
        <button disabled={i < 0} onClick={() => s.acceptProposal()}>
          Accept proposal <kbd>Enter</kbd>
        </button>
        <button disabled={i < 0} onClick={() => selected !== null && s.deleteAnnotation(selected)}>
          Reject proposal <kbd>Del</kbd>
        </button>
        <button disabled={info.queue.length === 0} onClick={() => s.stepProposal(1)}>
          Next proposal <kbd>N</kbd>
        </button>
      </div>
      <p className="muted">Fix with any tool (D brush, E eraser, or click for a new mask), relabel with 1–9.</p>
    </section>
  );
}

/** A labelled number input (the pre-annotation settings). */
function NumberField(props: {
  className: string;
  label: string;
  aria: string;
  value: number;
  onChange: (v: number) => void;
  min?: number;
  max?: number;
  step?: number;
  unit?: string;
}) {
  return (
    <label className={props.className}>
      {props.label}{' '}
      <input
        type="number"
        aria-label={props.aria}
        min={props.min}
        max={props.max}
        step={props.step}
        value={props.value}
        onChange={(e) => props.onChange(Number(e.target.value))}
      />
      {props.unit ? ` ${props.unit}` : ''}
    </label>
  );
}
