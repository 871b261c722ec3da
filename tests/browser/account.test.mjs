// Passwords (issue 14 §13): a generated password must be changed at first
// sign-in, before any other page; a password change keeps the session going
// (no second sign-in, and the next change made right after works).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser, api;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

const session = (username, password) => fetch(`${troth.base}/api/v1/session`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
});

async function changePassword(page, from, to) {
  await page.getByLabel('Current password').fill(from);
  await page.getByLabel('New password', { exact: true }).fill(to);
  await page.getByLabel('Repeat the new password').fill(to);
  await page.getByRole('button', { name: 'Change password' }).click();
}

test('a generated password must be changed at first sign-in, before any other page', async () => {
  const r = await api.post('/api/v1/users', { username: 'gina', role: 'operator' });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  const generated = r.data.password;
  const page = await newPage(browser);
  await signIn(page, troth.base, 'gina', generated);
  await page.waitForURL(/#\/account$/);
  await page.getByText('Choose your own password to go on').waitFor();
  // every other page leads back here
  await page.goto(`${troth.base}/#/certificates`);
  await page.waitForURL(/#\/account$/);
  await page.getByText('Choose your own password to go on').waitFor();
  await changePassword(page, generated, 'gina chose this one');
  // straight on to the dashboard, still signed in, its numbers loaded
  await page.waitForURL((u) => u.hash === '#/');
  await page.locator('.stat-value').first().waitFor();
  await page.reload();
  await page.locator('.stat-value').first().waitFor();
  assert.equal(page.url().endsWith('#/'), true);
  assert.equal((await session('gina', 'gina chose this one')).status, 200);
  assert.equal((await session('gina', generated)).status, 401);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a password change keeps this session: no new sign-in, and the next change works', async () => {
  const pw = troth.user('pat', 'operator');
  const page = await newPage(browser);
  await signIn(page, troth.base, 'pat', pw);
  await page.goto(`${troth.base}/#/account`);
  assert.equal(await page.getByText('Choose your own password to go on').count(), 0);
  await changePassword(page, pw, 'pat has a new password');
  await page.getByText('Your password has been changed. You stay signed in here').waitFor();
  // a change (with the session's CSRF token) right after, no sign-in page in between
  await page.goto(`${troth.base}/#/tokens`);
  await page.getByLabel('Name').fill('after-change');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByText('Your new API token').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Sign in' }).count(), 0);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByText(/session (has )?ended/i).count(), 0);
  await signIn(page, troth.base, 'pat', 'pat has a new password');
  assert.equal((await session('pat', pw)).status, 401);
  assert.deepEqual(page.problems, []);
  await page.close();
});
