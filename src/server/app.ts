/**
 * The project server's HTTP API (Hono) and the built app's files. Every route says who may call it;
 * every body is validated (schemas and limits in `validate.ts`) before anything is done.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { Hono, type Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import type { z } from 'zod';
import type { Collection } from '../core/project/changes.ts';
import { MAX_PULL_CHANGES, type Role } from '../core/sync/protocol.ts';
import { ISOLATION_HEADERS, SERVER_SECURITY_HEADERS } from '../node/httpHeaders.ts';
import { diskFullError, HttpError, isDiskFull } from './errors.ts';
import { CocoFormatError, parseCoco } from '../core/coco/import.ts';
import { teamStats } from '../core/team/stats.ts';
import {
  AUDIT_KEYS,
  createJobs,
  creators,
  exportAudit,
  jobEvents,
  listJobs,
  moveJob,
  reassignJob,
  reviewAnnotation,
  reviewsOf,
} from './jobs.ts';
import { cocoJsonChunks, importCoco, loadProject, maskPngZip, yoloZip } from './export.ts';
import { FileStore, SHA256 } from './files.ts';
import { SESSION_DAYS, type Service, type Session } from './service.ts';
import { cancelRun, listRuns, listWorkers, queueRun } from './preannotate.ts';
import type PgBoss from 'pg-boss';
import { checkAmgParams, DEFAULT_AMG_PARAMS } from '../core/sam/amg.ts';
import { parseClassMap } from '../core/sam/classMap.ts';
import {
  BODY_LIMITS,
  cocoBody,
  collection,
  findForbiddenKey,
  idsBody,
  loginBody,
  memberBody,
  moveBody,
  newJobsBody,
  newUserBody,
  reassignBody,
  reviewBody,
  preannotateBody,
  projectBody,
  exceedsJsonDepth,
  passwordChangeBody,
  passwordResetBody,
  OpsError,
  parseOpsInSlices,
  pushFrame,
} from './validate.ts';

export const SESSION_COOKIE = 'sam_session';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Env = { Variables: { session: Session; token: string } };

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

/** Failed logins per key in a sliding window. */
class LoginLimiter {
  private fails = new Map<string, number[]>();
  constructor(private readonly windowMs: number) {}
  private recent(key: string, now: number): number[] {
    const list = (this.fails.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.fails.set(key, list);
    else this.fails.delete(key);
    return list;
  }
  blockedFor(key: string, max: number, now = Date.now()): number {
    const list = this.recent(key, now);
    return list.length >= max ? this.windowMs - (now - list[0]!) : 0;
  }
  fail(key: string, now = Date.now()): void {
    this.fails.set(key, [...this.recent(key, now), now]);
  }
  clear(key: string): void {
    this.fails.delete(key);
  }
}

/** Listeners per project. */
class ProjectListeners<T> {
  private map = new Map<number, Set<(v: T) => void>>();
  on(projectId: number, fn: (v: T) => void): () => void {
    let set = this.map.get(projectId);
    if (!set) this.map.set(projectId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (!set.size) this.map.delete(projectId);
    };
  }
  emit(projectId: number, v: T): void {
    for (const fn of this.map.get(projectId) ?? []) fn(v);
  }
}

/** Live notices per project: new changes, and job moves. */
class Hub {
  private changes = new ProjectListeners<number>();
  private jobs = new ProjectListeners<void>();
  private last = new Map<number, number>();
  on(projectId: number, fn: (seq: number) => void): () => void {
    return this.changes.on(projectId, fn);
  }
  /** A change committed (here, or in another process: told once by each way, passed on once). */
  emit(projectId: number, seq: number): void {
    if ((this.last.get(projectId) ?? 0) >= seq) return;
    this.last.set(projectId, seq);
    this.changes.emit(projectId, seq);
  }
  /** Job moves, new jobs, reassignments and review decisions of a project: the panels reload at once. */
  onJobs(projectId: number, fn: () => void): () => void {
    return this.jobs.on(projectId, fn);
  }
  emitJobs(projectId: number): void {
    this.jobs.emit(projectId, undefined);
  }
}

/** Arrays and objects nested deeper than this are refused (a push is 6 levels deep). */
const MAX_JSON_DEPTH = 64;

/** The largest id or change number the database holds (PostgreSQL integer). */
const MAX_INT4 = 2_147_483_647;

async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'Send the body as JSON (Content-Type: application/json).');
  const text = await c.req.text();
  if (exceedsJsonDepth(text, MAX_JSON_DEPTH))
    throw new HttpError(400, `The body has nesting deeper than ${MAX_JSON_DEPTH} levels, which is not accepted.`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `The body is not valid JSON: ${(e as Error).message}`);
  }
  const bad = findForbiddenKey(data);
  if (bad) throw new HttpError(400, `The body has ${bad}, which is not accepted.`);
  const r = schema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
    throw new HttpError(
      400,
      `The body is not what this route takes: ${issues.join('; ')}${r.error.issues.length > 5 ? ` (and ${r.error.issues.length - 5} more)` : ''}.`,
    );
  }
  return r.data as z.infer<S>;
}

function limit(bytes: number) {
  return bodyLimit({
    maxSize: bytes,
    onError: () => {
      throw new HttpError(
        413,
        `The body is larger than this route takes (${bytes >= 1048576 ? `${bytes / 1048576} MB` : `${bytes / 1024} KB`}).`,
        'Send less at once.',
      );
    },
  });
}

function intParam(v: string | undefined): number {
  if (!v || !/^[1-9]\d{0,8}$/.test(v)) throw new HttpError(404, 'No such project or record: ids are positive whole numbers.');
  return Number(v);
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export function createApp(opts: ServerOptions): { app: Hono<Env>; hub: Hub } {
  const { service, files } = opts;
  const hub = new Hub();
  service.onCommit = (pid, seq) => hub.emit(pid, seq);
  const lim = opts.loginLimit ?? { perUser: 10, perAddress: 100, windowMs: 15 * 60_000 };
  const limiter = new LoginLimiter(lim.windowMs);
  // the socket's address; X-Forwarded-For only behind a proxy the admin named (any client can send that header)
  const address =
    opts.clientAddress ??
    ((c: Context) => {
      if (opts.trustProxy) {
        const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
        if (forwarded) return forwarded;
      }
      try {
        return getConnInfo(c).remote.address ?? 'local';
      } catch {
        return 'local';
      }
    });
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    await next();
    for (const [k, v] of Object.entries({ ...ISOLATION_HEADERS, ...SERVER_SECURITY_HEADERS })) c.res.headers.set(k, v);
    // API answers are not kept, unless a route says otherwise (image files: immutable, named by their hash)
    if (c.req.path.startsWith('/api/') && !c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
  });

  app.onError((err, c) => {
    if (err instanceof HttpError) {
      if (err.status === 429 && err.details?.retryAfterS) c.header('Retry-After', String(err.details.retryAfterS));
      return c.json({ error: err.message, ...(err.hint ? { hint: err.hint } : {}), ...(err.details ?? {}) }, err.status);
    }
    if (isDiskFull(err)) {
      const full = diskFullError('this change');
      return c.json({ error: full.message, hint: full.hint }, 507);
    }
    console.error(err);
    return c.json({ error: 'The server failed on this request.', hint: 'Try again; if it keeps failing, the server log says why.' }, 500);
  });

  // ---- who asks ---------------------------------------------------------------------------------

  const authed = async (c: Context<Env>, next: () => Promise<void>) => {
    const token = getCookie(c, SESSION_COOKIE);
    const session = token ? await service.session(token) : null;
    if (!session || !token) throw new HttpError(401, 'Log in to the server first.', 'Connect to a server (Project menu) and log in.');
    if (WRITE_METHODS.has(c.req.method) && c.req.header('x-csrf-token') !== session.csrf)
      throw new HttpError(403, "The request lacks this session's CSRF token (X-CSRF-Token).", 'Reload the page and log in again.');
    c.set('session', session);
    c.set('token', token);
    await next();
  };

  const siteAdmin = async (c: Context<Env>, next: () => Promise<void>) => {
    if (!c.get('session').user.isAdmin) throw new HttpError(403, 'Only a server admin may do this.');
    await next();
  };

  /** The caller's role in the project in the path; non-members get 404 (a project they cannot see does not exist for them). */
  async function role(c: Context<Env>, allowed: readonly Role[]): Promise<{ pid: number; role: Role }> {
    const pid = intParam(c.req.param('pid'));
    const r = await service.roleIn(pid, c.get('session').user);
    if (!r) throw new HttpError(404, 'No such project (or you are not a member of it).');
    if (!allowed.includes(r)) throw new HttpError(403, `Your role in this project (${r}) may not do this.`, 'Ask a project admin.');
    return { pid, role: r };
  }
  const ANY: Role[] = ['admin', 'annotator', 'reviewer'];

  /** Tells the app it was opened from a project server (no login needed). */
  app.get('/api/health', (c) => c.json({ server: 'sam-annotator', api: 1 }));

  // ---- accounts -----------------------------------------------------------------------------------

  app.post('/api/login', limit(BODY_LIMITS.small), async (c) => {
    const body = await readJson(c, loginBody);
    const keys = [`user:${body.username.toLowerCase()}`, `addr:${address(c)}`];
    const wait = Math.max(limiter.blockedFor(keys[0]!, lim.perUser), limiter.blockedFor(keys[1]!, lim.perAddress));
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      throw new HttpError(429, `Too many failed logins; try again in ${Math.ceil(s / 60)} minute(s).`, undefined, { retryAfterS: s });
    }
    const user = await service.checkPassword(body.username, body.password);
    if (!user) {
      for (const k of keys) limiter.fail(k);
      throw new HttpError(401, 'Wrong user name or password.');
    }
    limiter.clear(keys[0]!);
    const { token, csrf } = await service.createSession(user.id);
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https',
      maxAge: SESSION_DAYS * 86400,
    });
    return c.json({ user, csrfToken: csrf });
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

  // ---- projects -----------------------------------------------------------------------------------

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

  // ---- sync -------------------------------------------------------------------------------------------

  app.post('/api/projects/:pid/ids', authed, limit(BODY_LIMITS.small), async (c) => {
    const { pid, role: r } = await role(c, ['admin', 'annotator']);
    const body = await readJson(c, idsBody);
    const [first, last] = await service.reserveIdsFor(pid, c.get('session').user, r, body.coll, body.count);
    return c.json({ first, last });
  });

  app.post('/api/projects/:pid/push', authed, limit(BODY_LIMITS.push), async (c) => {
    const { pid, role: r } = await role(c, ANY);
    const frame = await readJson(c, pushFrame);
    let ops;
    try {
      ops = await parseOpsInSlices(frame.ops);
    } catch (e) {
      if (!(e instanceof OpsError)) throw e;
      throw new HttpError(
        400,
        `The body is not what this route takes: ${e.issues.slice(0, 5).join('; ')}${e.issues.length > 5 ? ' (and more)' : ''}.`,
      );
    }
    return c.json(await service.push(pid, c.get('session').user, r, { clientId: frame.clientId, ops } as never));
  });

  app.get('/api/projects/:pid/changes', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const since = Number(c.req.query('since') ?? '0');
    if (!Number.isInteger(since) || since < 0 || since > MAX_INT4)
      throw new HttpError(400, `\`since\` is a change number (a whole number from 0 to ${MAX_INT4}).`);
    const lim = Math.min(Number(c.req.query('limit') ?? MAX_PULL_CHANGES) || MAX_PULL_CHANGES, MAX_PULL_CHANGES);
    return c.json(await service.changes(pid, since, Math.max(1, lim)));
  });

  app.get('/api/projects/:pid/records', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const after = c.req.query('after');
    let from: { coll: Collection; id: number } | null = null;
    if (after) {
      const m = /^([a-zA-Z]+):(\d{1,10})$/.exec(after);
      const coll = m ? collection.safeParse(m[1]) : null;
      if (!m || !coll?.success || Number(m[2]) > MAX_INT4)
        throw new HttpError(400, '`after` is the `next` of the previous page (collection:id, an id up to 2147483647).');
      from = { coll: coll.data, id: Number(m[2]) };
    }
    return c.json(await service.records(pid, from));
  });

  app.get('/api/projects/:pid/history/:coll/:rid', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const coll = collection.safeParse(c.req.param('coll'));
    if (!coll.success) throw new HttpError(404, 'No such collection.');
    return c.json({ versions: await service.history(pid, coll.data, intParam(c.req.param('rid'))) });
  });

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
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 25_000);
        });
        wake = null;
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

  // ---- files --------------------------------------------------------------------------------------------

  app.put('/api/projects/:pid/files/:sha', authed, async (c) => {
    const { pid } = await role(c, ['admin']);
    const sha = c.req.param('sha') ?? '';
    if (!SHA256.test(sha)) throw new HttpError(400, 'A file is named by the SHA-256 of its content: 64 hex digits (0-9, a-f).');
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > BODY_LIMITS.file) throw new HttpError(413, `The file is larger than ${BODY_LIMITS.file / 1048576} MB.`);
    const known = await service.fileOf(pid, sha);
    if (known && files.has(sha)) return c.json({ sha256: sha, size: known.size, mime: known.mime });
    const body = c.req.raw.body;
    if (!body) throw new HttpError(400, 'The file is empty.');
    const { size, mime } = await files.put(sha, body as unknown as AsyncIterable<Uint8Array>, BODY_LIMITS.file);
    await service.addFile(pid, sha, size, mime);
    return c.json({ sha256: sha, size, mime }, 201);
  });

  app.get('/api/projects/:pid/files/:sha', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const sha = c.req.param('sha') ?? '';
    if (!SHA256.test(sha)) throw new HttpError(404, 'No such file.');
    const f = await service.fileOf(pid, sha);
    if (!f || !files.has(sha)) throw new HttpError(404, 'No such file in this project.');
    const { body, size } = files.stream(sha);
    return new Response(body, {
      headers: {
        'Content-Type': f.mime,
        'Content-Length': String(size),
        'Cache-Control': 'private, max-age=31536000, immutable',
        ETag: `"${sha}"`,
      },
    });
  });

  // ---- export ------------------------------------------------------------------------------------------------

  app.get('/api/projects/:pid/export/coco', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const segmentation = c.req.query('segmentation') ?? 'rle';
    if (segmentation !== 'rle' && segmentation !== 'polygon') throw new HttpError(400, '`segmentation` is rle or polygon.');
    const proposals = c.req.query('proposals') ?? 'include';
    if (proposals !== 'include' && proposals !== 'exclude') throw new HttpError(400, '`proposals` is include or exclude.');
    const unreviewed = c.req.query('unreviewed') ?? 'include';
    if (unreviewed !== 'include' && unreviewed !== 'exclude') throw new HttpError(400, '`unreviewed` is include or exclude.');
    const info = await service.project(pid, 'admin');
    const project = await loadProject(service, pid, info.name);
    const audit = await exportAudit(service.db, pid);
    const chunks = cocoJsonChunks(project, {
      segmentation,
      proposals,
      attributes: audit.attributes,
      auditKeys: AUDIT_KEYS,
      ...(unreviewed === 'exclude' ? { keep: audit.reviewed } : {}),
    });
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        let text = '';
        for (let n = 0; n < 200; n++) {
          const next = chunks.next();
          if (next.done) {
            if (text) ctl.enqueue(enc.encode(text));
            ctl.close();
            return;
          }
          text += next.value;
        }
        ctl.enqueue(enc.encode(text));
      },
    });
    const safeName = info.name.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'project';
    return new Response(body, {
      headers: { 'Content-Type': 'application/json', 'Content-Disposition': `attachment; filename="${safeName}.coco.json"` },
    });
  });

  const zipResponse = (body: ReadableStream<Uint8Array>, name: string, kind: string) =>
    new Response(body, {
      headers: {
        'Content-Type': 'application/zip',
        'Content-Disposition': `attachment; filename="${name.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'project'}.${kind}.zip"`,
      },
    });

  app.get('/api/projects/:pid/export/masks', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const info = await service.project(pid, 'admin');
    return zipResponse(maskPngZip(await loadProject(service, pid, info.name)), info.name, 'masks');
  });

  app.get('/api/projects/:pid/export/yolo', authed, async (c) => {
    const { pid } = await role(c, ANY);
    const info = await service.project(pid, 'admin');
    const project = await loadProject(service, pid, info.name);
    return zipResponse(
      yoloZip(project, (sha) => (files.has(sha) ? files.pathOf(sha) : null)),
      info.name,
      'yolo',
    );
  });

  // ---- jobs and review (issue 14) ---------------------------------------------------------------------

  const actorOf = (c: Context<Env>, r: Role) => ({ userId: c.get('session').user.id, role: r });

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

  // ---- pre-annotation runs on the workers -------------------------------------------------------------

  app.post('/api/projects/:pid/preannotate', authed, limit(BODY_LIMITS.push), async (c) => {
    const { pid } = await role(c, ['admin']);
    const body = await readJson(c, preannotateBody);
    if (!opts.queue) throw new HttpError(503, 'This server has no work queue, so it cannot pre-annotate.', 'Start it with npm run server.');
    if (opts.workers === 0)
      throw new HttpError(
        409,
        'No worker can take this run: the server keeps its data in its embedded database, which only its own workers reach, and it has none.',
        'Restart it with --workers 1, or run it on PostgreSQL (DATABASE_URL) and start npm run worker processes.',
      );
    if (body.amg) {
      try {
        checkAmgParams({ ...DEFAULT_AMG_PARAMS, ...body.amg });
      } catch (e) {
        throw new HttpError(400, `Segment everything: ${(e as Error).message}.`);
      }
    }
    if (body.classMap) {
      try {
        parseClassMap(body.classMap);
      } catch (e) {
        throw new HttpError(400, `Class map: ${(e as Error).message}.`, 'Write it as 1=person, 2=car.');
      }
    }
    const r = await queueRun(service, opts.queue, pid, c.get('session').user.id, body);
    return c.json({ ...r, run: (await listRuns(service.db, pid, r.runId))[0] }, 201);
  });
  app.get('/api/projects/:pid/preannotate', authed, async (c) => {
    const { pid } = await role(c, ANY);
    return c.json({
      runs: await listRuns(service.db, pid),
      workers: await listWorkers(service.db),
      workerMode: opts.workers ?? 'external',
    });
  });
  app.post('/api/projects/:pid/preannotate/:rid/cancel', authed, async (c) => {
    const { pid } = await role(c, ['admin']);
    const rid = intParam(c.req.param('rid'));
    const cancelled = await cancelRun(service.db, pid, rid);
    return c.json({ cancelled, run: (await listRuns(service.db, pid, rid))[0] });
  });

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

  // a COCO file merged into the project by the server (admins): the others pull what it added
  app.post('/api/projects/:pid/import/coco', authed, limit(BODY_LIMITS.import), async (c) => {
    const { pid } = await role(c, ['admin']);
    const data = await readJson(c, cocoBody);
    let imp;
    try {
      imp = parseCoco(data);
    } catch (e) {
      if (e instanceof CocoFormatError)
        throw new HttpError(400, `This is not a COCO file the app can read: ${e.message}`, 'Nothing was imported.');
      throw e;
    }
    const info = await service.project(pid, 'admin');
    return c.json(await importCoco(service, pid, info.name, c.get('session').user, imp));
  });

  app.all('/api/*', () => {
    throw new HttpError(404, 'No such API route.');
  });

  // ---- the app ---------------------------------------------------------------------------------------------------

  if (opts.appDir) {
    const root = resolve(opts.appDir);
    const index = join(root, 'index.html');
    app.get('*', (c) => {
      let path: string;
      try {
        path = decodeURIComponent(c.req.path);
      } catch {
        throw new HttpError(400, 'The path is not valid.');
      }
      const file = resolve(root, `.${path}`);
      const inside = file === root || file.startsWith(`${root}/`);
      const target = path === '/' ? index : file;
      if (!inside || !existsSync(target) || !statSync(target).isFile()) return c.text(`Not found: ${path}`, 404);
      const type = MIME[extname(target).toLowerCase()] ?? 'application/octet-stream';
      const data = readFileSync(target);
      return c.body(data, 200, { 'Content-Type': type, 'Cache-Control': target === index ? 'no-cache' : 'public, max-age=3600' });
    });
  }

  return { app, hub };
}
