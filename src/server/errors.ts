/** An error with the HTTP status and the message (and hint) the client is answered with. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503 | 507,
    message: string,
    readonly hint?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Whether an error is a full disk: the file system's (ENOSPC, EDQUOT) or PostgreSQL's (53100 disk_full). */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'ENOSPC' ||
    code === 'EDQUOT' ||
    code === '53100' ||
    /no space left on device|disk quota exceeded/i.test(String((e as Error)?.message ?? ''))
  );
}

/** The answer for a full disk: nothing of the request was kept. */
export function diskFullError(what: string): HttpError {
  return new HttpError(
    507,
    `The server's disk is full: ${what} was not stored.`,
    'Nothing of it was kept. Ask the server operator to free disk space, then try again.',
  );
}
