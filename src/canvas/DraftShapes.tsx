/**
 * What is being drawn, in image px, on top of the masks: the box prompt (dashed while dragged), the boxes waiting
 * for the batch, the stroke being painted, the brush circle and the point prompts.
 */
import { Circle, Group, Line, Rect, Text } from 'react-konva';
import type { Point, ViewTransform } from '../core/geometry.ts';
import { normalizeBox, type BoxPrompt } from '../core/sam/prompts.ts';
import type { Category, PendingBox } from '../core/project/types.ts';
import type { Tool } from './tools/types.ts';

export function DraftShapes({
  view,
  tool,
  draft,
  box,
  points,
  pendingBoxes,
  categories,
  draftStroke,
  cursor,
  brushRadius,
}: {
  view: ViewTransform;
  tool: Tool;
  /** the box being dragged */
  draft: BoxPrompt | null;
  /** the box prompt */
  box: BoxPrompt | null;
  points: readonly { x: number; y: number; positive: boolean }[];
  pendingBoxes: readonly PendingBox[];
  categories: readonly Category[];
  draftStroke: number[] | null;
  cursor: Point | null;
  brushRadius: number;
}) {
  const r = 6 / view.scale;
  const shown = draft ?? box;
  const nb = shown ? normalizeBox(shown) : null;
  return (
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
      {points.map((p, i) => (
        <Group key={i} x={p.x} y={p.y}>
          <Circle radius={r} fill={p.positive ? '#1db954' : '#e53935'} stroke="#fff" strokeWidth={1.5 / view.scale} />
          <Line points={[-r * 0.55, 0, r * 0.55, 0]} stroke="#fff" strokeWidth={1.5 / view.scale} />
          {p.positive && <Line points={[0, -r * 0.55, 0, r * 0.55]} stroke="#fff" strokeWidth={1.5 / view.scale} />}
        </Group>
      ))}
    </Group>
  );
}
