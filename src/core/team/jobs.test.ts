import { describe, expect, it } from 'vitest';
import {
  JOB_STATES,
  matchesImageFilter,
  recordWriteRefusal,
  splitByCount,
  splitByFolder,
  transitionRefusal,
  writeRefusal,
  imageAssignment,
  type ImageFilter,
  type JobInfo,
  type JobState,
} from './jobs.ts';

const ANNOTATOR = 10;
const REVIEWER = 20;
const ADMIN = 30;
const OTHER = 40;
const job = (state: JobState): JobInfo => ({ id: 1, name: 'J', state, annotatorId: ANNOTATOR, reviewerId: REVIEWER });
const actors = {
  annotator: { userId: ANNOTATOR, role: 'annotator' as const },
  reviewer: { userId: REVIEWER, role: 'reviewer' as const },
  admin: { userId: ADMIN, role: 'admin' as const },
  other: { userId: OTHER, role: 'annotator' as const },
};

describe('job moves', () => {
  // the whole table, written out: [from, to, who may]
  const allowed: [JobState, JobState, (keyof typeof actors)[]][] = [
    ['new', 'annotating', ['annotator', 'admin']],
    ['annotating', 'in_review', ['annotator', 'admin']],
    ['in_review', 'done', ['reviewer', 'admin']],
    ['in_review', 'rejected', ['reviewer', 'admin']],
    ['rejected', 'annotating', ['annotator', 'admin']],
    ['done', 'in_review', ['admin']],
  ];

  it('allows exactly the moves of the table, to exactly the people it names, and refuses every other with a reason', () => {
    for (const from of JOB_STATES)
      for (const to of JOB_STATES)
        for (const [who, actor] of Object.entries(actors)) {
          const row = allowed.find(([f, t]) => f === from && t === to);
          const ok = !!row && row[2].includes(who as keyof typeof actors);
          const why = transitionRefusal(job(from), to, actor);
          expect(why === null, `${from} → ${to} by ${who}: ${why}`).toBe(ok);
          if (!ok) expect(why!.length).toBeGreaterThan(10);
        }
  });

  it('needs an annotator to start and a reviewer to submit', () => {
    expect(transitionRefusal({ ...job('new'), annotatorId: null }, 'annotating', actors.admin)).toMatch(/annotator/);
    expect(transitionRefusal({ ...job('annotating'), reviewerId: null }, 'in_review', actors.admin)).toMatch(/reviewer/);
  });
});

describe('who writes to a job’s images', () => {
  it('is its annotator while it is theirs, its reviewer in review, admins always, nobody else', () => {
    const table: [JobState, (keyof typeof actors)[]][] = [
      ['new', ['annotator', 'admin']],
      ['annotating', ['annotator', 'admin']],
      ['rejected', ['annotator', 'admin']],
      ['in_review', ['reviewer', 'admin']],
      ['done', ['admin']],
    ];
    for (const [state, may] of table)
      for (const [who, actor] of Object.entries(actors))
        expect(writeRefusal(job(state), actor) === null, `${state} by ${who}`).toBe(may.includes(who as keyof typeof actors));
    expect(writeRefusal(null, actors.other)).toBeNull();
    expect(writeRefusal(job('annotating'), actors.other)).toMatch(/assigned to someone else/);
  });
});

describe('who writes a record that moves between images', () => {
  // written out by hand: who may write to a job's images in each state
  const may: Record<JobState, (keyof typeof actors)[]> = {
    new: ['annotator', 'admin'],
    annotating: ['annotator', 'admin'],
    rejected: ['annotator', 'admin'],
    in_review: ['reviewer', 'admin'],
    done: ['admin'],
  };
  const other = (state: JobState): JobInfo => ({ ...job(state), id: 2, name: 'K' });
  it('needs the job of the image it is on now and of the one it goes to: into, out of, within and across jobs', () => {
    for (const state of JOB_STATES)
      for (const [who, actor] of Object.entries(actors)) {
        const ok = may[state].includes(who as keyof typeof actors);
        const at = `${state} by ${who}`;
        expect(recordWriteRefusal(null, job(state), actor) === null, `into, ${at}`).toBe(ok);
        expect(recordWriteRefusal(job(state), null, actor) === null, `out of, ${at}`).toBe(ok);
        expect(recordWriteRefusal(job(state), job(state), actor) === null, `within, ${at}`).toBe(ok);
        // across: from this job into a second one that is annotating (its annotator's and admins')
        const across = ok && may.annotating.includes(who as keyof typeof actors);
        expect(recordWriteRefusal(job(state), other('annotating'), actor) === null, `across, ${at}`).toBe(across);
        expect(recordWriteRefusal(other('annotating'), job(state), actor) === null, `across back, ${at}`).toBe(across);
      }
    expect(recordWriteRefusal(null, null, actors.other)).toBeNull();
    expect(recordWriteRefusal(job('annotating'), null, actors.other)).toMatch(/assigned to someone else/);
    expect(recordWriteRefusal(job('done'), null, actors.reviewer)).toMatch(/is done/);
  });
});

describe('splitting images into jobs', () => {
  it('by count keeps the order and puts the rest in a last, smaller job', () => {
    expect(splitByCount([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
  it('by folder groups by the path before the file name', () => {
    const ims = [{ fileName: 'b/x.jpg' }, { fileName: 'a/y.jpg' }, { fileName: 'z.jpg' }, { fileName: 'a/w.jpg' }];
    expect(splitByFolder(ims).map((g) => [g.folder, g.items.map((i) => i.fileName)])).toEqual([
      ['', ['z.jpg']],
      ['a', ['a/y.jpg', 'a/w.jpg']],
      ['b', ['b/x.jpg']],
    ]);
  });
});

describe('jobs by a filter', () => {
  const ims = [
    { fileName: 'street/a1.jpg', proposals: 0, annotations: 0 },
    { fileName: 'street/a2.JPG', proposals: 3, annotations: 0 },
    { fileName: 'park/b1.jpg', proposals: 1, annotations: 2 },
    { fileName: 'c1.png', proposals: 0, annotations: 1 },
  ];
  const names = (f: ImageFilter) => ims.filter((im) => matchesImageFilter(im, f)).map((im) => im.fileName);

  it('matches a part of the file name, or a glob with * and ?, ignoring case', () => {
    expect(names({ name: 'street/' })).toEqual(['street/a1.jpg', 'street/a2.JPG']);
    expect(names({ name: '*.jpg' })).toEqual(['street/a1.jpg', 'street/a2.JPG', 'park/b1.jpg']);
    expect(names({ name: 'street/a?.jpg' })).toEqual(['street/a1.jpg', 'street/a2.JPG']);
    expect(names({ name: 'B1' })).toEqual(['park/b1.jpg']);
    // regular-expression characters are plain text
    expect(names({ name: '(a1)' })).toEqual([]);
  });

  it('matches what an image has: nothing yet, proposals to review, or masks by people', () => {
    expect(names({ has: 'nothing' })).toEqual(['street/a1.jpg']);
    expect(names({ has: 'proposals' })).toEqual(['street/a2.JPG', 'park/b1.jpg']);
    expect(names({ has: 'annotations' })).toEqual(['park/b1.jpg', 'c1.png']);
    expect(names({ name: 'street', has: 'proposals' })).toEqual(['street/a2.JPG']);
    expect(names({})).toHaveLength(4);
  });
});

describe('imageAssignment: what a user is told about an image in a job', () => {
  const assigned = (state: JobState) => ({ ...job(state), annotator: 'anna', reviewer: 'rita' });
  it('says whose job it is and refuses masks by the server’s rule', () => {
    expect(imageAssignment(null, { username: 'anna', role: 'annotator' })).toBeNull();
    // the job's annotator while it is hers to work on
    expect(imageAssignment(assigned('annotating'), { username: 'anna', role: 'annotator' })).toMatchObject({ mine: true, refusal: null });
    expect(imageAssignment(assigned('in_review'), { username: 'anna', role: 'annotator' })?.refusal).toMatch(/wait until it comes back/);
    // another annotator: refused, told whose it is
    const other = imageAssignment(assigned('annotating'), { username: 'olaf', role: 'annotator' })!;
    expect(other.mine).toBe(false);
    expect(other.refusal).not.toBeNull();
    expect(other.text).toMatch(/assigned to anna/);
    // the reviewer: refused until it is in review, then may
    expect(imageAssignment(assigned('annotating'), { username: 'rita', role: 'reviewer' })).toMatchObject({ mine: false });
    expect(imageAssignment(assigned('annotating'), { username: 'rita', role: 'reviewer' })!.refusal).not.toBeNull();
    expect(imageAssignment(assigned('in_review'), { username: 'rita', role: 'reviewer' })).toMatchObject({ refusal: null });
    // an admin may, and is told it is someone else's job
    const admin = imageAssignment(assigned('annotating'), { username: 'boss', role: 'admin' })!;
    expect(admin.refusal).toBeNull();
    expect(admin.text).toMatch(/anna.*project admin/);
    // done: nobody but an admin
    expect(imageAssignment(assigned('done'), { username: 'anna', role: 'annotator' })!.refusal).toMatch(/done/);
  });
});
