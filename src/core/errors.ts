/** Machine-readable error codes; every user-facing failure carries one. */
export type ErrorCode =
  | 'IMAGE_EMPTY'
  | 'IMAGE_UNSUPPORTED'
  | 'IMAGE_DECODE'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_MISMATCH'
  | 'IMAGE_AMBIGUOUS'
  | 'IMPORT'
  | 'MODEL_FETCH'
  | 'MODEL_LOAD'
  | 'MODEL_SIGNATURE'
  | 'MODEL_STORAGE'
  | 'INFERENCE'
  | 'EXPORT';

/**
 * An error meant for the user: `message` says what is wrong, `hint` what to do next.
 * Plain data so it can cross a worker boundary (see {@link appErrorFromUnknown}).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  constructor(code: ErrorCode, message: string, hint = '') {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.hint = hint;
  }
}

export interface AppErrorData {
  code: ErrorCode | 'UNKNOWN';
  message: string;
  hint: string;
}

/** Normalizes anything thrown (including errors rebuilt by comlink) to plain data. */
export function appErrorFromUnknown(err: unknown): AppErrorData {
  if (err instanceof AppError) return { code: err.code, message: err.message, hint: err.hint };
  if (err && typeof err === 'object') {
    const o = err as { code?: unknown; message?: unknown; hint?: unknown };
    const message = typeof o.message === 'string' ? o.message : String(err);
    const decoded = decodeErrorMessage(message);
    if (decoded) return decoded;
    return {
      code: typeof o.code === 'string' ? (o.code as ErrorCode) : 'UNKNOWN',
      message,
      hint: typeof o.hint === 'string' ? o.hint : '',
    };
  }
  return { code: 'UNKNOWN', message: String(err), hint: '' };
}

const TAG = '\u0000apperror:';

/**
 * comlink re-creates thrown errors from name/message/stack only, so a worker encodes the code and hint
 * into the message with this and the caller decodes them with {@link appErrorFromUnknown}.
 */
export function encodeErrorForTransfer(err: unknown): Error {
  const data = appErrorFromUnknown(err);
  return new Error(TAG + JSON.stringify(data));
}

function decodeErrorMessage(message: string): AppErrorData | null {
  const at = message.indexOf(TAG);
  if (at < 0) return null;
  try {
    return JSON.parse(message.slice(at + TAG.length)) as AppErrorData;
  } catch {
    return null;
  }
}
