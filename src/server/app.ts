/**
 * The project server's HTTP API (Hono) and the built app's files: the composition of the route modules
 * (`routes/`, one per resource). Every route says who may call it (`routes/context.ts`); every body is validated
 * (schemas and limits in `validate.ts`) before anything is done; every error is answered in one place
 * (`http/errorHandler.ts`).
 */
import { Hono } from 'hono';
import { errorResponse } from './http/errorHandler.ts';
import { securityHeaders } from './http/headers.ts';
import { Hub } from './http/hub.ts';
import { serveApp } from './http/static.ts';
import { authRoutes } from './routes/auth.ts';
import { routeContext, type Env, type ServerOptions } from './routes/context.ts';
import { eventRoutes } from './routes/events.ts';
import { exportRoutes, importRoutes } from './routes/exports.ts';
import { fileRoutes } from './routes/files.ts';
import { jobRoutes } from './routes/jobs.ts';
import { memberRoutes } from './routes/members.ts';
import { preannotateRoutes } from './routes/preannotate.ts';
import { projectRoutes } from './routes/projects.ts';
import { reviewRoutes, statsRoutes } from './routes/review.ts';
import { syncRoutes } from './routes/sync.ts';
import { trackRoutes } from './routes/tracks.ts';
import { userRoutes } from './routes/users.ts';
import { HttpError } from './errors.ts';

export { SESSION_COOKIE, type ServerOptions } from './routes/context.ts';

/** The API routes, in the order they are matched. */
const ROUTES = [
  authRoutes,
  userRoutes,
  projectRoutes,
  memberRoutes,
  syncRoutes,
  eventRoutes,
  fileRoutes,
  exportRoutes,
  jobRoutes,
  reviewRoutes,
  preannotateRoutes,
  trackRoutes,
  statsRoutes,
  importRoutes,
];

export function createApp(opts: ServerOptions): { app: Hono<Env>; hub: Hub } {
  const hub = new Hub();
  opts.service.onCommit = (pid, seq) => hub.emit(pid, seq);
  const ctx = routeContext(opts, hub);
  const app = new Hono<Env>();

  app.use('*', securityHeaders);
  app.onError(errorResponse);

  for (const register of ROUTES) register(app, ctx);
  app.all('/api/*', () => {
    throw new HttpError(404, 'No such API route.');
  });

  if (opts.appDir) serveApp(app, opts.appDir);
  return { app, hub };
}
