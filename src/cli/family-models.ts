/**
 * `npm run family-models -- --out DIR`: writes the small SAM 2 test models (`tiny-sam2.encoder.onnx`,
 * `tiny-sam2.decoder.onnx` with `low_res_masks`, and `tiny-sam2-samexporter.decoder.onnx` laid out as
 * samexporter's export: SAM 2's exact signatures, behaviour in closed form; see
 * src/node/familyModels.ts) for trying the SAM 2 path without SAM 2 weights, e.g.
 * `npm run preannotate -- --encoder DIR/tiny-sam2.encoder.onnx --decoder DIR/tiny-sam2.decoder.onnx ...`;
 * and, in `DIR/sam2-video/`, SAM 2's four video graphs in pagarcia/sam2-onnx-cpp's layout (src/node/sam2VideoModels.ts)
 * for `npm run track -- --sam2-video DIR/sam2-video ...`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tinySam2Models } from '../node/familyModels.ts';
import { tinySam2VideoModels } from '../node/sam2VideoModels.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
if (!values.out) {
  process.stderr.write('usage: npm run family-models -- --out DIR\n');
  process.exit(2);
}
mkdirSync(values.out, { recursive: true });
const { encoder, decoder } = tinySam2Models();
const written: Record<string, Uint8Array> = {
  'tiny-sam2.encoder.onnx': encoder,
  'tiny-sam2.decoder.onnx': decoder,
  'tiny-sam2-samexporter.decoder.onnx': tinySam2Models('samexporter').decoder,
};
for (const [name, bytes] of Object.entries(tinySam2VideoModels())) written[`sam2-video/${name}`] = bytes;
mkdirSync(join(values.out, 'sam2-video'), { recursive: true });
for (const [name, bytes] of Object.entries(written)) writeFileSync(join(values.out, name), bytes);
process.stdout.write(
  `wrote ${Object.keys(written)
    .map((n) => join(values.out!, n))
    .join(', ')}\n`,
);
