import { describe, expect, it } from 'vitest';
import type { ServerApi, ServerJob } from '../../io/serverApi.ts';
import { testStore } from '../test/fakeDeps.ts';
import { TeamClient } from './teamClient.ts';

const job = (id: number, state: ServerJob['state']) => ({ id, state }) as ServerJob;

/** The team calls of the server API, recording each (with the project it names) into `log`. */
function fakeTeamApi(log: string[]) {
  const rec =
    <T>(name: string, answer: T) =>
    (projectId: number, ...args: unknown[]) => {
      log.push(`${name} ${projectId}${args.length ? ' ' + JSON.stringify(args.filter((a) => a !== undefined)) : ''}`);
      return Promise.resolve(answer);
    };
  return {
    queue: rec('queue', { annotate: [], review: [] }),
    jobs: rec('jobs', []),
    createJobs: rec('createJobs', []),
    moveJob: (projectId: number, jobId: number, to: ServerJob['state']) => {
      log.push(`moveJob ${projectId} ${jobId} ${to}`);
      return Promise.resolve(job(jobId, to));
    },
    review: rec('review', undefined),
    reviews: rec('reviews', []),
    stats: rec('stats', {}),
    runs: rec('runs', { runs: [], workers: [], workerMode: 'external' }),
    cancelRun: rec('cancelRun', { cancelled: true }),
    setMember: rec('setMember', undefined),
    preannotate: rec('preannotate', { runId: 1, images: 2, skipped: {} }),
    putFile: rec('putFile', undefined),
  } as unknown as ServerApi;
}

function setup(linked: number | null, syncFails = false) {
  const log: string[] = [];
  const { store } = testStore();
  const sync = {
    linkedProjectId: () => linked,
    syncNow: () => {
      log.push('syncNow');
      return syncFails ? Promise.reject(new Error('1 change(s) could not be sent: offline')) : Promise.resolve();
    },
  };
  const team = new TeamClient({ api: fakeTeamApi(log), store, sync });
  return { log, team, store };
}

const NOT_LINKED = 'This project is not on a server.';

describe('TeamClient', () => {
  it('each call names the linked server project', async () => {
    const t = setup(7);
    await t.team.myQueue();
    await t.team.projectJobs();
    await t.team.reviewMask(12, 'reject', 'too big');
    await t.team.cancelServerRun(3);
    expect(t.log).toEqual(['queue 7', 'jobs 7', 'review 7 [12,"reject","too big"]', 'cancelRun 7 [3]']);
  });

  it('a local project: the calls that are async functions are refused with a message, and nothing reaches the server', async () => {
    const t = setup(null);
    await expect(t.team.addServerMember('bob', 'annotator')).rejects.toThrow(NOT_LINKED);
    await expect(t.team.reviewMask(1, 'accept')).rejects.toThrow(NOT_LINKED);
    await expect(t.team.moveJob(1, 'annotating')).rejects.toThrow(NOT_LINKED);
    await expect(t.team.cancelServerRun(1)).rejects.toThrow(NOT_LINKED);
    await expect(t.team.queueServerPreannotation({ mode: 'box' })).rejects.toThrow(NOT_LINKED);
    expect(t.log).toEqual([]);
  });

  // every call rejects (never throws): the views' `.then(ok, failed)` reach their failure handler
  it('a local project: every call returning a promise rejects (never throws) with the message', async () => {
    const t = setup(null);
    const calls: (() => Promise<unknown>)[] = [
      () => t.team.myQueue(),
      () => t.team.projectJobs(),
      () => t.team.createJobs({ annotators: ['bob'] }),
      () => t.team.jobReviews(),
      () => t.team.teamStatistics(),
      () => t.team.serverRuns(),
    ];
    for (const call of calls) {
      let p: Promise<unknown> | undefined;
      expect(() => (p = call())).not.toThrow();
      await expect(p).rejects.toThrow(NOT_LINKED);
    }
  });

  it('moving a job to review sends what waits first; other moves do not', async () => {
    const t = setup(7);
    expect(await t.team.moveJob(4, 'in_review')).toMatchObject({ id: 4, state: 'in_review' });
    expect(t.log).toEqual(['syncNow', 'moveJob 7 4 in_review']);
    t.log.length = 0;
    await t.team.moveJob(4, 'annotating');
    await t.team.moveJob(4, 'done');
    expect(t.log).toEqual(['moveJob 7 4 annotating', 'moveJob 7 4 done']);
  });

  it('a job whose changes cannot be sent is not submitted for review', async () => {
    const t = setup(7, true);
    await expect(t.team.moveJob(4, 'in_review')).rejects.toThrow('1 change(s) could not be sent: offline');
    expect(t.log).toEqual(['syncNow']);
  });
});
