/**
 * Assignment is visible before work starts (issue 28, item 1): an image in another person's job is
 * marked in the list and on the canvas, the tools refuse to start a mask there saying whose job it is
 * (an admin may, and is told so), and what a role cannot do is not offered.
 */
import { expect, test, type Page } from '@playwright/test';
import { clientOf, liveMask, project } from './helpers.ts';
import { openLoggedIn, readyFromServer, server, startServer, type RunningServer } from './serverHelpers.ts';

const PORT = 4199;
let srv: RunningServer;

test.beforeEach(async () => {
  srv = await startServer(PORT, [
    ['alice', 'alice-password', true],
    ['bob', 'bob-password', false],
    ['carol', 'carol-password', false],
  ]);
});
test.afterEach(async () => {
  await srv.stop();
});

async function show(page: Page, imageId: number): Promise<void> {
  await page
    .locator('[data-testid=image-list] li')
    .nth((await project(page)).images.findIndex((im) => im.id === imageId))
    .click();
  await expect.poll(() => page.evaluate(() => window.annotator.currentImage()?.id)).toBe(imageId);
  await readyFromServer(page);
}

test('an image in another person’s job is marked in the list and on the canvas, and no mask can be started there; an admin is told whose job it is and may edit', async ({
  browser,
}) => {
  const admin = await (await browser.newContext({ baseURL: srv.url })).newPage();
  await openLoggedIn(admin, 'alice');
  const spid = await server(admin).upload();
  await server(admin).addMember('bob', 'annotator');
  await server(admin).addMember('carol', 'annotator');
  const images = (await project(admin)).images.map((im) => im.id);
  await server(admin).createJobs({ imageIds: [images[0]!], annotators: ['bob'], reviewer: 'alice' });

  const carol = await (await browser.newContext({ baseURL: srv.url })).newPage();
  await openLoggedIn(carol, 'carol');
  await server(carol).open(spid);
  await show(carol, images[0]!);
  // the list marks the image with whose job it is
  const row = carol.locator('[data-testid=image-list] li').first();
  await expect(row).toHaveAttribute('data-assigned', 'other');
  await expect(row).toHaveAttribute('title', /bob/);
  // the canvas says so
  const banner = carol.getByTestId('job-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('bob');
  // a click starts nothing, and says why
  const p = await clientOf(carol, 300, 200);
  await carol.mouse.click(p.x, p.y);
  await expect(carol.locator('.toast').filter({ hasText: 'bob' })).toBeVisible();
  expect(await liveMask(carol)).toBeNull();
  expect((await carol.evaluate(() => window.annotator.editorState())).prompts.points).toEqual([]);
  // what an annotator cannot do is not offered: categories are an admin's
  const add = carol.getByRole('button', { name: 'Add category' });
  await expect(add).toBeDisabled();
  await expect(add).toHaveAttribute('title', /admin/i);
  await carol.screenshot({ path: test.info().outputPath('assigned-to-another.png') });

  // an image in no job: work as usual
  await show(carol, images[1]!);
  await expect(banner).toHaveCount(0);
  const q = await clientOf(carol, 300, 200);
  await carol.mouse.click(q.x, q.y);
  await expect.poll(async () => (await liveMask(carol))?.area ?? 0).toBeGreaterThan(0);

  // the admin sees whose job it is and may still edit, told so
  await show(admin, images[0]!);
  await expect(admin.getByTestId('job-banner')).toContainText('bob');
  await expect(admin.getByTestId('job-banner')).toContainText(/admin/i);
  const r = await clientOf(admin, 300, 200);
  await admin.mouse.click(r.x, r.y);
  await expect.poll(async () => (await liveMask(admin))?.area ?? 0).toBeGreaterThan(0);
});

test('an image whose file comes from the server says it is downloading (with its progress), not that its file is missing', async ({
  browser,
}) => {
  const admin = await (await browser.newContext({ baseURL: srv.url })).newPage();
  await openLoggedIn(admin, 'alice');
  const spid = await server(admin).upload();
  await server(admin).addMember('bob', 'annotator');
  const images = (await project(admin)).images;

  const bob = await (await browser.newContext({ baseURL: srv.url })).newPage();
  await openLoggedIn(bob, 'bob');
  // a slow link: each image file arrives 3 s after it is asked for
  await bob.route('**/api/projects/*/files/*', async (route) => {
    const response = await route.fetch();
    await new Promise((r) => setTimeout(r, 3000));
    await route.fulfill({ response });
  });
  await server(bob).open(spid);
  const row = bob.locator('[data-testid=image-list] li').first();
  await expect(row).toHaveAttribute('data-download', /\d+/);
  await expect(row.locator('.count')).toContainText('downloading');
  await expect(row.locator('.count')).not.toContainText('missing');
  await expect(bob.getByTestId('image-download')).toContainText(`Downloading ${images[0]!.fileName}`);
  // then it is there, and ready for clicks
  await expect(row).toHaveAttribute('data-download', '', { timeout: 60_000 });
  await expect(row).not.toHaveAttribute('data-status', 'missing');
  await expect(bob.getByTestId('image-download')).toHaveCount(0);
});
