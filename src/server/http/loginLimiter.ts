/** The login limit: failed logins counted per user name and per client address. */
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/** Failed logins per key in a sliding window. */
export class LoginLimiter {
  private fails = new Map<string, number[]>();
  constructor(private readonly windowMs: number) {}
  private recent(key: string, now: number): number[] {
    const list = (this.fails.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.fails.set(key, list);
    else this.fails.delete(key);
    return list;
  }
  blockedFor(key: string, max: number, now = Date.now()): number {
    const list = this.recent(key, now);
    return list.length >= max ? this.windowMs - (now - list[0]!) : 0;
  }
  fail(key: string, now = Date.now()): void {
    this.fails.set(key, [...this.recent(key, now), now]);
  }
  clear(key: string): void {
    this.fails.delete(key);
  }
}

/**
 * The client's address: the socket's; the first of X-Forwarded-For only behind a proxy the admin named
 * (`trustProxy`: any client can send that header).
 */
export function socketAddress(trustProxy: boolean | undefined): (c: Context) => string {
  return (c: Context) => {
    if (trustProxy) {
      const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
      if (forwarded) return forwarded;
    }
    try {
      return getConnInfo(c).remote.address ?? 'local';
    } catch {
      return 'local';
    }
  };
}
