/** A project's members and their roles. */
import type { Hono } from 'hono';
import { HttpError } from '../errors.ts';
import { intParam, limit, readJson } from '../http/request.ts';
import { BODY_LIMITS, memberBody } from '../validate.ts';
import { ANY, type Env, type RouteContext } from './context.ts';

export function memberRoutes(app: Hono<Env>, { service, hub, authed, role }: RouteContext): void {
  app.get('/api/projects/:pid/members', authed, async (c) => {
    const { pid, role: mine } = await role(c, ANY);
    const invitations = mine === 'admin' ? await service.invitations(pid) : [];
    return c.json({ members: await service.members(pid), invitations });
  });
  app.put('/api/projects/:pid/members', authed, limit(BODY_LIMITS.small), async (c) => {
    const { pid } = await role(c, ['admin']);
    const body = await readJson(c, memberBody);
    const { invited } = await service.setMember(pid, body.username, body.role, c.get('session').user);
    return c.json({ members: await service.members(pid), invitations: await service.invitations(pid), invited });
  });
  app.delete('/api/projects/:pid/invitations/:name', authed, async (c) => {
    const { pid } = await role(c, ['admin']);
    if (!(await service.withdrawInvitation(pid, decodeURIComponent(c.req.param('name') ?? ''))))
      throw new HttpError(404, 'There is no invitation under that name.', 'GET /api/projects/:pid/members lists them.');
    return c.json({ members: await service.members(pid), invitations: await service.invitations(pid) });
  });
  app.delete('/api/projects/:pid/members/:uid', authed, async (c) => {
    const { pid } = await role(c, ['admin']);
    await service.removeMember(pid, intParam(c.req.param('uid')));
    // open event streams look again at who may listen: a removed member's stream is closed
    hub.emitJobs(pid);
    return c.json({ members: await service.members(pid), invitations: await service.invitations(pid) });
  });
}
