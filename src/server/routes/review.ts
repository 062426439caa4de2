/** Review decisions on annotations, and the team's statistics per annotator (for the project or one job). */
import type { Hono } from 'hono';
import { teamStats } from '../../core/team/stats.ts';
import { HttpError } from '../errors.ts';
import { loadProject } from '../export.ts';
import { intParam, limit, readJson } from '../http/request.ts';
import { creators, listJobs, reviewAnnotation, reviewsOf } from '../jobs.ts';
import { BODY_LIMITS, reviewBody } from '../validate.ts';
import { ANY, type Env, type RouteContext } from './context.ts';

export function reviewRoutes(app: Hono<Env>, { service, hub, authed, role, actorOf }: RouteContext): void {
  app.post('/api/projects/:pid/reviews', authed, limit(BODY_LIMITS.small), async (c) => {
    const { pid, role: r } = await role(c, ANY);
    const body = await readJson(c, reviewBody);
    const review = await reviewAnnotation(service.db, pid, actorOf(c, r), body.annotationId, body.decision, body.comment ?? null);
    hub.emitJobs(pid);
    return c.json({ review }, 201);
  });
  app.get('/api/projects/:pid/reviews', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const job = c.req.query('job');
    const annotation = c.req.query('annotation');
    return c.json({
      reviews: await reviewsOf(service.db, pid, {
        ...(job ? { jobId: intParam(job) } : {}),
        ...(annotation ? { annotationId: intParam(annotation) } : {}),
      }),
    });
  });
}

export function statsRoutes(app: Hono<Env>, { service, authed, role }: RouteContext): void {
  /** Statistics per annotator, for the project or one job (`?job=`). */
  app.get('/api/projects/:pid/stats', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const jobParam = c.req.query('job');
    let images: Set<number> | undefined;
    if (jobParam) {
      const job = (await listJobs(service.db, pid, intParam(jobParam)))[0];
      if (!job) throw new HttpError(404, 'No such job in this project.');
      images = new Set(job.imageIds);
    }
    const info = await service.project(pid, 'admin');
    const project = await loadProject(service, pid, info.name);
    const decisions = (await reviewsOf(service.db, pid, {})).map((r) => ({ annotationId: r.annotationId, decision: r.decision }));
    return c.json(teamStats(project, await creators(service.db, pid), decisions, images));
  });
}
