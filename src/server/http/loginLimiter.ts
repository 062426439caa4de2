/**
 * The login limit: failed logins counted per user name and address, per address, and per user name.
 * A name tried too often from one address is locked there; an address that tries too many names is
 * locked; a name tried too often from many addresses is locked everywhere except where its account
 * signed in before (`known`): the right password from the user's usual address still gets through.
 */
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

/** Addresses each account signed in from lately (in memory: a restart forgets them, and the counts). */
export class KnownAddresses {
  private readonly seen = new Map<string, Map<string, number>>();
  constructor(
    private readonly keepMs = 30 * 86_400_000,
    private readonly perUser = 20,
  ) {}

  add(user: string, address: string, now = Date.now()): void {
    const m = this.seen.get(user) ?? new Map<string, number>();
    m.delete(address);
    m.set(address, now);
    // the newest few only
    while (m.size > this.perUser) m.delete(m.keys().next().value as string);
    this.seen.set(user, m);
  }

  has(user: string, address: string, now = Date.now()): boolean {
    const t = this.seen.get(user)?.get(address);
    return t !== undefined && now - t < this.keepMs;
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
