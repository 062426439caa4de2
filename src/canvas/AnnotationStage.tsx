import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Group, Image as KImage, Layer, Stage } from 'react-konva';
import { fitView, zoomViewAt, type Point, type ViewTransform } from '../core/geometry.ts';
import type { BoxPrompt } from '../core/sam/prompts.ts';
import { useApp, useAppStore, useStore } from '../state/useApp.tsx';
import type { ImageFile } from '../io/images.ts';
import { isEditable } from '../state/store/selectors.ts';
import { MaskOverlays, useMaskItems } from './MaskOverlays.tsx';
import { SelectionHandles } from './SelectionHandles.tsx';
import { Minimap } from './Minimap.tsx';
import { DraftShapes } from './DraftShapes.tsx';
import { useViewport } from './viewport.ts';
import { useElementSize } from './useElementSize.ts';
import { useStageKeys } from './useStageKeys.ts';
import { JobBanner } from './JobBanner.tsx';
import { downloadPercent } from '../state/store/selectors.ts';

const formatBytes = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
import { browserClock, CanvasTools, cursorFor } from './tools/canvasTools.ts';
import type { ToolContext, ToolPointer, ViewUpdate } from './tools/types.ts';

export { HOVER_REST_MS } from './tools/hover.ts';

export function AnnotationStage() {
  const { images, overlays } = useApp();
  const store = useAppStore();
  const containerRef = useRef<HTMLDivElement>(null);
  const size = useElementSize(containerRef);
  const imageId = useStore((s) => s.currentImageId);
  const image = useStore((s) => s.project.images.find((im) => im.id === s.currentImageId) ?? null);
  const prompts = useStore((s) => s.prompts);
  const tool = useStore((s) => s.tool);
  const missing = useStore((s) => s.currentImageId !== null && s.imageStatus[s.currentImageId] === 'missing');
  const download = useStore((s) => (s.currentImageId === null ? undefined : s.downloads[s.currentImageId]));
  const linked = useStore((s) => s.sync.project !== null);
  // the bitmap belongs to the image's file: another project's image can have the same id
  const file = useStore((s) => (s.currentImageId === null ? undefined : images.file(s.currentImageId)));
  const [loaded, setLoaded] = useState<{ file: ImageFile; full: ImageBitmap | null; preview: ImageBitmap } | null>(null);
  // the view fits the image until the user zooms or pans; a new image or a resize fits again
  const imgW = image?.width ?? 0;
  const imgH = image?.height ?? 0;
  const fitKey = `${imageId}:${imgW}x${imgH}:${size.width}x${size.height}`;
  const [userView, setUserView] = useState<{ key: string; view: ViewTransform } | null>(null);
  const view: ViewTransform = useMemo(
    () => (userView?.key === fitKey ? userView.view : imgW > 0 ? fitView({ width: imgW, height: imgH }, size) : { scale: 1, x: 0, y: 0 }),
    [userView, fitKey, imgW, imgH, size],
  );
  const setView = (v: ViewUpdate) =>
    setUserView((old) => {
      const base = old?.key === fitKey ? old.view : view;
      return { key: fitKey, view: typeof v === 'function' ? v(base) : v };
    });
  // a large photo is drawn from a downscaled copy until the zoom shows more pixels than the copy has
  const mine = loaded && file && loaded.file === file ? loaded : null;
  const needFull = mine !== null && view.scale * Math.max(imgW, imgH) > Math.max(mine.preview.width, mine.preview.height);
  const bitmap = mine ? (needFull && mine.full ? mine.full : mine.preview) : null;
  const [draft, setDraft] = useState<BoxPrompt | null>(null);
  const [draftStroke, setDraftStroke] = useState<number[] | null>(null);
  const [cursor, setCursor] = useState<Point | null>(null);
  const brushRadius = useStore((s) => s.brushRadius);
  const editingId = useStore((s) => s.editingAnnotationId);
  const allPending = useStore((s) => s.project.pendingBoxes);
  const categories = useStore((s) => s.project.categories);
  const pendingBoxes = useMemo(() => allPending.filter((b) => b.imageId === imageId), [allPending, imageId]);
  const spaceDown = useStageKeys(store);
  // the pointer's state machines (one per tool), kept for the stage's life
  const [tools] = useState(() => new CanvasTools());
  useSyncExternalStore(overlays.subscribe, overlays.getVersion);
  const live = overlays.getLive();
  const hover = overlays.getHover();
  const liveGeneration = live?.generation;
  useEffect(() => {
    if (liveGeneration === undefined) return;
    // Konva draws the layer in the next animation frame: measure prompt -> mask on screen (not cancelled
    // when the mask changes again: it was drawn all the same)
    requestAnimationFrame(() => {
      const start = `prompt:${liveGeneration}`;
      if (performance.getEntriesByName(start, 'mark').length === 0) return;
      performance.measure('click-to-mask', { start, detail: { generation: liveGeneration } });
      performance.clearMarks(start);
    });
  }, [liveGeneration]);
  const maskItems = useMaskItems(imageId);
  const selectedId = useStore((s) => s.selectedAnnotationId);
  const visibility = useStore((s) => s.visibility);
  const draftUnderWay = useStore(
    (s) => s.prompts.points.length > 0 || s.prompts.box !== null || s.strokes.length > 0 || s.editingAnnotationId !== null,
  );
  // what hovering and clicking can select: shown, unlocked masks of this image; with the points tool only
  // accepted ones (a click on a proposal makes a new mask there: the review's way to replace a wrong one)
  const selectable = useMemo(
    () =>
      maskItems.map((i) => i.a).filter((a) => isEditable({ visibility, peek: false }, a) && (tool === 'select' || a.review !== 'pending')),
    [maskItems, visibility, tool],
  );
  const [hoveredId, setHoveredId] = useState<number | null>(null);
  const waitingFor = useStore((s) => s.waitingFor);

  const viewport = useViewport();
  useEffect(() => {
    viewport.attach(containerRef.current);
  }, [viewport]);
  // fit (F) and 100 % (0), for the action table and the zoom bar
  const zoomTo = (kind: 'fit' | 'actual') => {
    if (kind === 'fit') setUserView(null);
    else setView((v) => zoomViewAt(v, { x: size.width / 2, y: size.height / 2 }, 1 / v.scale));
  };
  useEffect(() => {
    viewport.setZoom(zoomTo);
  });
  useEffect(() => {
    viewport.setView(view);
  }, [view, viewport]);

  useEffect(() => {
    let alive = true;
    if (imageId === null || !file) return;
    images.preview(imageId).then(
      (preview) => alive && setLoaded((old) => (old?.file === file ? old : { file, full: null, preview })),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [images, imageId, file]);

  useEffect(() => {
    if (!needFull || imageId === null || !file || mine?.full) return;
    let alive = true;
    images.bitmap(imageId).then(
      (full) => alive && setLoaded((old) => (old && old.file === file ? { ...old, full } : old)),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [images, needFull, imageId, file, mine?.full]);

  // what the tools see of this render, and act on
  const toolCtx: ToolContext = {
    store,
    tool,
    image,
    view,
    spaceDown,
    draftUnderWay,
    selectable,
    setView,
    setDraftBox: setDraft,
    setDraftStroke,
    setCursor,
    setHovered: setHoveredId,
    capture: (pointerId) => containerRef.current?.setPointerCapture(pointerId),
    clock: browserClock,
  };
  const local = (e: { clientX: number; clientY: number }): Point => {
    const r = containerRef.current!.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const pointer = (e: React.PointerEvent): ToolPointer => ({
    point: local(e),
    button: e.button,
    shiftKey: e.shiftKey,
    altKey: e.altKey,
    pointerId: e.pointerId,
    preventDefault: () => e.preventDefault(),
  });

  return (
    <div
      ref={containerRef}
      className="stage"
      data-testid="stage"
      data-hovered={hoveredId ?? ''}
      data-drawn-image={image && bitmap ? image.id : ''}
      style={{ cursor: cursorFor(tool, spaceDown, hoveredId !== null) }}
      data-hover-preview={hover && image && hover.imageId === image.id ? 'shown' : ''}
      onPointerLeave={() => tools.pointerLeave(toolCtx)}
      onPointerDown={(e) => tools.pointerDown(toolCtx, pointer(e))}
      onPointerMove={(e) => tools.pointerMove(toolCtx, pointer(e))}
      onPointerUp={(e) => tools.pointerUp(toolCtx, pointer(e))}
      onPointerCancel={() => tools.pointerCancel(toolCtx)}
      onWheel={(e) => tools.wheel(toolCtx, { point: local(e), deltaY: e.deltaY })}
      onContextMenu={(e) => e.preventDefault()}
    >
      <Stage width={size.width} height={size.height} listening={false}>
        {/* separate layers (canvases): a new mask or prompt never redraws the photo */}
        <Layer listening={false}>
          {image && bitmap && (
            <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
              <KImage image={bitmap} width={image.width} height={image.height} imageSmoothingEnabled={view.scale < 2} />
            </Group>
          )}
        </Layer>
        {image && (
          <MaskOverlays items={maskItems} view={view} image={image} hoveredId={hoveredId} selectedId={selectedId} editingId={editingId} />
        )}
        <Layer listening={false}>
          {image && (
            <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
              {hover?.bitmap && hover.imageId === image.id && !live && (
                <KImage image={hover.bitmap} width={image.width} height={image.height} imageSmoothingEnabled={false} />
              )}
              {live && live.imageId === image.id && (
                <KImage
                  image={live.bitmap}
                  width={image.width}
                  height={image.height}
                  imageSmoothingEnabled={false}
                  // a patch drew into the same canvas: a changed attribute makes Konva draw the layer again
                  patchVersion={live.version ?? 0}
                />
              )}
            </Group>
          )}
        </Layer>
        <Layer listening={false}>
          {image && (
            <DraftShapes
              view={view}
              tool={tool}
              draft={draft}
              box={prompts.box}
              points={prompts.points}
              pendingBoxes={pendingBoxes}
              categories={categories}
              draftStroke={draftStroke}
              cursor={cursor}
              brushRadius={brushRadius}
            />
          )}
        </Layer>
      </Stage>
      {image && <SelectionHandles view={view} stage={size} />}
      {image &&
        mine &&
        (view.x < -1 ||
          view.y < -1 ||
          view.x + image.width * view.scale > size.width + 1 ||
          view.y + image.height * view.scale > size.height + 1) && (
          <Minimap
            bitmap={mine.preview}
            image={image}
            view={view}
            stage={size}
            onCenter={(p) => setView((v) => ({ ...v, x: size.width / 2 - p.x * v.scale, y: size.height / 2 - p.y * v.scale }))}
          />
        )}
      {image && (
        <div className="zoom-bar" onPointerDown={(e) => e.stopPropagation()}>
          <span data-testid="zoom">{Math.round(view.scale * 100)} %</span>
          <button title="Fit the image to the window (F)" onClick={() => zoomTo('fit')}>
            Fit
          </button>
          <button title="100 %: one image pixel per screen pixel (0)" onClick={() => zoomTo('actual')}>
            1:1
          </button>
        </div>
      )}
      {image && waitingFor && (
        <div className="busy" data-testid="busy" data-waiting={waitingFor} role="status">
          <span className="spinner" />
          {waitingFor === 'model' ? 'Loading the model…' : waitingFor === 'encoding' ? 'Encoding this image…' : 'Segmenting…'}
          <span className="muted"> the mask clock is paused</span>
        </div>
      )}
      {image && <JobBanner />}
      {!image && <div className="stage-empty">Open images to start (or drop them here).</div>}
      {image && missing && download && (
        <div className="stage-empty" data-testid="image-download">
          <div>
            Downloading {image.fileName} from the server…{' '}
            {downloadPercent(download) !== null ? `${downloadPercent(download)} %` : formatBytes(download.loaded)}
            <br />
            <progress max={download.total || 1} value={download.total ? download.loaded : 0} />
          </div>
        </div>
      )}
      {image && missing && !download && (
        <div className="stage-empty">
          {image.sha256 && linked
            ? `${image.fileName} is on the server: it is downloaded when it is shown.`
            : `Open ${image.fileName} with “Open images” to see it; its annotations are kept.`}
        </div>
      )}
    </div>
  );
}
