/** A project's members and their roles. */
import type { Hono } from 'hono';
import { intParam, limit, readJson } from '../http/request.ts';
import { BODY_LIMITS, memberBody } from '../validate.ts';
import { ANY, type Env, type RouteContext } from './context.ts';

export function memberRoutes(app: Hono<Env>, { service, hub, authed, role }: RouteContext): void {
  app.get('/api/projects/:pid/members', authed, async (c) => {
    const { pid } = await role(c, ANY);
    return c.json({ members: await service.members(pid) });
  });
  app.put('/api/projects/:pid/members', authed, limit(BODY_LIMITS.small), async (c) => {
    const { pid } = await role(c, ['admin']);
    const body = await readJson(c, memberBody);
    await service.setMember(pid, body.username, body.role);
    return c.json({ members: await service.members(pid) });
  });
  app.delete('/api/projects/:pid/members/:uid', authed, async (c) => {
    const { pid } = await role(c, ['admin']);
    await service.removeMember(pid, intParam(c.req.param('uid')));
    // open event streams look again at who may listen: a removed member's stream is closed
    hub.emitJobs(pid);
    return c.json({ members: await service.members(pid) });
  });
}
