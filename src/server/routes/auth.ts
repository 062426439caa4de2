/** Logging in and out, and the caller's own account: who they are, their password, their sessions. */
import type { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { HttpError } from '../errors.ts';
import { KnownAddresses, LoginLimiter, socketAddress } from '../http/loginLimiter.ts';
import { usernameKey } from '../accountRules.ts';
import { limit, readJson } from '../http/request.ts';
import { SESSION_DAYS } from '../service.ts';
import { BODY_LIMITS, loginBody, passwordChangeBody } from '../validate.ts';
import { SESSION_COOKIE, type Env, type RouteContext } from './context.ts';

export function authRoutes(app: Hono<Env>, { opts, service, authed }: RouteContext): void {
  const lim = opts.loginLimit ?? { perUser: 10, perAddress: 100, windowMs: 15 * 60_000 };
  const limiter = new LoginLimiter(lim.windowMs);
  const known = new KnownAddresses();
  const address = opts.clientAddress ?? socketAddress(opts.trustProxy);

  /** Tells the app it was opened from a project server (no login needed). */
  app.get('/api/health', (c) => c.json({ server: 'sam-annotator', api: 1 }));

  app.post('/api/login', limit(BODY_LIMITS.small), async (c) => {
    const body = await readJson(c, loginBody);
    const name = usernameKey(body.username);
    const addr = address(c);
    const pair = `pair:${name}@${addr}`;
    const user = `user:${name}`;
    const here = `addr:${addr}`;
    // this name from this address, or this address, tried too often: locked here; the name tried too
    // often from elsewhere: locked except where the account signed in before (the right password gets through)
    const wait = Math.max(
      limiter.blockedFor(pair, lim.perUser),
      limiter.blockedFor(here, lim.perAddress),
      known.has(name, addr) ? 0 : limiter.blockedFor(user, lim.perUser),
    );
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      throw new HttpError(429, `Too many failed logins; try again in ${Math.ceil(s / 60)} minute(s).`, undefined, { retryAfterS: s });
    }
    const account = await service.checkPassword(body.username, body.password);
    if (!account) {
      for (const k of [pair, here, user]) limiter.fail(k);
      throw new HttpError(401, 'Wrong user name or password.');
    }
    limiter.clear(pair);
    known.add(name, addr);
    const signedIn = account;
    // invitations to projects made since are taken at sign-in
    await service.acceptInvitations(signedIn);
    const { token, csrf } = await service.createSession(signedIn.id);
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https',
      maxAge: SESSION_DAYS * 86400,
    });
    return c.json({ user: signedIn, csrfToken: csrf });
  });

  app.post('/api/logout', authed, async (c) => {
    await service.endSession(c.get('token'));
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true });
  });

  app.get('/api/me', authed, (c) => c.json({ user: c.get('session').user, csrfToken: c.get('session').csrf }));

  // a new password while the server runs: the other sessions of the account end
  app.post('/api/me/password', authed, limit(BODY_LIMITS.small), async (c) => {
    const body = await readJson(c, passwordChangeBody);
    const me = c.get('session').user;
    if (!(await service.checkPassword(me.username, body.current)))
      throw new HttpError(403, 'The current password is not right.', 'Nothing was changed.');
    await service.setPassword(me.username, body.password, c.get('token'));
    return c.json({ ok: true });
  });
  app.get('/api/me/sessions', authed, async (c) =>
    c.json({ sessions: await service.sessionsOf(c.get('session').user.id, c.get('token')) }),
  );
  app.delete('/api/me/sessions/:sid', authed, async (c) => {
    if (!(await service.endSessionById(c.get('session').user.id, c.req.param('sid') ?? '')))
      throw new HttpError(404, 'You have no such session.', 'GET /api/me/sessions lists them.');
    return c.json({ ok: true });
  });
}
