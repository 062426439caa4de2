import { describe, expect, it } from 'vitest';
import {
  sam2ObjectProbability,
  addSam2Memory,
  EMPTY_SAM2_BANK,
  sam2AttentionFeeds,
  sam2MaskForMemory,
  sam2NoPromptFeeds,
  sam2VideoFlag,
  selectSam2Memories,
  selectSam2Pointers,
  type Sam2FrameMemory,
  type Sam2MemoryBank,
} from './sam2Memory.ts';
import { detectSam2VideoLayout, SAM2_VIDEO_LAYOUT, sam2VideoModelId } from './sam2VideoLayout.ts';

const PLANE = 64 * 4096;
/** temporal code row i: every channel i + 1 */
const CODE = Float32Array.from({ length: 7 * 64 }, (_, i) => Math.floor(i / 64) + 1);
const mem = (frame: number, cond = false): Sam2FrameMemory => ({
  frame,
  cond,
  features: new Float32Array(PLANE).fill(frame),
  posEnc: new Float32Array(PLANE).fill(0.5),
  objPtr: new Float32Array(256).fill(100 + frame),
});
const bankOf = (...ms: Sam2FrameMemory[]): Sam2MemoryBank => ms.reduce((b, m) => addSam2Memory(b, m, CODE), EMPTY_SAM2_BANK);

describe("SAM 2's memory bank", () => {
  it('attends to the conditioning frames and the 6 frames before, each with its temporal code row', () => {
    const bank = bankOf(mem(0, true), ...Array.from({ length: 9 }, (_, i) => mem(i + 1)));
    const sel = selectSam2Memories(bank, 10, 1);
    // conditioning frame 0 (row 6), then 6 back (frame 4, row 5) … 1 back (frame 9, row 0)
    expect(sel.map((s) => [s.memory.frame, s.temporalIndex])).toEqual([
      [0, 6],
      [4, 5],
      [5, 4],
      [6, 3],
      [7, 2],
      [8, 1],
      [9, 0],
    ]);
    // early frames: what exists; the conditioning frame is not counted again as a recent frame
    expect(selectSam2Memories(bank, 3, 1).map((s) => [s.memory.frame, s.temporalIndex])).toEqual([
      [0, 6],
      [1, 1],
      [2, 0],
    ]);
  });

  it('takes object pointers from the conditioning frames in the past and up to 15 frames back, with their offsets', () => {
    const bank = bankOf(mem(0, true), ...Array.from({ length: 9 }, (_, i) => mem(i + 1)));
    const p = selectSam2Pointers(bank, 10, 1, 30);
    expect(p.map((x) => x.memory.frame)).toEqual([0, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(p.map((x) => x.offset)).toEqual([10, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // at most 15 frames back (max_obj_ptrs_in_encoder 16)
    let long = bankOf(mem(0, true));
    for (let f = 1; f < 25; f++) long = addSam2Memory(long, mem(f), CODE);
    expect(selectSam2Pointers(long, 25, 1, 30).map((x) => x.memory.frame)).toEqual([
      0, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10,
    ]);
    // a conditioning frame ahead of the frame (tracking forward) is a memory but gives no pointer
    const ahead = bankOf(mem(0, true), mem(5, true), mem(1), mem(2));
    expect(selectSam2Memories(ahead, 3, 1).map((s) => s.memory.frame)).toEqual([0, 5, 1, 2]);
    expect(selectSam2Pointers(ahead, 3, 1, 10).map((x) => [x.memory.frame, x.offset])).toEqual([
      [0, 3],
      [2, 1],
      [1, 2],
    ]);
  });

  it('tracks backwards from a conditioning frame the same way, mirrored', () => {
    const bank = bankOf(mem(20, true), mem(19), mem(18), mem(17), mem(16), mem(15));
    expect(selectSam2Memories(bank, 14, -1).map((s) => [s.memory.frame, s.temporalIndex])).toEqual([
      [20, 6],
      [19, 4],
      [18, 3],
      [17, 2],
      [16, 1],
      [15, 0],
    ]);
    expect(selectSam2Pointers(bank, 14, -1, 30).map((x) => [x.memory.frame, x.offset])).toEqual([
      [20, 6],
      [15, 1],
      [16, 2],
      [17, 3],
      [18, 4],
      [19, 5],
    ]);
  });

  it('keeps conditioning frames and drops recent frames 16 or more frames away', () => {
    let bank = bankOf(mem(0, true));
    for (let f = 1; f <= 20; f++) bank = addSam2Memory(bank, mem(f), CODE);
    expect(bank.memories.map((m) => m.frame)).toEqual([0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    // a frame stored again replaces its memory
    bank = addSam2Memory(bank, { ...mem(20), features: new Float32Array(PLANE).fill(-1) }, CODE);
    expect(bank.memories.filter((m) => m.frame === 20).map((m) => m.features[0])).toEqual([-1]);
  });

  it('assembles memory_attention feeds: memories, their positions plus temporal codes, pointers and zero pointer positions', () => {
    const bank = bankOf(mem(0, true), mem(1), mem(2));
    const a = sam2AttentionFeeds(bank, 3, { direction: 1, numFrames: 10, objPtrOffsets: false })!;
    expect(a.memoryFrames).toEqual([0, 1, 2]);
    expect(a.pointerFrames).toEqual([0, 2, 1]);
    const f = a.feeds;
    expect(f['memory_1']!.dims).toEqual([3, 64, 64, 64]);
    expect([f['memory_1']!.data[0], f['memory_1']!.data[PLANE], f['memory_1']!.data[2 * PLANE]]).toEqual([0, 1, 2]);
    expect(f['memory_0']!.dims).toEqual([3, 256]);
    expect([f['memory_0']!.data[0], f['memory_0']!.data[256], f['memory_0']!.data[512]]).toEqual([100, 102, 101]);
    // 3 x 4096 memory rows + 4 rows per pointer
    expect(f['memory_pos_embed']!.dims).toEqual([3 * 4096 + 12, 1, 64]);
    const pos = f['memory_pos_embed']!.data;
    // conditioning frame: 0.5 + row 6 (7); frame 1 (2 back): 0.5 + row 1 (2); frame 2 (1 back): 0.5 + row 0 (1)
    expect([pos[5], pos[PLANE + 4095 * 64 + 63], pos[2 * PLANE + 7]]).toEqual([7.5, 2.5, 1.5]);
    expect([...pos.subarray(3 * PLANE)].every((v) => v === 0)).toBe(true);
    expect(f['obj_ptr_offsets']).toBeUndefined();

    const b = sam2AttentionFeeds(bank, 3, { direction: 1, numFrames: 10, objPtrOffsets: true })!;
    expect(b.feeds['memory_pos_embed']!.dims).toEqual([3 * 4096, 1, 64]);
    expect([...b.feeds['obj_ptr_offsets']!.data]).toEqual([3, 1, 2]);
    expect(b.feeds['obj_ptr_offsets']!.dims).toEqual([3]);
    expect(sam2AttentionFeeds(EMPTY_SAM2_BANK, 0, { direction: 1, numFrames: 10, objPtrOffsets: false })).toBeNull();
  });

  it('prompts a frame without prompts with one padding point labelled -1', () => {
    const f = sam2NoPromptFeeds();
    expect([...f.point_coords.data]).toEqual([0, 0]);
    expect(f.point_coords.dims).toEqual([1, 1, 2]);
    expect([...f.point_labels.data]).toEqual([-1]);
    expect(f.point_labels.dims).toEqual([1, 1]);
  });

  it("turns a given mask into the decoder's mask_for_mem: resized to the square, >= 0.5, sigmoid(±10)·20 − 10", () => {
    // 4 x 4, left half on, resized to 8 x 8: output column 3 samples 1.25 (0.75: on), column 4 samples 1.75 (0.25: off)
    const m = Uint8Array.from({ length: 16 }, (_, i) => (i % 4 < 2 ? 1 : 0));
    const out = sam2MaskForMemory(m, { width: 4, height: 4 }, 8);
    const on = (1 / (1 + Math.exp(-10))) * 20 - 10; // 9.99909…
    expect(on).toBeCloseTo(9.99909, 5);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(out[y * 8 + x]).toBeCloseTo(x < 4 ? on : -on, 5);
  });

  it('flags a frame lost on a non-positive object score or an empty mask, abrupt on a jump, else nothing', () => {
    const W = 20;
    const rect = (x0: number) => Uint8Array.from({ length: W * W }, (_, i) => (i % W >= x0 && i % W < x0 + 5 && i < W * 10 ? 1 : 0));
    expect(sam2VideoFlag(rect(2), rect(2), -0.5)).toBe('lost');
    expect(sam2VideoFlag(rect(2), new Uint8Array(W * W), null)).toBe('lost');
    expect(sam2VideoFlag(rect(2), rect(3), 3)).toBeNull();
    expect(sam2VideoFlag(rect(2), rect(12), null)).toBe('abrupt');
    expect(sam2VideoFlag(null, rect(12), null)).toBeNull();
  });
});

describe('the SAM 2 video graph layout', () => {
  const io = (role: keyof typeof SAM2_VIDEO_LAYOUT, file = SAM2_VIDEO_LAYOUT[role].file) => ({
    file,
    inputNames: [...SAM2_VIDEO_LAYOUT[role].inputs],
    outputNames: [...SAM2_VIDEO_LAYOUT[role].outputs],
  });

  it('tells the four graphs apart by their names, whatever the files are called', () => {
    const files = [io('memoryEncoder', 'c.onnx'), io('decoder', 'a.onnx'), io('encoder', 'z.onnx'), io('memoryAttention', 'b.onnx')];
    expect(detectSam2VideoLayout(files)).toEqual({
      layout: {
        encoder: 'z.onnx',
        decoder: 'a.onnx',
        memoryAttention: 'b.onnx',
        memoryEncoder: 'c.onnx',
        objPtrOffsets: false,
        objectScore: false,
      },
    });
    const objptr = {
      ...io('memoryAttention', 'memory_attention_objptr.onnx'),
      inputNames: [...SAM2_VIDEO_LAYOUT.memoryAttention.inputs, 'obj_ptr_offsets'],
    };
    const scored = { ...io('decoder'), outputNames: [...SAM2_VIDEO_LAYOUT.decoder.outputs, 'object_score_logits'] };
    const r = detectSam2VideoLayout([io('encoder'), scored, objptr, io('memoryEncoder')]);
    expect('layout' in r && [r.layout.objPtrOffsets, r.layout.objectScore]).toEqual([true, true]);
  });

  it('prefers the exporter’s file name when several files fit, and says which when none does', () => {
    // the exporter's folder also holds a prompt-free decoder and a box decoder: neither fits
    const box = { file: 'image_decoder_box.onnx', inputNames: [...SAM2_VIDEO_LAYOUT.decoder.inputs], outputNames: ['pred_mask'] };
    const copy = io('decoder', 'dir/copy.onnx');
    const r = detectSam2VideoLayout([
      io('encoder'),
      box,
      copy,
      io('decoder', 'dir/image_decoder.onnx'),
      io('memoryAttention'),
      io('memoryEncoder'),
    ]);
    expect('layout' in r && r.layout.decoder).toBe('dir/image_decoder.onnx');
    const two = detectSam2VideoLayout([io('encoder'), copy, io('decoder', 'other.onnx'), io('memoryAttention'), io('memoryEncoder')]);
    expect('error' in two && two.error).toContain('several files are a mask decoder');
  });

  it('refuses a folder without a graph, naming what the closest file lacks and what it cannot be fed', () => {
    const lite = {
      file: 'memory_encoder_lite.onnx',
      inputNames: ['mask_for_mem', 'pix_feat'],
      outputNames: ['maskmem_features', 'maskmem_pos_enc'],
    };
    // Aimol-l's first decoder also takes frame_size
    const aimol = { ...io('decoder', 'image_decoder.onnx'), inputNames: [...SAM2_VIDEO_LAYOUT.decoder.inputs, 'frame_size'] };
    const r = detectSam2VideoLayout([io('encoder'), aimol, io('memoryAttention'), lite]);
    expect('error' in r).toBe(true);
    if (!('error' in r)) return;
    expect(r.error).toContain('no file is a memory encoder');
    expect(r.error).toContain('memory_encoder_lite.onnx, lacks output temporal_code');
    expect(r.error).toContain('image_decoder.onnx, has unexpected input frame_size');
    expect(r.hint).toContain('pagarcia/sam2-onnx-cpp');
    expect(detectSam2VideoLayout([io('encoder')])).toMatchObject({ error: expect.stringContaining('no file is a memory attention') });
  });

  it("names the memory model by the graphs' folder, and records its object score as a probability", () => {
    expect(sam2VideoModelId('/models/sam2.1_hiera_tiny/image_encoder.onnx')).toBe('sam2-video:sam2.1_hiera_tiny');
    expect(sam2VideoModelId('C:\\onnx\\sam2_small\\image_encoder.onnx')).toBe('sam2-video:sam2_small');
    expect(sam2VideoModelId('my_encoder.ONNX')).toBe('sam2-video:my_encoder');
    expect(sam2VideoModelId('/org/sam2.1-tiny-onnx/resolve/main/image_encoder.onnx')).toBe('sam2-video:sam2.1-tiny-onnx');
    expect(sam2ObjectProbability(null)).toBeNull();
    expect(sam2ObjectProbability(0)).toBe(0.5);
    expect(sam2ObjectProbability(Math.log(3))).toBeCloseTo(0.75, 12);
    expect(sam2ObjectProbability(-Math.log(3))).toBeCloseTo(0.25, 12);
  });
});
