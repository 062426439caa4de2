/**
 * `npm run decoder-candidates -- IN.onnx OUT.onnx`
 *
 * Gives a SAM ONNX decoder (exported by segment-anything's scripts/export_onnx_model.py, or any
 * SAM-1-style export with the same selection) the outputs the app reads for mask candidates: every
 * mask's low-res logits and predicted IoU. The default outputs are unchanged. The app's build does
 * this for the bundled decoder; this command is for your own model files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { addCandidateOutputs, NoCandidatesError } from '../node/decoderCandidates.ts';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: npm run decoder-candidates -- IN.onnx OUT.onnx\n');
  process.exit(2);
}
try {
  const r = addCandidateOutputs(new Uint8Array(readFileSync(input)));
  writeFileSync(output, r.model);
  process.stdout.write(`${output}: candidate outputs added (from ${r.exposed.lowRes} and ${r.exposed.iou})\n`);
} catch (e) {
  const why =
    e instanceof NoCandidatesError
      ? `${input} cannot be given candidate outputs: ${e.message}.`
      : `${input}: ${e instanceof Error ? e.message : String(e)}`;
  process.stderr.write(
    `${why}\nGive a SAM ONNX decoder (inputs image_embeddings, point_coords, point_labels, mask_input, has_mask_input, orig_im_size).\n`,
  );
  process.exit(1);
}
