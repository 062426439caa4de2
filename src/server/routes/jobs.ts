/** Jobs (issue 14): list, create, reassign, move through their states, their event log, and the caller's queue of work. */
import type { Hono } from 'hono';
import { intParam, limit, readJson } from '../http/request.ts';
import { createJobs, jobEvents, listJobs, moveJob, reassignJob } from '../jobs.ts';
import { BODY_LIMITS, moveBody, newJobsBody, reassignBody } from '../validate.ts';
import { ANY, type Env, type RouteContext } from './context.ts';

export function jobRoutes(app: Hono<Env>, { service, hub, authed, role, actorOf }: RouteContext): void {
  app.get('/api/projects/:pid/jobs', authed, async (c) => {
    const { pid } = await role(c, ANY);
    return c.json({ jobs: await listJobs(service.db, pid) });
  });
  app.post('/api/projects/:pid/jobs', authed, limit(BODY_LIMITS.push), async (c) => {
    const { pid, role: r } = await role(c, ['admin']);
    const body = await readJson(c, newJobsBody);
    const jobs = await createJobs(service.db, pid, actorOf(c, r), body);
    hub.emitJobs(pid);
    return c.json({ jobs }, 201);
  });
  app.patch('/api/projects/:pid/jobs/:jid', authed, limit(BODY_LIMITS.small), async (c) => {
    const { pid, role: r } = await role(c, ['admin']);
    const body = await readJson(c, reassignBody);
    const job = await reassignJob(service.db, pid, intParam(c.req.param('jid')), actorOf(c, r), body);
    hub.emitJobs(pid);
    return c.json({ job });
  });
  app.post('/api/projects/:pid/jobs/:jid/move', authed, limit(BODY_LIMITS.small), async (c) => {
    const { pid, role: r } = await role(c, ANY);
    const body = await readJson(c, moveBody);
    const job = await moveJob(service.db, pid, intParam(c.req.param('jid')), actorOf(c, r), body.to, body.comment ?? null);
    hub.emitJobs(pid);
    return c.json({ job });
  });
  app.get('/api/projects/:pid/jobs/:jid/events', authed, async (c) => {
    const { pid } = await role(c, ANY);
    return c.json({ events: await jobEvents(service.db, pid, intParam(c.req.param('jid'))) });
  });
  /** The caller's work: jobs to annotate (new, annotating, sent back) and jobs to review. */
  app.get('/api/projects/:pid/queue', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const me = c.get('session').user.id;
    const jobs = await listJobs(service.db, pid);
    return c.json({
      annotate: jobs.filter((j) => j.annotatorId === me && (j.state === 'new' || j.state === 'annotating' || j.state === 'rejected')),
      review: jobs.filter((j) => j.reviewerId === me && j.state === 'in_review'),
    });
  });
}
