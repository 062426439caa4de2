import * as Comlink from 'comlink';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // settled by whichever comes first; later calls are no-ops on a settled promise
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** An encode's tensors for the decoder, their buffers transferred (not copied). */
export function transferred(r: { embedding: Float32Array; extra: Float32Array[] }): [Float32Array, Float32Array[]] {
  const embedding = Comlink.transfer(r.embedding, [r.embedding.buffer, ...r.extra.map((x) => x.buffer)]);
  return [embedding, r.extra];
}

/** A model error as thrown to callers: its message and hint. */
export function errorOf(err: { message: string; hint: string }): Error {
  return new Error(`${err.message} ${err.hint}`.trim());
}
