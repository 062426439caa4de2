/** A project's live event stream (server-sent events): `seq` on new changes, `jobs` on job moves, `closed`. */
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ANY, type Env, type RouteContext } from './context.ts';

export function eventRoutes(app: Hono<Env>, { service, hub, authed, role }: RouteContext): void {
  app.get('/api/projects/:pid/events', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const user = c.get('session').user;
    const token = c.get('token');
    return streamSSE(c, async (stream) => {
      let wake: (() => void) | null = null;
      let latest = -1;
      let jobs = false;
      const off = hub.on(pid, (seq) => {
        latest = Math.max(latest, seq);
        wake?.();
      });
      const offJobs = hub.onJobs(pid, () => {
        jobs = true;
        wake?.();
      });
      stream.onAbort(() => {
        off();
        offJobs();
        wake?.();
      });
      const project = await service.project(pid, 'admin');
      await stream.writeSSE({ event: 'seq', data: String(project.seq) });
      while (!stream.aborted && !stream.closed) {
        // wait only when nothing came in meanwhile: a notice that arrived while the last event was written
        // (or the membership looked up) found no one waiting, and is sent now, not at the next keep-alive
        if (latest < 0 && !jobs) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((r) => {
            wake = r;
            timer = setTimeout(r, 25_000);
          });
          clearTimeout(timer);
          wake = null;
        }
        if (stream.aborted || stream.closed) break;
        // on a jobs or members notice and at each keep-alive: a member removed, or a session ended, hears no more
        // (an open stream is not activity: it does not keep an idle session alive)
        if ((jobs || latest < 0) && (!(await service.roleIn(pid, user)) || !(await service.session(token, false)))) {
          await stream.writeSSE({ event: 'closed', data: 'You are no longer a member of this project, or your session ended.' });
          break;
        }
        if (jobs) {
          jobs = false;
          await stream.writeSSE({ event: 'jobs', data: '' });
        }
        if (latest >= 0) {
          const s = latest;
          latest = -1;
          await stream.writeSSE({ event: 'seq', data: String(s) });
        } else await stream.write(': keep-alive\n\n');
      }
      off();
      offJobs();
    });
  });
}
