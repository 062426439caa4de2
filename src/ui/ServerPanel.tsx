import { useEffect, useState, type FormEvent } from 'react';
import type { ServerProject } from '../core/sync/protocol.ts';
import { useApp, useStore } from '../state/useApp.tsx';
import { JobsPanel } from './JobsPanel.tsx';
import { ServerRuns } from './ServerRuns.tsx';
import { TeamStatsDialog } from './TeamStats.tsx';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The project server (shown when the app was opened from one): log in, put the open project on the
 * server or open one from it, and the open project's sync state.
 */
export function ServerPanel() {
  const app = useApp();
  const sync = useStore((s) => s.sync);
  const notify = useStore((s) => s.notify);
  const [list, setList] = useState<ServerProject[]>([]);
  const [choice, setChoice] = useState('');
  const [busy, setBusy] = useState(false);
  const [statsOpen, setStatsOpen] = useState(false);
  const user = sync.user?.username ?? null;

  useEffect(() => {
    if (!user) return;
    app.sync.serverProjects().then(setList, () => setList([]));
  }, [user, sync.project?.id, app]);

  if (!sync.available) return null;

  const run = (what: string, fn: () => Promise<unknown>) => {
    setBusy(true);
    fn()
      .catch((e: unknown) => notify('error', `${what} failed: ${message(e)}`))
      .finally(() => setBusy(false));
  };

  const login = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    run('Log in', () => app.sync.serverLogin(String(f.get('username') ?? ''), String(f.get('password') ?? '')));
  };

  const addMember = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    run('Adding the member', async () => {
      const name = String(f.get('member') ?? '');
      const memberRole = String(f.get('role') ?? 'annotator') as ServerProject['role'];
      const { invited } = await app.team.addServerMember(name, memberRole);
      notify(
        'info',
        invited
          ? `${name} is invited as ${memberRole}: an account of that name joins the project at its next sign-in.`
          : `${name} can now work on this project.`,
      );
      form.reset();
    });
  };

  const newAccount = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    run('Making the account', async () => {
      await app.team.createServerUser(String(f.get('newUser') ?? ''), String(f.get('newPassword') ?? ''));
      notify('info', `Account ${String(f.get('newUser'))} made; add it to a project as a member.`);
      form.reset();
    });
  };

  const statusText =
    sync.status === 'online'
      ? 'up to date'
      : sync.status === 'syncing'
        ? 'syncing…'
        : sync.status === 'offline'
          ? `offline: ${sync.pending} change(s) wait`
          : sync.status === 'error'
            ? sync.message
            : '';

  return (
    <section className="server" data-testid="server-panel">
      <h2>Server</h2>
      {!user ? (
        <form onSubmit={login} className="row server-login">
          <input name="username" aria-label="Server user name" placeholder="user name" autoComplete="username" required />
          <input
            name="password"
            aria-label="Server password"
            placeholder="password"
            type="password"
            autoComplete="current-password"
            required
          />
          <button type="submit" disabled={busy}>
            Log in
          </button>
        </form>
      ) : (
        <>
          <p className="muted">
            Logged in as {user}{' '}
            <button className="link" onClick={() => run('Log out', () => app.sync.serverLogout())}>
              log out
            </button>
          </p>
          {sync.project ? (
            <>
              <p data-testid="sync-status" data-status={sync.status} data-pending={sync.pending}>
                “{sync.project.name}” ({sync.project.role}): {statusText}
              </p>
              <button disabled={busy} onClick={() => run('Sync', () => app.sync.syncNow())}>
                Sync now
              </button>
              <button onClick={() => setStatsOpen(true)}>Team statistics</button>
              {statsOpen && <TeamStatsDialog onClose={() => setStatsOpen(false)} />}
              <JobsPanel />
              <ServerRuns />
              {sync.project.role === 'admin' && (
                <details className="fold" data-testid="members-fold">
                  <summary className="sub">Add a member</summary>
                  <form onSubmit={addMember} className="row">
                    <input name="member" aria-label="Member user name" placeholder="user name" required />
                    <select name="role" aria-label="Member role" defaultValue="annotator">
                      <option value="annotator">annotator</option>
                      <option value="reviewer">reviewer</option>
                      <option value="admin">admin</option>
                    </select>
                    <button type="submit" disabled={busy}>
                      Add
                    </button>
                  </form>
                </details>
              )}
            </>
          ) : (
            <button disabled={busy} onClick={() => run('Putting the project on the server', () => app.sync.uploadProject())}>
              Put this project on the server
            </button>
          )}
          <p className="sub">Open a server project here</p>
          <div className="row">
            <select aria-label="Server project" value={choice} onChange={(e) => setChoice(e.target.value)}>
              <option value="">Open a server project…</option>
              {list.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.role})
                </option>
              ))}
            </select>
            <button
              disabled={busy || !choice}
              onClick={() => run('Opening the server project', () => app.sync.openServerProject(Number(choice)))}
            >
              Open
            </button>
          </div>
          {sync.user?.isAdmin && (
            <details className="fold">
              <summary className="sub">New account (server admins)</summary>
              <form onSubmit={newAccount} className="row" aria-label="New account">
                <input name="newUser" aria-label="New account user name" placeholder="new user" required />
                <input
                  name="newPassword"
                  aria-label="New account password"
                  placeholder="password (8+)"
                  type="password"
                  minLength={8}
                  required
                />
                <button type="submit" disabled={busy}>
                  Make account
                </button>
              </form>
            </details>
          )}
        </>
      )}
    </section>
  );
}
