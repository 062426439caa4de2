import { encodeErrorForTransfer } from '../../src/core/errors.ts';

/**
 * A worker API whose every method turns what it throws (or its promise rejects with) into an error
 * that keeps its code and hint across comlink (see `encodeErrorForTransfer`). Results, transferables
 * included, pass through as they are.
 */
export function withTransferableErrors<T extends object>(api: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(api)) {
    if (typeof member !== 'function') {
      wrapped[name] = member;
      continue;
    }
    const fn = member as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]) => {
      let result: unknown;
      try {
        result = fn.apply(api, args);
      } catch (e) {
        throw encodeErrorForTransfer(e);
      }
      return result instanceof Promise
        ? result.catch((e: unknown) => {
            throw encodeErrorForTransfer(e);
          })
        : result;
    };
  }
  return wrapped as T;
}
