/**
 * The one place where errors become HTTP answers: domain code throws {@link HttpError} (a status, the message, a
 * hint, details); the parsers' own errors are turned into the same; anything else is a 500 (and logged).
 */
import type { Context } from 'hono';
import { CocoFormatError } from '../../core/coco/import.ts';
import { diskFullError, HttpError, isDiskFull } from '../errors.ts';
import { OpsError } from '../validate.ts';

/** The HTTP error an error stands for, or null when it is a failure of the server's. */
export function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  // a push's operations that are not what the route takes
  if (err instanceof OpsError)
    return new HttpError(
      400,
      `The body is not what this route takes: ${err.issues.slice(0, 5).join('; ')}${err.issues.length > 5 ? ' (and more)' : ''}.`,
    );
  // a COCO file the server was asked to import
  if (err instanceof CocoFormatError)
    return new HttpError(400, `This is not a COCO file the app can read: ${err.message}`, 'Nothing was imported.');
  if (isDiskFull(err)) return diskFullError('this change');
  return null;
}

/** `app.onError`: the JSON answer `{ error, hint?, ...details }` with the error's status. */
export function errorResponse(err: Error, c: Context): Response {
  const http = toHttpError(err);
  if (http) {
    if (http.status === 429 && http.details?.retryAfterS) c.header('Retry-After', String(http.details.retryAfterS));
    return c.json({ error: http.message, ...(http.hint ? { hint: http.hint } : {}), ...(http.details ?? {}) }, http.status);
  }
  console.error(err);
  return c.json({ error: 'The server failed on this request.', hint: 'Try again; if it keeps failing, the server log says why.' }, 500);
}
