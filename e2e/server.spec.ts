import { expect, test, type Page } from '@playwright/test';
import type { Annotation } from '../src/core/project/types.ts';
import { clientOf, gotoApp, liveMask, project } from './helpers.ts';
import { openLoggedIn, readyFromServer, server, startServer, type RunningServer } from './serverHelpers.ts';

const PORT = 4195;
let srv: RunningServer;

test.beforeEach(async () => {
  srv = await startServer(PORT, [
    ['alice', 'alice-password', true],
    ['bob', 'bob-password', false],
  ]);
});
test.afterEach(async () => {
  await srv.stop();
});

/** Clicks a point of the shown image, waits for the mask and accepts it; answers the mask's area. */
async function annotate(page: Page, x: number, y: number): Promise<number> {
  await readyFromServer(page);
  const p = await clientOf(page, x, y);
  await page.keyboard.down('Alt');
  await page.mouse.click(p.x, p.y);
  await page.keyboard.up('Alt');
  const live = await liveMask(page);
  expect(live?.area).toBeGreaterThan(0);
  await page.keyboard.press('Enter');
  return live!.area;
}

async function showImage(page: Page, index: number): Promise<void> {
  const ids = (await project(page)).images.map((im) => im.id);
  // the keys show the next / previous image
  const current = await page.evaluate(() => window.annotator.currentImage()?.id);
  const at = ids.indexOf(current!);
  for (let i = at; i < index; i++) await page.keyboard.press('ArrowRight');
  for (let i = at; i > index; i--) await page.keyboard.press('ArrowLeft');
  await expect.poll(() => page.evaluate(() => window.annotator.currentImage()?.id)).toBe(ids[index]);
}

function key(a: Annotation): string {
  return `${a.id}:${a.imageId}:${a.segmentation.counts}`;
}

test('two annotators on one server project see each other’s masks live; one goes offline and catches up; the server export is the union', async ({
  browser,
}) => {
  const a = await browser.newContext({ baseURL: srv.url });
  const b = await browser.newContext({ baseURL: srv.url });
  const pa = await a.newPage();
  const pb = await b.newPage();
  await gotoApp(pa);
  await readyFromServer(pa);
  // alice puts her project (the four sample photos) on the server and lets bob annotate it
  await server(pa).login('alice', 'alice-password');
  const spid = await server(pa).upload();
  await server(pa).addMember('bob', 'annotator');
  await expect.poll(async () => (await server(pa).status()).pending, { timeout: 60_000 }).toBe(0);
  await expect(pa.getByTestId('sync-status')).toHaveAttribute('data-status', 'online');

  // bob opens it in his browser: images (files from the server), categories
  await openLoggedIn(pb, 'bob');
  await server(pb).open(spid);
  const aliceProject = await project(pa);
  await expect.poll(async () => (await project(pb)).images.map((im) => im.fileName)).toEqual(aliceProject.images.map((im) => im.fileName));

  // each annotates a different image; each sees the other's mask without a reload
  await showImage(pa, 0);
  await annotate(pa, 300, 200);
  await showImage(pb, 1);
  await annotate(pb, 200, 150);
  const both = async (page: Page) => (await project(page)).annotations.length;
  await expect.poll(() => both(pa), { timeout: 30_000 }).toBe(2);
  await expect.poll(() => both(pb), { timeout: 30_000 }).toBe(2);

  // bob goes offline and keeps working; alice too
  await b.setOffline(true);
  await showImage(pb, 2);
  await annotate(pb, 250, 200);
  await annotate(pb, 100, 100);
  await expect.poll(async () => (await server(pb).status()).status).toBe('offline');
  expect((await server(pb).status()).pending).toBeGreaterThan(0);
  await annotate(pa, 80, 350);
  await expect.poll(() => both(pa), { timeout: 30_000 }).toBe(3);
  // bob is back: his offline work goes up, alice's comes down
  await b.setOffline(false);
  await expect.poll(async () => (await server(pb).status()).pending, { timeout: 60_000 }).toBe(0);
  await expect.poll(() => both(pa), { timeout: 30_000 }).toBe(5);
  await expect.poll(() => both(pb), { timeout: 30_000 }).toBe(5);

  const union = new Set([...(await project(pa)).annotations.map(key), ...(await project(pb)).annotations.map(key)]);
  expect(union.size).toBe(5);
  // the server's export holds exactly that union
  const exported = await pa.evaluate(async (id) => (await fetch(`/api/projects/${id}/export/coco`)).json(), spid);
  const serverKeys = new Set(
    (exported as { annotations: { id: number; image_id: number; segmentation: { counts: string } }[] }).annotations.map(
      (x) => `${x.id}:${x.image_id}:${x.segmentation.counts}`,
    ),
  );
  expect(serverKeys).toEqual(union);
  await a.close();
  await b.close();
});

test('the server killed during a sync (its answer lost) and restarted: after reconnecting nothing accepted is lost or duplicated', async ({
  browser,
}) => {
  const ctx = await browser.newContext({ baseURL: srv.url });
  const page = await ctx.newPage();
  await openLoggedIn(page, 'alice');
  const spid = await server(page).upload();
  await expect.poll(async () => (await server(page).status()).pending, { timeout: 60_000 }).toBe(0);

  // the next push reaches the server and is committed, then the server dies before answering
  let killedDuringPush = false;
  await page.route('**/api/projects/*/push', async (route) => {
    if (killedDuringPush) return route.continue();
    killedDuringPush = true;
    await route.fetch();
    await srv.kill();
    await route.abort('connectionreset');
  });
  await annotate(page, 300, 200);
  await expect.poll(() => killedDuringPush, { timeout: 30_000 }).toBe(true);
  await expect.poll(async () => (await server(page).status()).status, { timeout: 30_000 }).toBe('offline');
  // more work while the server is down
  await annotate(page, 80, 350);
  await showImage(page, 1);
  await annotate(page, 200, 150);
  expect((await server(page).status()).pending).toBeGreaterThan(0);
  await srv.restart();
  await expect.poll(async () => (await server(page).status()).pending, { timeout: 90_000 }).toBe(0);

  const local = (await project(page)).annotations;
  expect(local).toHaveLength(3);
  const changes = (await page.evaluate(async (id) => (await fetch(`/api/projects/${id}/changes?since=0`)).json(), spid)) as {
    changes: { coll: string; id: number; opId: string; data: Annotation | null }[];
  };
  const annotationChanges = changes.changes.filter((c) => c.coll === 'annotations');
  // each accepted mask was written once: the push repeated after the lost answer was not applied again
  expect(annotationChanges.map((c) => c.id).sort()).toEqual(local.map((a) => a.id).sort());
  expect(new Set(changes.changes.map((c) => c.opId)).size).toBe(changes.changes.length);
  const exported = (await page.evaluate(async (id) => (await fetch(`/api/projects/${id}/export/coco`)).json(), spid)) as {
    annotations: { id: number; image_id: number; segmentation: { counts: string } }[];
  };
  expect(new Set(exported.annotations.map((x) => `${x.id}:${x.image_id}:${x.segmentation.counts}`))).toEqual(new Set(local.map(key)));
  await ctx.close();
});

test('two people change the same annotation: the later write wins, both are told, and the server keeps the replaced version', async ({
  browser,
}) => {
  const a = await browser.newContext({ baseURL: srv.url });
  const b = await browser.newContext({ baseURL: srv.url });
  const pa = await a.newPage();
  const pb = await b.newPage();
  await openLoggedIn(pa, 'alice');
  await pa.getByRole('button', { name: 'Add category' }).click();
  const spid = await server(pa).upload();
  await server(pa).addMember('bob', 'annotator');
  await annotate(pa, 300, 200);
  await expect.poll(async () => (await server(pa).status()).pending, { timeout: 60_000 }).toBe(0);
  const [mask] = (await project(pa)).annotations;

  await openLoggedIn(pb, 'bob');
  await server(pb).open(spid);
  await expect.poll(async () => (await project(pb)).annotations.map((x) => x.id)).toEqual([mask!.id]);

  // bob, offline, deletes alice's mask
  await readyFromServer(pb);
  await b.setOffline(true);
  const pt = await clientOf(pb, 300, 200);
  await pb.mouse.click(pt.x, pt.y);
  await expect(pb.getByTestId('selection-handles')).toBeVisible();
  await pb.keyboard.press('Delete');
  await expect.poll(async () => (await project(pb)).annotations.length).toBe(0);
  // meanwhile alice relabels it
  const pa1 = await clientOf(pa, 300, 200);
  await pa.mouse.click(pa1.x, pa1.y);
  const other = (await project(pa)).categories.find((c) => c.id !== mask!.categoryId)!;
  await pa.getByLabel('Category of the selected annotation').selectOption(String(other.id));
  await expect.poll(async () => (await project(pa)).annotations[0]?.categoryId).toBe(other.id);
  await expect.poll(async () => (await server(pa).status()).pending, { timeout: 30_000 }).toBe(0);

  // bob comes back: his later write wins; he is told whose version it replaced, alice is told what happened to hers
  await b.setOffline(false);
  await expect(pb.locator('.toast', { hasText: 'replaced a newer one' })).toContainText("alice's version", { timeout: 60_000 });
  await expect(pa.locator('.toast', { hasText: `bob changed annotation ${mask!.id}` })).toBeVisible({ timeout: 60_000 });
  await expect.poll(async () => (await project(pa)).annotations.length, { timeout: 30_000 }).toBe(0);
  const history = (await pa.evaluate(async ([p, id]) => (await fetch(`/api/projects/${p}/history/annotations/${id}`)).json(), [
    spid,
    mask!.id,
  ] as const)) as { versions: { username: string; data: Annotation | null }[] };
  expect(history.versions.map((v) => [v.username, v.data?.categoryId ?? null])).toEqual([
    ['bob', null],
    ['alice', other.id],
    ['alice', mask!.categoryId],
  ]);
  await a.close();
  await b.close();
});

test('a job: the annotator makes three masks, the reviewer rejects one with a comment, the annotator sees it on that mask and fixes it, the job is accepted; the statistics match the masks’ clock', async ({
  browser,
}) => {
  await srv.stop();
  srv = await startServer(PORT, [
    ['alice', 'alice-password', true],
    ['bob', 'bob-password', false],
    ['carol', 'carol-password', false],
  ]);
  const [ca, cb, cc] = [
    await browser.newContext({ baseURL: srv.url }),
    await browser.newContext({ baseURL: srv.url }),
    await browser.newContext({ baseURL: srv.url }),
  ];
  const admin = await ca.newPage();
  await openLoggedIn(admin, 'alice');
  const spid = await server(admin).upload();
  await server(admin).addMember('bob', 'annotator');
  await server(admin).addMember('carol', 'reviewer');
  const images = (await project(admin)).images.map((im) => im.id);
  // one job of every image (the four samples), for bob, reviewed by carol, made in the Server panel
  await admin.getByLabel('Images per job').fill('10');
  await admin.getByLabel('Job annotators').fill('bob');
  await admin.getByLabel('Job reviewer').fill('carol');
  await admin.getByRole('button', { name: 'Make jobs' }).click();
  await expect.poll(async () => (await server(admin).jobs()).length).toBe(1);
  const [job] = (await server(admin).jobs()) as { id: number; imageIds: number[] }[];
  expect(job!.imageIds).toEqual(images);

  // bob starts his job and makes three masks
  const bob = await cb.newPage();
  await openLoggedIn(bob, 'bob');
  await server(bob).open(spid);
  const mine = bob.locator(`[data-testid=job-annotate][data-job="${job!.id}"]`);
  await mine.getByRole('button', { name: 'Start' }).click();
  await expect(mine).toHaveAttribute('data-state', 'annotating');
  // "Next image" steps through the job's images, round to the first
  const shown = () => bob.evaluate(() => window.annotator.currentImage()?.id);
  await mine.getByRole('button', { name: 'Next image' }).click();
  await expect.poll(shown).toBe(images[1]);
  for (let i = 0; i < 2; i++) await mine.getByRole('button', { name: 'Next image' }).click();
  await expect.poll(shown).toBe(images[3]);
  // J: the job's next image, from the keyboard
  await bob.keyboard.press('j');
  await expect.poll(shown).toBe(images[0]);
  await annotate(bob, 300, 200);
  await annotate(bob, 80, 350);
  await annotate(bob, 500, 100);
  await mine.getByRole('button', { name: 'Submit for review' }).click();
  await expect(mine).toHaveCount(0);
  const made = (await project(bob)).annotations;
  expect(made).toHaveLength(3);

  // carol rejects the second mask with a comment and sends the job back
  const carol = await cc.newPage();
  await openLoggedIn(carol, 'carol');
  await server(carol).open(spid);
  const toReview = carol.locator(`[data-testid=job-review][data-job="${job!.id}"]`);
  await expect(toReview).toBeVisible({ timeout: 30_000 });
  // the job's name shows its first image, its first mask selected: she decides at keyboard speed
  await toReview.locator('button.link').click();
  await readyFromServer(carol);
  const selectedNow = () => carol.evaluate(() => window.annotator.review().selected);
  await expect.poll(() => carol.evaluate(() => window.annotator.review().job)).toMatchObject({ jobId: job!.id, reviewing: true });
  await expect.poll(selectedNow).toBe(made[0]!.id);
  await carol.keyboard.press('Enter');
  await expect.poll(selectedNow).toBe(made[1]!.id);
  // Delete rejects: it asks why (optional), Enter stores it
  await carol.keyboard.press('Delete');
  const why = carol.getByLabel('Why is the mask rejected');
  await expect(why).toBeFocused();
  await why.fill('the spoon is cut off');
  await why.press('Enter');
  await expect.poll(selectedNow).toBe(made[2]!.id);
  await carol.keyboard.press('Enter');
  const decisions = () => server(carol).reviews();
  await expect
    .poll(async () => (await decisions()).map((r) => [r.annotationId, r.decision, r.comment, r.reviewer]))
    .toEqual([
      [made[0]!.id, 'accept', null, 'carol'],
      [made[1]!.id, 'reject', 'the spoon is cut off', 'carol'],
      [made[2]!.id, 'accept', null, 'carol'],
    ]);
  // the masks stay for bob to fix: a rejection is a decision, not a deletion
  expect((await project(carol)).annotations).toHaveLength(3);
  // each mask's decision shows in the list (the rejection with its comment), and the list filters by it
  const rowOf = (page: Page, id: number) => page.locator(`.annotations-panel li[data-annotation="${id}"]`);
  await expect(rowOf(carol, made[0]!.id)).toHaveAttribute('data-review', 'accepted');
  await expect(rowOf(carol, made[1]!.id)).toHaveAttribute('data-review', 'rejected');
  await expect(rowOf(carol, made[1]!.id)).toHaveAttribute('title', /the spoon is cut off/);
  await carol.getByLabel('Show annotations').selectOption('rejected');
  await expect(carol.locator('.annotations-panel li[data-annotation]')).toHaveCount(1);
  await carol.getByLabel('Show annotations').selectOption('all');
  await expect(carol.locator('.annotations-panel li[data-annotation]')).toHaveCount(3);
  await carol.getByLabel('Review comment').fill('one mask to redo');
  await toReview.getByRole('button', { name: 'Send back' }).click();
  await expect(toReview).toHaveCount(0);

  // bob sees the comment on that very mask, fixes it and resubmits
  await expect(mine).toHaveAttribute('data-state', 'rejected', { timeout: 30_000 });
  // the job's own comment, with who sent it back, is shown with the job
  await expect(mine.getByTestId('job-comment')).toContainText('one mask to redo');
  await expect(mine.getByTestId('job-comment')).toContainText('carol');
  const note = bob.locator(`[data-testid=review-comment][data-annotation="${made[1]!.id}"]`);
  await expect(note).toContainText('the spoon is cut off', { timeout: 30_000 });
  // bob's list marks it too
  await expect(rowOf(bob, made[1]!.id)).toHaveAttribute('data-review', 'rejected');
  await mine.getByRole('button', { name: 'Resume' }).click();
  await note.click();
  expect(await bob.evaluate(() => window.annotator.review().selected)).toBe(made[1]!.id);
  await bob.keyboard.press('Delete');
  await annotate(bob, 90, 360);
  await mine.getByRole('button', { name: 'Submit for review' }).click();
  // resubmitted, the job stays in bob's panel, in review, with its history: sent back, why, by whom
  const sent = bob.locator(`[data-testid=job-mine][data-job="${job!.id}"]`);
  await expect(sent).toHaveAttribute('data-state', 'in_review', { timeout: 30_000 });
  await sent.locator('summary').click();
  const history = sent.getByTestId('job-history');
  await expect(history).toContainText('sent back by carol');
  await expect(history).toContainText('one mask to redo');
  await expect(history).toContainText('submitted by bob');

  // carol accepts the job
  await expect(toReview).toBeVisible({ timeout: 30_000 });
  await toReview.getByRole('button', { name: 'Accept job' }).click();
  await expect.poll(async () => (await server(admin).jobs()).find((j) => j.id === job!.id)?.state, { timeout: 30_000 }).toBe('done');

  // the statistics: bob's three masks, their median time as the masks' own clocks say
  const final = (await project(bob)).annotations;
  expect(final).toHaveLength(3);
  const secs = final.map((a) => (a.timeMs ?? 0) / 1000).sort((x, y) => x - y);
  const stats = await server(admin).stats();
  const b = stats.annotators.find((x) => x.username === 'bob')!;
  expect(b.masks).toBe(3);
  expect(b.medianSeconds).toBeCloseTo(secs[1]!, 6);
  // the statistics page shows the same, with its plots
  await admin.getByRole('button', { name: 'Team statistics' }).click();
  const row = admin.locator('[data-testid=team-stats-table] tr[data-annotator="bob"]');
  await expect(row.locator('[data-stat=masks]')).toHaveText('3');
  await expect(row.locator('[data-stat=medianSeconds]')).toHaveText(secs[1]!.toFixed(1));
  await expect(admin.locator('[data-testid=chart-seconds] canvas')).toBeVisible();
  await expect(admin.locator('[data-testid=chart-per-day] canvas')).toBeVisible();
  // three masks of a few seconds are too few for a rate per hour: none is made up from them, the count is said
  await expect(row.locator('[data-stat=masksPerHour]')).toHaveText('—');
  await expect(row.locator('[data-stat=masksPerHour]')).toHaveAttribute('title', /3 timed masks/);
  // one day of data: the day axis spans that day (give or take one), not years
  const chart = admin.locator('[data-testid=chart-per-day]');
  const day = Date.parse(new Date(final[0]!.createdAt).toISOString().slice(0, 10)) / 1000;
  const xMin = Number(await chart.getAttribute('data-x-min'));
  const xMax = Number(await chart.getAttribute('data-x-max'));
  expect(xMin).toBeLessThanOrEqual(day);
  expect(xMax).toBeGreaterThanOrEqual(day);
  expect(xMax - xMin).toBeLessThanOrEqual(3 * 86400);
  await admin.screenshot({ path: test.info().outputPath('team-statistics.png') });
  await admin.keyboard.press('Escape');
  await expect(admin.getByRole('dialog', { name: 'Team statistics' })).toHaveCount(0);
  for (const c of [ca, cb, cc]) await c.close();
});
