/**
 * What every route module is given: the server's options and services, the event hub, and the checks of who asks
 * (a session, its CSRF token on writes, a server admin, a role in the project in the path).
 */
import type { Context, Next } from 'hono';
import { getCookie } from 'hono/cookie';
import type PgBoss from 'pg-boss';
import type { Role } from '../../core/sync/protocol.ts';
import { HttpError } from '../errors.ts';
import type { FileStore } from '../files.ts';
import type { Hub } from '../http/hub.ts';
import { intParam } from '../http/request.ts';
import type { Service, Session } from '../service.ts';

export const SESSION_COOKIE = 'sam_session';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The request's variables once `authed` let it through. */
export type Env = { Variables: { session: Session; token: string } };

export interface ServerOptions {
  service: Service;
  files: FileStore;
  /** the built app (dist/); null: API only */
  appDir: string | null;
  /** the address of the client, for the login limit (tests give one) */
  clientAddress?: (c: Context) => string;
  /** behind a reverse proxy: the client's address is the first of X-Forwarded-For (else the socket's) */
  trustProxy?: boolean;
  /** the work queue of pre-annotation runs (null: this server queues none) */
  queue?: PgBoss | null;
  /**
   * Where the runs' work is done: 'external' (npm run worker processes on the same PostgreSQL), or
   * the server's own workers only (the embedded database: no other process can reach it), counted.
   */
  workers?: 'external' | number;
  /** failed logins allowed per user name and per address in 15 minutes */
  loginLimit?: { perUser: number; perAddress: number; windowMs: number };
  /** who may create projects: server admins only (default), or every account */
  projectCreators?: 'admins' | 'everyone';
}

export type Middleware = (c: Context<Env>, next: Next) => Promise<void>;

export interface RouteContext {
  opts: ServerOptions;
  service: Service;
  files: FileStore;
  hub: Hub;
  /** a logged-in session (401), with its CSRF token on writes (403) */
  authed: Middleware;
  /** after `authed`: a server admin (403) */
  siteAdmin: Middleware;
  /** The caller's role in the project in the path; non-members get 404 (a project they cannot see does not exist for them). */
  role: (c: Context<Env>, allowed: readonly Role[]) => Promise<{ pid: number; role: Role }>;
  /** who acts, for the job and review log */
  actorOf: (c: Context<Env>, r: Role) => { userId: number; role: Role };
}

/** Every role of a project member. */
export const ANY: readonly Role[] = ['admin', 'annotator', 'reviewer'];

export function routeContext(opts: ServerOptions, hub: Hub): RouteContext {
  const { service, files } = opts;

  const authed: Middleware = async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    const session = token ? await service.session(token) : null;
    if (!session || !token) throw new HttpError(401, 'Log in to the server first.', 'Connect to a server (Project menu) and log in.');
    if (WRITE_METHODS.has(c.req.method) && c.req.header('x-csrf-token') !== session.csrf)
      throw new HttpError(403, "The request lacks this session's CSRF token (X-CSRF-Token).", 'Reload the page and log in again.');
    c.set('session', session);
    c.set('token', token);
    await next();
  };

  const siteAdmin: Middleware = async (c, next) => {
    if (!c.get('session').user.isAdmin) throw new HttpError(403, 'Only a server admin may do this.');
    await next();
  };

  async function role(c: Context<Env>, allowed: readonly Role[]): Promise<{ pid: number; role: Role }> {
    const pid = intParam(c.req.param('pid'));
    const r = await service.roleIn(pid, c.get('session').user);
    if (!r) throw new HttpError(404, 'No such project (or you are not a member of it).');
    if (!allowed.includes(r)) throw new HttpError(403, `Your role in this project (${r}) may not do this.`, 'Ask a project admin.');
    return { pid, role: r };
  }

  const actorOf = (c: Context<Env>, r: Role) => ({ userId: c.get('session').user.id, role: r });

  return { opts, service, files, hub, authed, siteAdmin, role, actorOf };
}
