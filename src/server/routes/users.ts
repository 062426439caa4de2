/** The server's accounts, for server admins: list, create, reset a password. */
import type { Hono } from 'hono';
import { HttpError } from '../errors.ts';
import { intParam, limit, readJson } from '../http/request.ts';
import { BODY_LIMITS, newUserBody, passwordResetBody } from '../validate.ts';
import type { Env, RouteContext } from './context.ts';

export function userRoutes(app: Hono<Env>, { service, authed, siteAdmin }: RouteContext): void {
  // a server admin resets an account's password: every session of it ends
  app.post('/api/users/:uid/password', authed, siteAdmin, limit(BODY_LIMITS.small), async (c) => {
    const body = await readJson(c, passwordResetBody);
    const user = (await service.listUsers()).find((u) => u.id === intParam(c.req.param('uid')));
    if (!user) throw new HttpError(404, 'No such user.');
    await service.setPassword(user.username, body.password);
    return c.json({ ok: true });
  });

  app.get('/api/users', authed, siteAdmin, async (c) => c.json({ users: await service.listUsers() }));
  app.post('/api/users', authed, siteAdmin, limit(BODY_LIMITS.small), async (c) => {
    const body = await readJson(c, newUserBody);
    return c.json({ user: await service.createUser(body.username, body.password, body.isAdmin ?? false) }, 201);
  });
}
