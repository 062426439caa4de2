/**
 * The whole image, small, with the part in view outlined, while zoomed in past the window: a click
 * or drag on it moves the view there.
 */
import { useEffect, useRef } from 'react';
import type { Point, ViewTransform } from '../core/geometry.ts';

const WIDTH = 160;

export function Minimap({
  bitmap,
  image,
  view,
  stage,
  onCenter,
}: {
  bitmap: ImageBitmap | null;
  image: { width: number; height: number };
  view: ViewTransform;
  stage: { width: number; height: number };
  onCenter(p: Point): void;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const k = WIDTH / Math.max(image.width, image.height);
  const w = Math.max(1, Math.round(image.width * k));
  const h = Math.max(1, Math.round(image.height * k));
  // the visible part of the image, in image px
  const vx = -view.x / view.scale;
  const vy = -view.y / view.scale;
  const vw = stage.width / view.scale;
  const vh = stage.height / view.scale;
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, w, h);
    if (bitmap) ctx.drawImage(bitmap, 0, 0, w, h);
    ctx.strokeStyle = '#ffd400';
    ctx.lineWidth = 2;
    ctx.strokeRect(vx * k, vy * k, vw * k, vh * k);
  }, [bitmap, w, h, k, vx, vy, vw, vh]);
  const at = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    onCenter({ x: (e.clientX - r.left) / k, y: (e.clientY - r.top) / k });
  };
  return (
    <canvas
      ref={ref}
      className="minimap"
      data-testid="minimap"
      width={w}
      height={h}
      title="Click or drag to move the view"
      onPointerDown={(e) => {
        e.stopPropagation();
        e.currentTarget.setPointerCapture(e.pointerId);
        at(e);
      }}
      onPointerMove={(e) => {
        e.stopPropagation();
        if (e.buttons & 1) at(e);
      }}
      onPointerUp={(e) => e.stopPropagation()}
    />
  );
}
