import { describe, expect, it } from 'vitest';
import { describeMismatch, familyOf, familyOfPair } from './families.ts';

const sam1Encoder = { inputNames: ['input'], outputNames: ['output'] };
const sam1Decoder = {
  inputNames: ['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size'],
  outputNames: ['masks', 'iou_predictions', 'low_res_masks', 'iou_predictions_all', 'low_res_masks_all'],
};
// the layout of the common SAM 2.1 exports (samexporter and alike)
const sam2Encoder = { inputNames: ['image'], outputNames: ['high_res_feats_0', 'high_res_feats_1', 'image_embed'] };
const sam2Decoder = {
  inputNames: ['image_embed', 'high_res_feats_0', 'high_res_feats_1', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input'],
  outputNames: ['masks', 'iou_predictions', 'low_res_masks'],
};

describe('model families by signature', () => {
  it('tells SAM 1 style and SAM 2 files apart by their inputs and outputs, with or without the optional ones', () => {
    expect(familyOf('encoder', sam1Encoder)).toBe('sam');
    // SAM ViT-H exports name the tensors otherwise: one image in, one embedding out is what counts
    expect(familyOf('encoder', { inputNames: ['images'], outputNames: ['image_embeddings'] })).toBe('sam');
    expect(familyOf('encoder', { inputNames: ['a', 'b'], outputNames: ['c'] })).toBeNull();
    expect(familyOf('decoder', sam1Decoder)).toBe('sam');
    expect(familyOf('encoder', sam2Encoder)).toBe('sam2');
    expect(familyOf('decoder', sam2Decoder)).toBe('sam2');
    expect(familyOf('decoder', { ...sam2Decoder, inputNames: [...sam2Decoder.inputNames, 'orig_im_size'] })).toBe('sam2');
    expect(familyOf('decoder', { inputNames: ['x'], outputNames: ['y'] })).toBeNull();
    expect(familyOfPair({ ...sam2Encoder, file: 'e.onnx' }, { ...sam2Decoder, file: 'd.onnx' })).toEqual({ family: 'sam2' });
  });

  it('names both files and both families when an encoder of one family meets a decoder of another', () => {
    const r = familyOfPair({ ...sam2Encoder, file: 'sam2.1_hiera_small.encoder.onnx' }, { ...sam1Decoder, file: 'sam_vit_b.decoder.onnx' });
    expect(r).toEqual({
      error:
        'sam2.1_hiera_small.encoder.onnx is a SAM 2 / 2.1 image predictor encoder but sam_vit_b.decoder.onnx is a SAM 1 style (SAM ViT-B/L/H, MobileSAM, the bundled model) decoder.',
      hint: 'Take the encoder and the decoder from the same model.',
    });
  });

  it('says what an unknown file lacks and what it has', () => {
    const r = familyOfPair(
      { ...sam2Encoder, file: 'enc.onnx' },
      { inputNames: ['image_embed', 'point_coords'], outputNames: ['masks'], file: 'half.onnx' },
    );
    expect('error' in r && r.error).toBe(
      'half.onnx is not a SAM-family decoder this app knows: as a SAM 2 / 2.1 image predictor decoder it lacks input high_res_feats_0, input high_res_feats_1, input point_labels, input mask_input, input has_mask_input, output iou_predictions (it has inputs image_embed, point_coords; outputs masks).',
    );
    expect('hint' in r && r.hint).toMatch(/sam2 repository/);
    expect(describeMismatch('encoder', sam1Encoder, 'sam2')).toMatch(/lacks input image, output high_res_feats_0/);
  });
});
