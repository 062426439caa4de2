import { AppError } from '../../src/core/errors.ts';
import type { Prompts } from '../../src/core/sam/prompts.ts';
import type { EmbeddingStore } from './embeddings.ts';
import type { DecoderModel } from './model.ts';
import type { Exclusive } from './scheduler.ts';

/**
 * Benchmark reference: `session.run` of the decoder alone, `n` times, on an image's embedding (ms
 * each); the feeds are made before the clock starts, and each run waits its turn as a click does.
 */
export async function benchRaw(
  model: DecoderModel,
  store: EmbeddingStore,
  exclusive: Exclusive,
  imageId: number,
  n: number,
): Promise<number[]> {
  const { session } = model.loaded();
  const e = store.image(imageId);
  if (!e) throw new AppError('INFERENCE', `Image ${imageId} has no embedding yet.`);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    // a different point each run, like a user's clicks
    const prompts: Prompts = {
      points: [{ x: (((i * 37) % 97) / 97) * e.width, y: (((i * 53) % 89) / 89) * e.height, positive: true }],
      box: null,
    };
    const feeds = model.feeds(e, prompts, null);
    const t0 = performance.now();
    const out = await exclusive.run(0, () => session.run(feeds));
    times.push(performance.now() - t0);
    for (const t of Object.values(out)) t.dispose();
  }
  return times;
}
