/** The headers of every answer: cross-origin isolation and the server's security headers; API answers are not kept. */
import type { Context, Next } from 'hono';
import { ISOLATION_HEADERS, SERVER_SECURITY_HEADERS } from '../../node/httpHeaders.ts';

export async function securityHeaders(c: Context, next: Next): Promise<void> {
  await next();
  for (const [k, v] of Object.entries({ ...ISOLATION_HEADERS, ...SERVER_SECURITY_HEADERS })) c.res.headers.set(k, v);
  // API answers are not kept, unless a route says otherwise (image files: immutable, named by their hash)
  if (c.req.path.startsWith('/api/') && !c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
}
