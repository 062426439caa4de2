import { describe, expect, it } from 'vitest';
import { handlesPosition } from './handlesPosition.ts';

const stage = { width: 800, height: 600 };
const own = { width: 300, height: 30 };
const view = { scale: 2, x: 0, y: 0 };

describe('where the selected mask’s handles go', () => {
  it('right of the mask where there is room', () => {
    // mask from x 100 to 150 (image px): 200..300 on screen; handles 6 px right of it
    expect(handlesPosition([100, 50, 50, 40], view, stage, own)).toEqual({ left: 306, top: 100 });
  });

  it('left of the mask when the right side has no room, against the canvas edge when neither has', () => {
    // mask 300..390 (600..780 on screen): 786 + 300 > 796; left of it: 600 - 6 - 300 = 294
    expect(handlesPosition([300, 50, 90, 40], view, stage, own)).toEqual({ left: 294, top: 100 });
    // a mask over the whole width: against the right edge, inside the canvas
    expect(handlesPosition([0, 50, 400, 40], view, stage, own)).toEqual({ left: 800 - 4 - 300, top: 100 });
  });

  it('never above or below the canvas', () => {
    expect(handlesPosition([100, -20, 50, 40], view, stage, own).top).toBe(4);
    expect(handlesPosition([100, 299, 50, 1], view, stage, own).top).toBe(600 - 4 - 30);
  });
});
