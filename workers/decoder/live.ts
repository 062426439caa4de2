import * as Comlink from 'comlink';
import { AppError } from '../../src/core/errors.ts';
import { composeLiveMask, LiveComposite, paintStroke, type Stroke } from '../../src/core/mask/brush.ts';
import { maskOverlayRgba, maskOverlayRgbaInto, overlayRectOf, overlayScale, rgbFromHex } from '../../src/core/mask/render.ts';
import { maskFromRle, rleFromMask, type CocoRle } from '../../src/core/mask/rle.ts';
import { maskAreaAndBbox, maskFromLowResLogits } from '../../src/core/sam/postprocess.ts';
import { pasteMask, type PixelRect } from '../../src/core/sam/roi.ts';
import { rectSize } from '../../src/core/sam/zoomIn.ts';
import type { EditResult, LiveMaskData } from '../protocol.ts';
import { LIVE_ALPHA, toBitmap } from './bitmap.ts';

/** The newest decoded mask, kept here so the main thread never holds or scans its pixels. */
export interface Live {
  generation: number;
  imageId: number;
  /** model-space logits and their size; the full-size mask is made from them when first needed */
  logits: Float32Array;
  modelSize: { width: number; height: number };
  /** the image's size */
  width: number;
  height: number;
  /** the region the logits cover: the whole image, or a zoom-in crop (pasted back at full size) */
  frame: PixelRect;
  score: number;
  full: { mask: Uint8Array; area: number; bbox: [number, number, number, number] } | null;
}

export interface LiveStats {
  area: number;
  bbox: [number, number, number, number];
  approximate: boolean;
}

const isWhole = (l: Live) => l.frame.x0 === 0 && l.frame.y0 === 0 && l.frame.x1 === l.width && l.frame.y1 === l.height;

function fullMask(l: Live): NonNullable<Live['full']> {
  if (!l.full) {
    if (isWhole(l)) l.full = maskFromLowResLogits(l.logits, l.modelSize, l);
    else {
      const mask = pasteMask(maskFromLowResLogits(l.logits, l.modelSize, rectSize(l.frame)).mask, l.frame, l);
      l.full = { mask, ...maskAreaAndBbox(mask, l.width, l.height) };
    }
  }
  return l.full;
}

/** The manual edit of the shown image: a base mask (an annotation being edited) and brush strokes. */
interface Edit {
  imageId: number;
  width: number;
  height: number;
  base: Uint8Array | null;
  manual: Int8Array | null;
}

/**
 * The composed live mask of the edit and its overlay, kept between the pieces of strokes: a piece
 * composes and redraws only the pixels it touched and sends that patch of the overlay (a 24 MP photo
 * costs what the brush covers, not the whole image). Made again when the edit, the SAM mask under
 * it or the colour changes.
 */
interface EditView {
  /** which view a patch belongs to: it applies only over the overlay sent with the same id */
  id: number;
  edit: Edit;
  manual: Int8Array | null;
  live: Live | null;
  color: string;
  comp: LiveComposite;
  overlay: { data: Uint8ClampedArray<ArrayBuffer>; width: number; height: number };
}

const empty = (): EditResult => ({ overlay: null, patch: null, area: 0, bbox: [0, 0, 0, 0] });

/**
 * The live mask: the newest SAM mask, composed with the manual edit (base annotation, brush and
 * eraser strokes), and its overlays.
 */
export class LiveMask {
  private live: Live | null = null;
  private edit: Edit | null = null;
  private view: EditView | null = null;
  private views = 0;

  /** The newest decode's mask becomes the live one: its overlay (the edit composed in) and its area and box. */
  show(l: Live, color: string): { overlay: ImageBitmap; stats: LiveStats } {
    this.live = l;
    return this.samOverlay(l, color);
  }

  /** Forgets the SAM mask and the edit. */
  clear(): void {
    this.live = null;
    this.edit = null;
    this.view = null;
  }

  /** COCO RLE of the live mask of `generation`, or null if a newer mask replaced it. */
  rle(generation: number, withSam: boolean): LiveMaskData | null {
    const { live, edit } = this;
    if (withSam && (!live || live.generation !== generation)) return null;
    const score = withSam && live ? live.score : 0;
    if (edit && (!withSam || edit.imageId === live!.imageId) && this.hasEdit(edit.imageId)) {
      const mask = this.composed(edit, withSam);
      const { area, bbox } = maskAreaAndBbox(mask, edit.width, edit.height);
      return { rle: rleFromMask(mask, edit.width, edit.height), area, bbox, score };
    }
    if (!withSam || !live) return null;
    const { mask, area, bbox } = fullMask(live);
    return { rle: rleFromMask(mask, live.width, live.height), area, bbox, score };
  }

  recolor(imageId: number, color: string, withSam: boolean): EditResult {
    // an edit under way: its view made again in the colour (the SAM mask under it composed in)
    if (this.edit && this.edit.imageId === imageId) return this.editResult(this.edit, color, withSam);
    if (withSam && this.live && this.live.imageId === imageId) {
      const { overlay, stats } = this.samOverlay(this.live, color);
      return Comlink.transfer({ overlay, area: stats.area, bbox: stats.bbox }, [overlay]);
    }
    return { overlay: null, area: 0, bbox: [0, 0, 0, 0] };
  }

  editReset(imageId: number, width: number, height: number, base: CocoRle | null): void {
    this.edit = { imageId, width, height, base: base ? maskFromRle(base) : null, manual: null };
    // the previous edit's view (a full-size mask and overlay) is of no use any more
    this.view = null;
  }

  editStrokes(imageId: number, strokes: Stroke[], color: string, withSam: boolean): EditResult {
    const edit = this.editOf(imageId);
    edit.manual = strokes.length ? new Int8Array(edit.width * edit.height) : null;
    for (const st of strokes) paintStroke(edit.manual!, edit.width, edit.height, st);
    return this.editResult(edit, color, withSam);
  }

  editAddStroke(imageId: number, stroke: Stroke, color: string, withSam: boolean): EditResult {
    const edit = this.editOf(imageId);
    edit.manual ??= new Int8Array(edit.width * edit.height);
    const box = paintStroke(edit.manual, edit.width, edit.height, stroke);
    return this.editResult(edit, color, withSam, box ? { x0: box[0], y0: box[1], x1: box[2], y1: box[3] } : null);
  }

  private editOf(imageId: number): Edit {
    if (!this.edit || this.edit.imageId !== imageId) throw new AppError('INFERENCE', 'No edit under way for this image.');
    return this.edit;
  }

  private hasEdit(imageId: number): boolean {
    const edit = this.edit;
    return !!edit && edit.imageId === imageId && (edit.base !== null || edit.manual !== null);
  }

  /** The live mask of the edit, with the SAM mask when `withSam`. */
  private composed(e: Edit, withSam: boolean): Uint8Array {
    const live = this.live;
    const sam = withSam && live && live.imageId === e.imageId ? fullMask(live).mask : null;
    return composeLiveMask(sam, e.base, e.manual, e.width * e.height);
  }

  private editResult(e: Edit, color: string, withSam: boolean, touched: PixelRect | null = null): EditResult {
    const l = withSam && this.live && this.live.imageId === e.imageId ? this.live : null;
    const sam = l ? fullMask(l).mask : null;
    const v = this.view;
    if (touched && v && v.edit === e && v.manual === e.manual && v.live === l && v.color === color) {
      v.comp.update(sam, e.base, e.manual, touched);
      if (v.comp.area === 0 && !withSam) {
        this.view = null;
        return empty();
      }
      const rect = overlayRectOf(touched, e.width, e.height, v.overlay.width, v.overlay.height);
      maskOverlayRgbaInto(v.comp.mask, e.width, e.height, rgbFromHex(color), LIVE_ALPHA, v.overlay, rect);
      const w = rect.x1 - rect.x0;
      const h = rect.y1 - rect.y0;
      const data = new Uint8ClampedArray(w * h * 4);
      for (let y = 0; y < h; y++)
        data.set(
          v.overlay.data.subarray(((rect.y0 + y) * v.overlay.width + rect.x0) * 4, ((rect.y0 + y) * v.overlay.width + rect.x1) * 4),
          y * w * 4,
        );
      const bitmap = toBitmap({ data, width: w, height: h });
      return Comlink.transfer(
        { overlay: null, patch: { bitmap, x: rect.x0, y: rect.y0, view: v.id }, area: v.comp.area, bbox: v.comp.bbox() },
        [bitmap],
      );
    }
    const comp = new LiveComposite(e.width, e.height, sam, e.base, e.manual);
    if (comp.area === 0 && !withSam) {
      this.view = null;
      return empty();
    }
    const data = maskOverlayRgba(comp.mask, e.width, e.height, rgbFromHex(color), LIVE_ALPHA, overlayScale(e.width, e.height));
    const view: EditView = { id: ++this.views, edit: e, manual: e.manual, live: l, color, comp, overlay: data };
    this.view = view;
    const overlay = toBitmap(data);
    return Comlink.transfer({ overlay, view: view.id, patch: null, area: comp.area, bbox: comp.bbox() }, [overlay]);
  }

  /** The live overlay of a SAM mask (with the edit composed in, if any), and its area and box. */
  private samOverlay(l: Live, color: string): { overlay: ImageBitmap; stats: LiveStats } {
    const rgb = rgbFromHex(color);
    const k = overlayScale(l.width, l.height);
    if (this.hasEdit(l.imageId)) {
      const mask = this.composed(this.edit!, true);
      const st = maskAreaAndBbox(mask, l.width, l.height);
      return {
        overlay: toBitmap(maskOverlayRgba(mask, l.width, l.height, rgb, LIVE_ALPHA, k)),
        stats: { area: st.area, bbox: st.bbox, approximate: false },
      };
    }
    if (k === 1 || !isWhole(l)) {
      // a zoom-in crop's mask is pasted at full size first (the crop is small; its overlay is not)
      const full = fullMask(l);
      return {
        overlay: toBitmap(maskOverlayRgba(full.mask, l.width, l.height, rgb, LIVE_ALPHA, k)),
        stats: { area: full.area, bbox: full.bbox, approximate: false },
      };
    }
    // a large image: the overlay is made at its own (smaller) size straight from the logits, so the
    // click is answered without building the full-size mask; area and box are estimated from it
    const ow = Math.ceil(l.width * k);
    const oh = Math.ceil(l.height * k);
    const small = maskFromLowResLogits(l.logits, l.modelSize, { width: ow, height: oh });
    const sx = l.width / ow;
    const sy = l.height / oh;
    const [bx, by, bw, bh] = small.bbox;
    return {
      overlay: toBitmap(maskOverlayRgba(small.mask, ow, oh, rgb, LIVE_ALPHA)),
      stats: {
        area: Math.round(small.area * sx * sy),
        bbox: [Math.round(bx * sx), Math.round(by * sy), Math.round(bw * sx), Math.round(bh * sy)],
        approximate: true,
      },
    };
  }
}
