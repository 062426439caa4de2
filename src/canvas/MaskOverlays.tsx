/**
 * The accepted masks and proposals of the shown image: fills (drawn in the decoder worker, cropped to
 * each mask's box), outlines with a contrasting halo at a constant width on screen, labels, and the
 * hovered and selected masks highlighted. All outlines and labels are one Konva shape, so hundreds of
 * masks cost one node; fills are one image node each.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Group, Image as KImage, Layer, Shape } from 'react-konva';
import type { Context } from 'konva/lib/Context';
import type { Annotation, Category } from '../core/project/types.ts';
import { annotationColor, contrastingInk } from '../core/project/palette.ts';
import type { ViewTransform } from '../core/geometry.ts';
import type { CocoRle } from '../core/mask/rle.ts';
import type { RenderedMask } from '../../workers/protocol.ts';
import { annotationsOf } from '../core/project/annotationIndex.ts';
import { useAppStore, useStore } from '../state/useApp.tsx';
import { coveredProposals, isShown } from '../state/store/selectors.ts';

export interface MaskItem {
  a: Annotation;
  color: string;
  label: string;
}

/** A reviewer's decision in a mask's label: accepted, or rejected with the start of the comment. */
export function reviewLabel(mark: { decision: 'accept' | 'reject'; comment: string | null } | undefined): string {
  if (!mark) return '';
  if (mark.decision === 'accept') return ' ✓ accepted';
  const c = mark.comment ?? '';
  return ` ✗ rejected${c ? `: ${c.length > 40 ? `${c.slice(0, 39)}…` : c}` : ''}`;
}

/** The shown image's masks as drawn: not covered proposals, not hidden; with their colour and label. */
export function useMaskItems(imageId: number | null): MaskItem[] {
  const store = useAppStore();
  // this image's annotations only: an accept on another image (or 300,000 elsewhere) does not redo this
  const annotations = useStore((s) => annotationsOf(s.project.annotations, imageId));
  const categories = useStore((s) => s.project.categories);
  const colorBy = useStore((s) => s.display.colorBy);
  const visibility = useStore((s) => s.visibility);
  const peek = useStore((s) => s.peek);
  const marks = useStore((s) => s.reviewMarks);
  return useMemo(() => {
    const covered = coveredProposals(store.getState().project.annotations);
    const cats = new Map<number, Category>(categories.map((c) => [c.id, c]));
    return annotations
      .filter((a) => !covered.has(a.id) && isShown({ visibility, peek }, a))
      .map((a) => {
        const c = cats.get(a.categoryId);
        return {
          a,
          color: annotationColor(colorBy, a.trackId ?? a.id, c?.color),
          label: `${c?.name ?? '?'} #${a.id}${a.review === 'pending' ? ` ${(a.score ?? 0).toFixed(2)}` : ''}${reviewLabel(marks[a.id])}`,
        };
      });
  }, [store, annotations, categories, colorBy, visibility, peek, marks]);
}

interface Rendered {
  rle: CocoRle;
  color: string;
  r: RenderedMask;
}

/** Fills and outlines of masks, rendered in the decoder worker once per mask and colour, kept while shown. */
function useRendered(items: MaskItem[]): Map<number, RenderedMask> {
  const engine = useAppStore().deps.engine;
  const [cache] = useState(() => new Map<number, Rendered>());
  const [version, setVersion] = useState(0);
  // results that arrive together (a frame's several tracks) are drawn in one render, in the next animation frame
  const redraw = useRef(0);
  useEffect(() => {
    let alive = true;
    const drawSoon = () => {
      if (redraw.current === 0)
        redraw.current = requestAnimationFrame(() => {
          redraw.current = 0;
          setVersion((v) => v + 1);
        });
    };
    const keep = new Set(items.map((i) => i.a.id));
    for (const [id, r] of cache) {
      if (!keep.has(id)) {
        r.r.bitmap?.close();
        cache.delete(id);
      }
    }
    for (const it of items) {
      const have = cache.get(it.a.id);
      if (have && have.rle === it.a.segmentation && have.color === it.color) continue;
      engine.renderMask(it.a.segmentation, it.color).then(
        (r) => {
          if (!alive) return r.bitmap?.close();
          cache.get(it.a.id)?.r.bitmap?.close();
          cache.set(it.a.id, { rle: it.a.segmentation, color: it.color, r });
          drawSoon();
        },
        () => undefined,
      );
    }
    return () => {
      alive = false;
    };
  }, [items, cache, engine]);
  useEffect(
    () => () => {
      cancelAnimationFrame(redraw.current);
      redraw.current = 0;
      for (const r of cache.values()) r.r.bitmap?.close();
      cache.clear();
    },
    [cache],
  );
  return useMemo(() => {
    void version; // a render arrived: a new map
    const out = new Map<number, RenderedMask>();
    for (const it of items) {
      const r = cache.get(it.a.id);
      // a mask being re-rendered (new colour or edit) keeps its old drawing until the new one comes
      if (r) out.set(it.a.id, r.r);
    }
    return out;
  }, [items, cache, version]);
}

function tracePath(ctx: CanvasRenderingContext2D, rings: readonly number[][]): void {
  ctx.beginPath();
  for (const ring of rings) {
    if (ring.length < 4) continue;
    ctx.moveTo(ring[0]!, ring[1]!);
    for (let i = 2; i < ring.length; i += 2) ctx.lineTo(ring[i]!, ring[i + 1]!);
    ctx.closePath();
  }
}

/** Outline with a halo (a wider contrasting line under it), `width` in screen px. */
function strokeOutline(
  ctx: CanvasRenderingContext2D,
  rings: readonly number[][],
  color: string,
  width: number,
  scale: number,
  dashed: boolean,
): void {
  tracePath(ctx, rings);
  ctx.setLineDash(dashed ? [5 / scale, 4 / scale] : []);
  ctx.lineJoin = 'round';
  ctx.strokeStyle = contrastingInk(color) === '#000000' ? 'rgba(0,0,0,0.75)' : 'rgba(255,255,255,0.85)';
  ctx.lineWidth = (width + 2) / scale;
  ctx.stroke();
  ctx.strokeStyle = color;
  ctx.lineWidth = width / scale;
  ctx.stroke();
}

function drawLabel(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, color: string, scale: number): void {
  const size = 11 / scale;
  ctx.font = `${size}px system-ui, sans-serif`;
  const w = ctx.measureText(text).width + 6 / scale;
  const h = size + 4 / scale;
  const top = Math.max(0, y - h);
  ctx.setLineDash([]);
  ctx.fillStyle = color;
  ctx.fillRect(x, top, w, h);
  ctx.fillStyle = contrastingInk(color);
  ctx.textBaseline = 'top';
  ctx.fillText(text, x + 3 / scale, top + 2 / scale);
}

export function MaskOverlays({
  items,
  view,
  image,
  hoveredId,
  selectedId,
  editingId,
}: {
  items: MaskItem[];
  view: ViewTransform;
  image: { width: number; height: number };
  hoveredId: number | null;
  selectedId: number | null;
  editingId: number | null;
}) {
  const rendered = useRendered(items);
  const display = useStore((s) => s.display);
  const scale = view.scale;
  // the masks layer depends on the masks and the view only: hovering and selecting redraw the highlight layer alone
  const drawn = useMemo(() => items.filter((it) => it.a.id !== editingId && rendered.has(it.a.id)), [items, editingId, rendered]);
  const outlines = useCallback(
    (konvaCtx: Context) => {
      const ctx = konvaCtx._context;
      for (const { a, color } of drawn) strokeOutline(ctx, rendered.get(a.id)!.outline, color, 1.5, scale, a.review === 'pending');
      if (display.labels) for (const { a, color, label } of drawn) drawLabel(ctx, label, a.bbox[0], a.bbox[1], color, scale);
    },
    [drawn, rendered, scale, display.labels],
  );
  const highlight = drawn.filter((it) => it.a.id === hoveredId || it.a.id === selectedId);
  const selectedFill = drawn.find((it) => it.a.id === selectedId && !display.outlineOnly);
  return (
    <>
      <Layer listening={false} data-testid="masks-layer">
        <Group x={view.x} y={view.y} scaleX={scale} scaleY={scale}>
          {!display.outlineOnly &&
            drawn.map(({ a }) => {
              const r = rendered.get(a.id)!;
              if (!r.bitmap) return null;
              const opacity = Math.min(1, display.fillOpacity * (a.review === 'pending' ? 0.5 : 1));
              return (
                <KImage
                  key={a.id}
                  image={r.bitmap}
                  x={r.x}
                  y={r.y}
                  width={r.width}
                  height={r.height}
                  opacity={opacity}
                  imageSmoothingEnabled={false}
                  perfectDrawEnabled={false}
                />
              );
            })}
          <Shape perfectDrawEnabled={false} sceneFunc={outlines} width={image.width} height={image.height} />
        </Group>
      </Layer>
      <Layer listening={false}>
        <Group x={view.x} y={view.y} scaleX={scale} scaleY={scale}>
          {selectedFill && rendered.get(selectedFill.a.id)!.bitmap && (
            // the selected mask's fill, stronger
            <KImage
              image={rendered.get(selectedFill.a.id)!.bitmap!}
              x={rendered.get(selectedFill.a.id)!.x}
              y={rendered.get(selectedFill.a.id)!.y}
              width={rendered.get(selectedFill.a.id)!.width}
              height={rendered.get(selectedFill.a.id)!.height}
              opacity={Math.min(0.6, display.fillOpacity * 0.8)}
              imageSmoothingEnabled={false}
            />
          )}
          {highlight.length > 0 && (
            <Shape
              sceneFunc={(konvaCtx: Context) => {
                const ctx = konvaCtx._context;
                for (const { a, color } of highlight) {
                  const selected = a.id === selectedId;
                  strokeOutline(ctx, rendered.get(a.id)!.outline, selected ? '#ffffff' : color, selected ? 3 : 2.5, scale, false);
                  if (selected) strokeOutline(ctx, rendered.get(a.id)!.outline, color, 1.5, scale, false);
                }
              }}
            />
          )}
        </Group>
      </Layer>
    </>
  );
}
