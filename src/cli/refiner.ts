/**
 * One object's interactive refinement in Node, as the app does it: prompts accumulate, each decode
 * gets the previous low-res logits as `mask_input` (feedback), one click offers SAM's candidates,
 * and after the first mask(s) the clicks are decoded on the embedding of a crop around the object
 * (zoom-in). The click robot (`npm run eval`) and the end-to-end tests' reference masks use it.
 */
import { maskAreaAndBbox } from '../core/sam/postprocess.ts';
import { rankCandidates, type MaskCandidate } from '../core/sam/candidates.ts';
import type { Prompts } from '../core/sam/prompts.ts';
import { pasteMask, type PixelRect } from '../core/sam/roi.ts';
import {
  cropCoversPrompts,
  promptsInCrop,
  rectSize,
  feedbackForFrame,
  wholeImage,
  zoomInCrop,
  type ZoomInOptions,
} from '../core/sam/zoomIn.ts';
import type { RgbaImage } from '../node/image.ts';
import type { NodeCandidates, NodeSam } from '../node/sam-node.ts';

export interface RefineOptions {
  /** feed the previous low-res logits back as `mask_input` */
  feedback: boolean;
  /** zoom-in refinement, or null for the whole image only */
  zoomIn: ZoomInOptions | null;
}

export interface RefineStep {
  mask: Uint8Array;
  /** SAM's candidates for this step, best predicted IoU first (empty when the prompts are unambiguous) */
  candidates: MaskCandidate[];
  /** the crop this step was decoded on, or null for the whole image */
  crop: PixelRect | null;
}

export class NodeRefiner {
  readonly prompts: Prompts = { points: [], box: null };
  /** the current mask (image px) and the low-res logits behind it, with the frame they are in */
  mask: Uint8Array | null = null;
  private lowRes: { logits: Float32Array; frame: PixelRect } | null = null;
  private crop: { roi: PixelRect; embedding: Float32Array } | null = null;
  private last: { candidates: NodeCandidates | null; frame: PixelRect } | null = null;
  /** seconds spent decoding, and encoding crops */
  decodeSeconds = 0;
  cropSeconds = 0;
  cropEncodes = 0;

  constructor(
    private readonly sam: NodeSam,
    private readonly image: RgbaImage,
    private readonly embedding: Float32Array,
    private readonly options: RefineOptions,
  ) {}

  /** Interactions so far: each click, and a box counts as one. */
  get interactions(): number {
    return this.prompts.points.length + (this.prompts.box ? 1 : 0);
  }

  /** The crop the next decode would use once encoded (the app encodes it in the background). */
  async prepareCrop(): Promise<void> {
    const z = this.options.zoomIn;
    if (!z || !this.mask || this.interactions < z.afterClicks) return;
    if (this.crop && cropCoversPrompts(this.crop.roi, this.prompts)) return;
    const box = maskAreaAndBbox(this.mask, this.image.width, this.image.height);
    const roi = zoomInCrop(box.area > 0 ? box.bbox : null, this.prompts, this.image, z);
    if (!roi) {
      this.crop = null;
      return;
    }
    const t = performance.now();
    this.crop = { roi, embedding: await this.sam.embedCrop(this.image, roi) };
    this.cropSeconds += (performance.now() - t) / 1000;
    this.cropEncodes++;
  }

  /** Decodes the current prompts (on the crop when there is one that covers them). */
  async decode(): Promise<RefineStep> {
    const z = this.options.zoomIn;
    if (z && this.interactions > z.afterClicks) await this.prepareCrop();
    const useCrop = this.crop && this.interactions > (z?.afterClicks ?? Infinity) && cropCoversPrompts(this.crop.roi, this.prompts);
    const frame = useCrop ? this.crop!.roi : wholeImage(this.image);
    const embedding = useCrop ? this.crop!.embedding : this.embedding;
    const size = rectSize(frame);
    const prompts = useCrop ? promptsInCrop(this.prompts, frame) : this.prompts;
    const maskInput = this.options.feedback
      ? feedbackForFrame(this.lowRes, frame, wholeImage(this.image), z?.cropFeedback, undefined, this.sam.family)
      : null;
    const t = performance.now();
    const r = await this.sam.decode(embedding, size, prompts, 'core', maskInput);
    const mask = useCrop ? pasteMask(r.mask, frame, this.image) : r.mask;
    this.decodeSeconds += (performance.now() - t) / 1000;
    this.mask = mask;
    this.lowRes = { logits: r.lowRes, frame };
    this.last = { candidates: r.candidates, frame };
    if (z && this.interactions === z.afterClicks) await this.prepareCrop();
    return {
      mask,
      candidates: r.candidates ? rankCandidates(r.candidates.ious, prompts, this.sam.family) : [],
      crop: useCrop ? frame : null,
    };
  }

  /** Replaces the current mask by another candidate of the last decode (and feeds that one back). */
  async choose(token: number): Promise<Uint8Array> {
    if (!this.last?.candidates) throw new Error('the last decode has no candidates');
    const frame = this.last.frame;
    const c = this.sam.candidateMask(this.last.candidates, token, rectSize(frame));
    const full = frame.x0 === 0 && frame.y0 === 0 && frame.x1 === this.image.width && frame.y1 === this.image.height;
    this.mask = full ? c.mask : pasteMask(c.mask, frame, this.image);
    this.lowRes = { logits: c.lowRes, frame };
    const z = this.options.zoomIn;
    // the crop follows the chosen mask
    if (z && this.interactions === z.afterClicks) {
      this.crop = null;
      await this.prepareCrop();
    }
    return this.mask;
  }

  /** The candidates' masks of the last decode (image px), by token. */
  candidateMasks(tokens: readonly number[]): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    if (!this.last?.candidates) return out;
    const frame = this.last.frame;
    const full = frame.x0 === 0 && frame.y0 === 0 && frame.x1 === this.image.width && frame.y1 === this.image.height;
    for (const t of tokens) {
      const m = this.sam.candidateMask(this.last.candidates, t, rectSize(frame)).mask;
      out.set(t, full ? m : pasteMask(m, frame, this.image));
    }
    return out;
  }
}
