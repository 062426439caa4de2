import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Circle, Group, Image as KImage, Layer, Line, Rect, Stage, Text } from 'react-konva';
import { fitView, screenToImage, zoomViewAt, clampToImage, type Point, type ViewTransform } from '../core/geometry.ts';
import { normalizeBox, type BoxPrompt } from '../core/sam/prompts.ts';
import type { Stroke } from '../core/mask/brush.ts';
import { overlays } from '../inference/overlays.ts';
import { imageBitmap, imageBlob, imagePreview } from '../io/images.ts';
import { useStore } from '../state/store/store.ts';
import { isEditable } from '../state/store/selectors.ts';
import { masksAt, nextAt } from '../core/mask/hitTest.ts';
import { MaskOverlays, useMaskItems } from './MaskOverlays.tsx';
import { SelectionHandles } from './SelectionHandles.tsx';
import { Minimap } from './Minimap.tsx';
import { viewport } from './viewport.ts';

const DRAG_THRESHOLD_PX = 4;
/** the pointer rests this long before the mask under it is previewed */
export const HOVER_REST_MS = 80;
/** a click this close (screen px) to the previewed point takes the preview */
const HOVER_SNAP_PX = 4;

function useElementSize(ref: React.RefObject<HTMLDivElement | null>): { width: number; height: number } {
  const [size, setSize] = useState({ width: 800, height: 600 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    setSize({ width: el.clientWidth, height: el.clientHeight });
    return () => ro.disconnect();
  }, [ref]);
  return size;
}

export function AnnotationStage() {
  const containerRef = useRef<HTMLDivElement>(null);
  const size = useElementSize(containerRef);
  const imageId = useStore((s) => s.currentImageId);
  const image = useStore((s) => s.project.images.find((im) => im.id === s.currentImageId) ?? null);
  const prompts = useStore((s) => s.prompts);
  const tool = useStore((s) => s.tool);
  const missing = useStore((s) => s.currentImageId !== null && s.imageStatus[s.currentImageId] === 'missing');
  // the bitmap belongs to the image's file: another project's image can have the same id
  const file = useStore((s) => (s.currentImageId === null ? undefined : imageBlob(s.currentImageId)?.blob));
  const [loaded, setLoaded] = useState<{ file: Blob; full: ImageBitmap | null; preview: ImageBitmap } | null>(null);
  // the view fits the image until the user zooms or pans; a new image or a resize fits again
  const imgW = image?.width ?? 0;
  const imgH = image?.height ?? 0;
  const fitKey = `${imageId}:${imgW}x${imgH}:${size.width}x${size.height}`;
  const [userView, setUserView] = useState<{ key: string; view: ViewTransform } | null>(null);
  const view: ViewTransform = useMemo(
    () => (userView?.key === fitKey ? userView.view : imgW > 0 ? fitView({ width: imgW, height: imgH }, size) : { scale: 1, x: 0, y: 0 }),
    [userView, fitKey, imgW, imgH, size],
  );
  const setView = (v: ViewTransform | ((old: ViewTransform) => ViewTransform)) =>
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
  const stroke = useRef<{ stroke: Stroke; pending: number[]; lastSent: number[]; frame: number } | null>(null);
  const flushStrokeOf = (st: { stroke: Stroke; pending: number[]; lastSent: number[]; frame: number }) => {
    if (st.pending.length === 0) return;
    useStore.getState().strokeProgress({ mode: st.stroke.mode, radius: st.stroke.radius, points: [...st.lastSent, ...st.pending] });
    st.pending = [];
  };
  const [spaceDown, setSpaceDown] = useState(false);
  const gesture = useRef<{
    kind: 'pan' | 'press' | 'stroke';
    start: Point;
    view: ViewTransform;
    button: number;
    shift: boolean;
    moved: boolean;
  } | null>(null);
  useSyncExternalStore(overlays.subscribe, overlays.getVersion);
  const live = overlays.getLive();
  const hover = overlays.getHover();
  const hoverTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  /** the pointer rested: preview the mask a click there would give */
  const restAt = (ip: Point | null) => {
    if (hoverTimer.current) clearTimeout(hoverTimer.current);
    hoverTimer.current = null;
    if (!ip) return;
    hoverTimer.current = setTimeout(() => {
      hoverTimer.current = null;
      useStore.getState().hoverAt(ip);
    }, HOVER_REST_MS);
  };
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
  /** the tool picks masks with this pointer event: select tool, or points with nothing drafted (Alt places a point) */
  const picks = (e: { altKey: boolean }) => tool === 'select' || (tool === 'points' && !draftUnderWay && !e.altKey);

  useEffect(() => {
    viewport.element = containerRef.current;
  }, []);
  // fit (F) and 100 % (0), for the action table and the zoom bar
  const zoomTo = (kind: 'fit' | 'actual') => {
    if (kind === 'fit') setUserView(null);
    else setView((v) => zoomViewAt(v, { x: size.width / 2, y: size.height / 2 }, 1 / v.scale));
  };
  useEffect(() => {
    viewport.zoom = zoomTo;
  });
  useEffect(() => {
    viewport.view = view;
  }, [view]);

  useEffect(() => {
    let alive = true;
    if (imageId === null || !file) return;
    imagePreview(imageId).then(
      (preview) => alive && setLoaded((old) => (old?.file === file ? old : { file, full: null, preview })),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [imageId, file]);

  useEffect(() => {
    if (!needFull || imageId === null || !file || mine?.full) return;
    let alive = true;
    imageBitmap(imageId).then(
      (full) => alive && setLoaded((old) => (old && old.file === file ? { ...old, full } : old)),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [needFull, imageId, file, mine?.full]);

  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      // hold H: every mask hidden, to see the photo under them
      if (
        (e.key === 'h' || e.key === 'H') &&
        !e.ctrlKey &&
        !e.metaKey &&
        !(e.target instanceof HTMLInputElement) &&
        !document.querySelector('[aria-modal="true"]')
      )
        useStore.getState().setPeek(true);
      if (e.code === 'Space' && !(e.target instanceof HTMLInputElement) && !document.querySelector('[aria-modal="true"]')) {
        setSpaceDown(true);
        e.preventDefault();
      }
    };
    const up = (e: KeyboardEvent) => {
      if (e.code === 'Space') setSpaceDown(false);
      if (e.key === 'h' || e.key === 'H') useStore.getState().setPeek(false);
    };
    const blur = () => useStore.getState().setPeek(false);
    window.addEventListener('blur', blur);
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
    };
  }, []);

  const local = (e: React.PointerEvent | React.WheelEvent | PointerEvent): Point => {
    const r = containerRef.current!.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };

  /** Sends the points gathered since the last frame to the worker as one piece of the stroke. */
  const flushStroke = () => {
    const st = stroke.current;
    if (!st) return;
    st.frame = 0;
    if (st.pending.length === 0) return;
    const piece: Stroke = { mode: st.stroke.mode, radius: st.stroke.radius, points: [...st.lastSent, ...st.pending] };
    st.lastSent = st.pending.slice(-2);
    st.pending = [];
    useStore.getState().strokeProgress(piece);
  };

  const onPointerDown = (e: React.PointerEvent) => {
    if (!image) return;
    restAt(null);
    containerRef.current?.setPointerCapture(e.pointerId);
    const p = local(e);
    const pan = e.button === 1 || (e.button === 0 && spaceDown);
    if (!pan && e.button === 0 && (tool === 'brush' || tool === 'eraser')) {
      const ip = screenToImage(p, view);
      const st = useStore.getState();
      st.beginStroke();
      const s: Stroke = { mode: tool === 'brush' ? 'add' : 'remove', radius: st.brushRadius, points: [ip.x, ip.y] };
      stroke.current = { stroke: s, pending: [], lastSent: [ip.x, ip.y], frame: 0 };
      st.strokeProgress({ ...s, points: [ip.x, ip.y] });
      setDraftStroke(s.points);
      gesture.current = { kind: 'stroke', start: p, view, button: 0, shift: false, moved: false };
      return;
    }
    gesture.current = { kind: pan ? 'pan' : 'press', start: p, view, button: e.button, shift: e.shiftKey, moved: false };
    if (pan) e.preventDefault();
  };

  const onPointerMove = (e: React.PointerEvent) => {
    const g = gesture.current;
    if (image && (tool === 'brush' || tool === 'eraser')) setCursor(screenToImage(local(e), view));
    if (image && !g) {
      const ip = screenToImage(local(e), view);
      const hit = picks(e) ? (masksAt(selectable, ip.x, ip.y)[0]?.id ?? null) : null;
      if (hit !== hoveredId) setHoveredId(hit);
      // hover preview: points tool, nothing drafted, on the photo and not on a mask a click would select
      const inside = ip.x >= 0 && ip.y >= 0 && ip.x < image.width && ip.y < image.height;
      const previewable = tool === 'points' && !draftUnderWay && inside && hit === null && !spaceDown;
      const shown = useStore.getState().hoverPoint;
      if (shown && Math.hypot(shown.x - ip.x, shown.y - ip.y) * view.scale > HOVER_SNAP_PX) useStore.getState().hoverAt(null);
      restAt(previewable ? { x: ip.x, y: ip.y } : null);
      if (!previewable && shown) useStore.getState().hoverAt(null);
    }
    if (!g || !image) return;
    const p = local(e);
    if (g.kind === 'stroke' && stroke.current) {
      const ip = screenToImage(p, view);
      const st = stroke.current;
      st.stroke.points.push(ip.x, ip.y);
      st.pending.push(ip.x, ip.y);
      // one worker update per frame, however many pointer events arrive
      st.frame ||= requestAnimationFrame(flushStroke);
      setDraftStroke([...st.stroke.points]);
      return;
    }
    if (Math.hypot(p.x - g.start.x, p.y - g.start.y) > DRAG_THRESHOLD_PX) g.moved = true;
    if (g.kind === 'pan') {
      setView({ ...g.view, x: g.view.x + p.x - g.start.x, y: g.view.y + p.y - g.start.y });
    } else if (tool === 'box' && g.button === 0 && g.moved) {
      const a = clampToImage(screenToImage(g.start, view), image);
      const b = clampToImage(screenToImage(p, view), image);
      setDraft({ x0: a.x, y0: a.y, x1: b.x, y1: b.y });
    }
  };

  const onPointerUp = (e: React.PointerEvent) => {
    const g = gesture.current;
    gesture.current = null;
    if (!g || !image) return;
    if (g.kind === 'stroke') {
      const st = stroke.current;
      stroke.current = null;
      if (st) {
        if (st.frame) cancelAnimationFrame(st.frame);
        flushStrokeOf(st);
        useStore.getState().endStroke(st.stroke);
      }
      setDraftStroke(null);
      return;
    }
    if (g.kind === 'pan') {
      const p = local(e);
      setView({ ...g.view, x: g.view.x + p.x - g.start.x, y: g.view.y + p.y - g.start.y });
      return;
    }
    const st = useStore.getState();
    if (tool === 'box' && g.button === 0 && g.moved && draft) {
      const b = normalizeBox(draft);
      setDraft(null);
      if (b.x1 - b.x0 >= 1 && b.y1 - b.y0 >= 1) {
        // "boxes first": the box waits for the batch (pre-annotation) instead of prompting SAM now
        if (st.boxesFirst) st.addPendingBox(b);
        else st.setBox(b);
      }
      return;
    }
    setDraft(null);
    if (g.moved) return;
    const ip = screenToImage(local(e), view);
    if (ip.x < 0 || ip.y < 0 || ip.x >= image.width || ip.y >= image.height) return;
    if (g.button === 0 && picks(e)) {
      // a click on a mask selects it; clicking again where masks overlap goes through them in turn
      const hit = nextAt(selectable, ip.x, ip.y, st.selectedAnnotationId);
      if (hit || tool === 'select') {
        st.selectAnnotation(hit?.id ?? null);
        return;
      }
    }
    if (tool === 'select') return;
    // a click where the hover preview was decoded (within a few screen px) is that point: its mask is shown at once
    const h = st.hoverPoint;
    if (g.button === 0 && !g.shift && h && Math.hypot(h.x - ip.x, h.y - ip.y) * view.scale <= HOVER_SNAP_PX) st.addPoint(h.x, h.y, true);
    else if (g.button === 0) st.addPoint(ip.x, ip.y, !g.shift);
    else if (g.button === 2) st.addPoint(ip.x, ip.y, false);
  };

  const onWheel = (e: React.WheelEvent) => {
    if (!image) return;
    const factor = Math.exp(-e.deltaY * 0.0015);
    setView((v) => zoomViewAt(v, local(e), factor));
  };

  const r = 6 / view.scale;
  const box = draft ?? prompts.box;
  const nb = box ? normalizeBox(box) : null;
  return (
    <div
      ref={containerRef}
      className="stage"
      data-testid="stage"
      data-hovered={hoveredId ?? ''}
      style={{
        cursor: spaceDown
          ? 'grab'
          : tool === 'brush' || tool === 'eraser'
            ? 'none'
            : hoveredId !== null
              ? 'pointer'
              : tool === 'select'
                ? 'default'
                : 'crosshair',
      }}
      data-hover-preview={hover && image && hover.imageId === image.id ? 'shown' : ''}
      onPointerLeave={() => {
        setCursor(null);
        setHoveredId(null);
        restAt(null);
        if (useStore.getState().hoverPoint) useStore.getState().hoverAt(null);
      }}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onWheel={onWheel}
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
            <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
              {nb && (
                <Rect
                  x={nb.x0}
                  y={nb.y0}
                  width={nb.x1 - nb.x0}
                  height={nb.y1 - nb.y0}
                  stroke="#ffd400"
                  strokeWidth={2 / view.scale}
                  dash={draft ? [6 / view.scale, 4 / view.scale] : []}
                />
              )}
              {pendingBoxes.map((b) => {
                const c = categories.find((x) => x.id === b.categoryId);
                const color = c?.color ?? '#ffffff';
                return (
                  <Group key={`pending-${b.id}`}>
                    <Rect
                      x={b.bbox[0]}
                      y={b.bbox[1]}
                      width={b.bbox[2]}
                      height={b.bbox[3]}
                      stroke={color}
                      strokeWidth={1.5 / view.scale}
                      dash={[5 / view.scale, 4 / view.scale]}
                    />
                    <Text
                      x={b.bbox[0]}
                      y={b.bbox[1] - 14 / view.scale}
                      text={`${c?.name ?? '?'} (box)`}
                      fontSize={11 / view.scale}
                      fill={color}
                      shadowColor="#000"
                      shadowBlur={2}
                      shadowOpacity={0.9}
                    />
                  </Group>
                );
              })}
              {draftStroke && (
                <Line
                  points={draftStroke.length === 2 ? [...draftStroke, draftStroke[0]! + 0.01, draftStroke[1]!] : draftStroke}
                  stroke={tool === 'eraser' ? 'rgba(229,57,53,0.45)' : 'rgba(29,185,84,0.45)'}
                  strokeWidth={2 * brushRadius}
                  lineCap="round"
                  lineJoin="round"
                />
              )}
              {cursor && (tool === 'brush' || tool === 'eraser') && (
                <Circle
                  x={cursor.x}
                  y={cursor.y}
                  radius={brushRadius}
                  stroke={tool === 'eraser' ? '#e53935' : '#ffffff'}
                  strokeWidth={1.5 / view.scale}
                  dash={tool === 'eraser' ? [4 / view.scale, 3 / view.scale] : []}
                />
              )}
              {prompts.points.map((p, i) => (
                <Group key={i} x={p.x} y={p.y}>
                  <Circle radius={r} fill={p.positive ? '#1db954' : '#e53935'} stroke="#fff" strokeWidth={1.5 / view.scale} />
                  <Line points={[-r * 0.55, 0, r * 0.55, 0]} stroke="#fff" strokeWidth={1.5 / view.scale} />
                  {p.positive && <Line points={[0, -r * 0.55, 0, r * 0.55]} stroke="#fff" strokeWidth={1.5 / view.scale} />}
                </Group>
              ))}
            </Group>
          )}
        </Layer>
      </Stage>
      {image && <SelectionHandles view={view} />}
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
      {!image && <div className="stage-empty">Open images to start (or drop them here).</div>}
      {image && missing && <div className="stage-empty">Open {image.fileName} with “Open images” to see it; its annotations are kept.</div>}
    </div>
  );
}
