/**
 * `npm run family-models -- --out DIR`: writes the small SAM 2 test models (`tiny-sam2.encoder.onnx`,
 * `tiny-sam2.decoder.onnx`: SAM 2's exact signature, behaviour in closed form; see
 * src/node/familyModels.ts) for trying the SAM 2 path without SAM 2 weights, e.g.
 * `npm run preannotate -- --encoder DIR/tiny-sam2.encoder.onnx --decoder DIR/tiny-sam2.decoder.onnx ...`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tinySam2Models } from '../node/familyModels.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
if (!values.out) {
  process.stderr.write('usage: npm run family-models -- --out DIR\n');
  process.exit(2);
}
mkdirSync(values.out, { recursive: true });
const { encoder, decoder } = tinySam2Models();
writeFileSync(join(values.out, 'tiny-sam2.encoder.onnx'), encoder);
writeFileSync(join(values.out, 'tiny-sam2.decoder.onnx'), decoder);
process.stdout.write(`wrote ${join(values.out, 'tiny-sam2.encoder.onnx')} and ${join(values.out, 'tiny-sam2.decoder.onnx')}\n`);
