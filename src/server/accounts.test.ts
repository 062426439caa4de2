/**
 * Accounts and membership as a careful self-hosted service keeps them (issue 27, items 13 and 14):
 * a password policy with a strength estimate, user names told apart as people read them, a lockout
 * per name and address that lets the right password through from the user's usual address, and
 * adding a member that never tells a project admin whether a name exists. On PGlite and PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findPgBin, startPgCluster, type PgCluster } from '../node/pgCluster.ts';
import { passwordProblem, usernameKey } from './accountRules.ts';
import { startTestServer, TestClient, testDatabases, type TestServer } from './testkit.ts';

describe('account rules', () => {
  it('one key for names that read alike: case, full-width letters, a Cyrillic а for a Latin a', () => {
    const anna = usernameKey('anna');
    expect(usernameKey('Anna')).toBe(anna);
    expect(usernameKey('ANNA')).toBe(anna);
    expect(usernameKey('Ａｎｎａ')).toBe(anna);
    expect(usernameKey('\u0430nna')).toBe(anna);
    expect(usernameKey('anne')).not.toBe(anna);
    expect(usernameKey('anna.b')).not.toBe(anna);
  });

  it('refuses guessable passwords with a reason, and takes reasonable ones', () => {
    for (const [pw, why] of [
      ['12345678', /too easy to guess/],
      ['password', /too easy to guess/],
      ['qwertyuiop', /too easy to guess/],
      ['anna', /at least 8/],
      ['        ', /spaces only/],
      ['anna1234', /too easy to guess/],
      ['ANNA1234', /too easy to guess/],
      ['Annabelle', /must not be the user name/],
    ] as const) {
      const p = passwordProblem(pw, pw === 'Annabelle' ? 'annabelle' : 'anna');
      expect(p, pw).not.toBeNull();
      expect(p!.message, pw).toMatch(why);
      expect(p!.hint.length).toBeGreaterThan(0);
    }
    for (const pw of ['admin-password', 'a-long-password', 'correct horse battery staple', 'Tr0ub4dor&3x!'])
      expect(passwordProblem(pw, 'anna'), pw).toBeNull();
  });
});

const pgBin = findPgBin();
let cluster: PgCluster | null = null;
beforeAll(async () => {
  if (pgBin.dir) cluster = await startPgCluster();
}, 120_000);
afterAll(() => cluster?.stop());

describe.each(testDatabases(() => cluster, !!pgBin.dir))('accounts and membership on $name', ({ url, skip }) => {
  let server: TestServer;
  let admin: TestClient;
  /** a client at an address of its own (the test server reads it from a header) */
  const from = (address: string) => {
    const c = TestClient.inProcess(server);
    const raw = c.raw.bind(c);
    c.raw = (method, path, body, headers = {}) => raw(method, path, body, { ...headers, 'x-test-address': address });
    return c;
  };

  beforeEach(async (ctx) => {
    if (skip) return ctx.skip();
    server = await startTestServer(url(), {
      loginLimit: { perUser: 3, perAddress: 1000, windowMs: 60_000 },
      clientAddress: (c) => c.req.header('x-test-address') ?? 'local',
    });
    await server.service.createUser('admin', 'admin-password', true);
    admin = from('office');
    expect(await admin.login('admin', 'admin-password')).toBe(200);
  });
  afterEach(async () => {
    if (!skip) await server?.close();
  });

  const newUser = (username: string, password: string) =>
    admin.json<{ error?: string; hint?: string }>('POST', '/api/users', { username, password });

  it('refuses a weak password when making an account or changing one, saying why', async () => {
    for (const pw of ['12345678', 'password', 'anna1234', 'ANNA', '        ']) {
      const r = await newUser('anna', pw);
      expect(r.status, pw).toBe(400);
      expect(r.body.error, pw).toBeTruthy();
    }
    expect((await newUser('anna', 'anna-sees-cats')).status).toBe(201);
    const anna = from('home');
    expect(await anna.login('anna', 'anna-sees-cats')).toBe(200);
    const weak = await anna.json<{ error: string }>('POST', '/api/me/password', { current: 'anna-sees-cats', password: '11111111' });
    expect(weak.status).toBe(400);
    expect(weak.body.error).toMatch(/too easy to guess/);
    expect(await from('home').login('anna', 'anna-sees-cats')).toBe(200);
  });

  it('no account beside one whose name reads the same; signing in with another case finds the account', async () => {
    expect((await newUser('anna', 'anna-sees-cats')).status).toBe(201);
    const upper = await newUser('Anna', 'another-long-one');
    expect(upper.status).toBe(409);
    const cyrillic = await newUser('\u0430nna', 'another-long-one');
    expect(cyrillic.status).toBe(409);
    expect(cyrillic.body.error).toMatch(/reads the same as the user "anna"/);
    expect((await admin.json<{ users: unknown[] }>('GET', '/api/users')).body.users).toHaveLength(2);
    const c = from('home');
    expect(await c.login('ANNA', 'anna-sees-cats')).toBe(200);
    expect((await c.json<{ user: { username: string } }>('GET', '/api/me')).body.user.username).toBe('anna');
  });

  it('failed logins lock the name where they came from; the right password still gets through from the usual address', async () => {
    expect((await newUser('anna', 'anna-sees-cats')).status).toBe(201);
    // anna signs in at home as usual
    expect(await from('home').login('anna', 'anna-sees-cats')).toBe(200);
    // someone tries her name from elsewhere, from several addresses
    for (const [i, addr] of ['x1', 'x2', 'x3'].entries()) expect(await from(addr).login('anna', `guess-${i}`)).toBe(401);
    // the name is locked for addresses it never signed in from, even with the right password
    const stranger = await from('x4').json<{ error: string }>('POST', '/api/login', { username: 'anna', password: 'anna-sees-cats' });
    expect(stranger.status).toBe(429);
    expect(stranger.body.error).toMatch(/Too many failed logins/);
    // anna at home is not locked out
    expect(await from('home').login('anna', 'anna-sees-cats')).toBe(200);
    // guesses from her usual address lock the name there too, whatever the password
    for (let i = 0; i < 3; i++) expect(await from('home').login('anna', `home-guess-${i}`)).toBe(401);
    expect(await from('home').login('anna', 'anna-sees-cats')).toBe(429);
    // another user is not affected, from any of those addresses
    expect((await newUser('rita', 'rita-reviews-masks')).status).toBe(201);
    expect(await from('home').login('rita', 'rita-reviews-masks')).toBe(200);
    expect(await from('x4').login('rita', 'rita-reviews-masks')).toBe(200);
  });

  it('a project admin adding a member is never told whether the name exists; the account joins at its next sign-in', async () => {
    expect((await newUser('olaf', 'olaf-runs-projects')).status).toBe(201);
    expect((await newUser('bob', 'bob-draws-boxes')).status).toBe(201);
    const pid = (await admin.json<{ project: { id: number } }>('POST', '/api/projects', { name: 'Cats' })).body.project.id;
    expect((await admin.json('PUT', `/api/projects/${pid}/members`, { username: 'olaf', role: 'admin' })).status).toBe(200);
    const olaf = from('olaf-desk');
    expect(await olaf.login('olaf', 'olaf-runs-projects')).toBe(200);
    type Members = { members: { username: string }[]; invitations: { username: string; role: string }[]; invited: boolean };
    const real = await olaf.json<Members>('PUT', `/api/projects/${pid}/members`, { username: 'bob', role: 'annotator' });
    const ghost = await olaf.json<Members>('PUT', `/api/projects/${pid}/members`, { username: 'ghost', role: 'annotator' });
    // the same answer either way: both invited, neither a member yet
    expect(real.status).toBe(200);
    expect(ghost.status).toBe(200);
    expect(real.body.invited).toBe(true);
    expect(ghost.body.invited).toBe(true);
    expect(ghost.body.members.map((m) => m.username)).not.toContain('bob');
    expect(ghost.body.members.map((m) => m.username)).not.toContain('ghost');
    expect(ghost.body.invitations).toEqual([
      { username: 'bob', role: 'annotator' },
      { username: 'ghost', role: 'annotator' },
    ]);
    // a job for either name is refused alike
    const jobs = async (name: string) =>
      (await olaf.json<{ error: string }>('POST', `/api/projects/${pid}/jobs`, { imageIds: [], annotators: [name] })).body.error;
    expect(await jobs('ghost')).toBe((await jobs('bob')).replace('bob', 'ghost'));
    // bob signs in: he is a member, the invitation is gone; ghost's stays (withdrawn by olaf)
    const bob = from('bob-desk');
    expect(await bob.login('bob', 'bob-draws-boxes')).toBe(200);
    const projects = await bob.json<{ projects: { id: number; role: string }[] }>('GET', '/api/projects');
    expect(projects.body.projects).toEqual([expect.objectContaining({ id: pid, role: 'annotator' })]);
    const after = await olaf.json<Members>('GET', `/api/projects/${pid}/members`);
    expect(after.body.members.map((m) => m.username)).toContain('bob');
    expect(after.body.invitations).toEqual([{ username: 'ghost', role: 'annotator' }]);
    expect((await olaf.json('DELETE', `/api/projects/${pid}/invitations/ghost`)).status).toBe(200);
    expect((await olaf.json<Members>('GET', `/api/projects/${pid}/members`)).body.invitations).toEqual([]);
    // a server admin, who sees every account anyway, adds at once and is told of a name that does not exist
    expect((await admin.json('PUT', `/api/projects/${pid}/members`, { username: 'nobody', role: 'annotator' })).status).toBe(404);
  });
});
