/** Projects: list, create (server admins unless every account may), read, rename, delete. */
import type { Hono } from 'hono';
import { HttpError } from '../errors.ts';
import { limit, readJson } from '../http/request.ts';
import { BODY_LIMITS, projectBody } from '../validate.ts';
import { ANY, type Env, type RouteContext } from './context.ts';

export function projectRoutes(app: Hono<Env>, { opts, service, authed, role }: RouteContext): void {
  app.get('/api/projects', authed, async (c) => c.json({ projects: await service.listProjects(c.get('session').user) }));
  app.post('/api/projects', authed, limit(BODY_LIMITS.small), async (c) => {
    if ((opts.projectCreators ?? 'admins') === 'admins' && !c.get('session').user.isAdmin)
      throw new HttpError(
        403,
        'On this server only server admins create projects.',
        'Ask a server admin to create the project and add you (the operator can allow every account: --anyone-creates-projects).',
      );
    const body = await readJson(c, projectBody);
    return c.json({ project: await service.createProject(body.name, c.get('session').user) }, 201);
  });
  app.get('/api/projects/:pid', authed, async (c) => {
    const { pid, role: r } = await role(c, ANY);
    return c.json({ project: await service.project(pid, r) });
  });
  app.patch('/api/projects/:pid', authed, limit(BODY_LIMITS.small), async (c) => {
    const { pid } = await role(c, ['admin']);
    const body = await readJson(c, projectBody);
    await service.renameProject(pid, body.name);
    return c.json({ project: await service.project(pid, 'admin') });
  });
  app.delete('/api/projects/:pid', authed, async (c) => {
    const { pid } = await role(c, ['admin']);
    await service.deleteProject(pid);
    return c.json({ ok: true });
  });
}
