// Signing in and out, as a person does: wrong password, keyboard only,
// session expiry, a lost CSRF token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

test('a wrong password shows the API detail and stays on sign-in', async () => {
  const page = await newPage(browser);
  await page.goto(`${troth.base}/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  const text = await alert.textContent();
  const api = await fetch(`${troth.base}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'wrong again' }) });
  // the kind's sentence (problem-text.js), then the API's detail
  const detail = (await api.json()).detail;
  assert.match(text.trim(), /^The username or password is wrong\. /);
  assert.ok(text.trim().replace(/\.$/, "").toLowerCase().endsWith(detail.toLowerCase()), `${text} / ${detail}`);
  assert.doesNotMatch(await page.content(), /"type":\s*"urn:troth/);
  assert.equal(await page.locator('#sign-out').count(), 0);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the sign-in form works with the keyboard alone', async () => {
  const page = await newPage(browser);
  await page.goto(`${troth.base}/#/signin`);
  await page.getByLabel('Username').waitFor();
  // focus starts in the username field
  assert.equal(await page.evaluate(() => document.activeElement.name), 'username');
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'password');
  await page.keyboard.type(troth.adminPassword);
  await page.keyboard.press('Enter');
  await page.locator('#sign-out').waitFor();
  await page.getByRole('heading', { name: 'Browser Test Community' }).or(page.getByRole('heading', { name: 'Dashboard' })).waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('sign out returns to sign-in and the session is gone', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByText('You have signed out.').waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
  assert.equal(me, 401);
  // a signed-in page by URL now asks to sign in
  await page.goto(`${troth.base}/#/users`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('an expired session returns to sign-in, then back to the page', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/tokens`);
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  troth.psql('UPDATE sessions SET expires_at = now()');
  // the next call the page makes answers 401
  await page.getByLabel('Name').fill('after-expiry');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByText('Your session has ended').waitFor();
  assert.match(page.url(), /#\/signin\?next=%2Ftokens/);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(troth.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a reload keeps the session; a lost or stale CSRF token is fetched again from the session', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/tokens`);
  await page.reload();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  await page.getByLabel('Name').fill('after-reload');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByText('Your new API token').waitFor();
  for (const [name, lose] of [['no-csrf', () => sessionStorage.clear()],
    ['stale-csrf', () => sessionStorage.setItem('troth.csrf', 'not-the-token')]]) {
    await page.evaluate(lose);
    await page.getByLabel('Name').fill(name);
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('cell', { name }).waitFor();
  }
  assert.equal(await page.locator('#sign-out').count(), 1);
  assert.deepEqual(page.problems, []);
  await page.close();
});

// issue 14 §2: the CSRF token lived in the first tab's sessionStorage only
test('a second tab of the same browser can make changes and sign out', async () => {
  const first = await newPage(browser);
  await signIn(first, troth.base, 'admin', troth.adminPassword);
  // GET /api/v1/me tells a session its CSRF token, and a bearer token none
  const me = await first.evaluate(async () => (await fetch('/api/v1/me')).json());
  assert.equal(me.auth, 'session');
  assert.match(me.csrf_token, /^\S{16,}$/);
  const viaToken = await troth.api().get('/api/v1/me');
  assert.equal(viaToken.data.csrf_token, undefined);
  // the second tab shares the cookie, not the first tab's sessionStorage
  const second = await browser.context.newPage();
  second.problems = [];
  second.on('pageerror', (e) => second.problems.push(`page error: ${e.message}`));
  await second.goto(`${troth.base}/#/tokens`);
  await second.getByRole('heading', { name: 'API tokens' }).waitFor();
  await second.getByLabel('Name').fill('from-the-second-tab');
  await second.getByRole('button', { name: 'Create token' }).click();
  await second.getByText('Your new API token').waitFor();
  assert.equal(await second.locator('#sign-out').count(), 1);
  // sign-out from the second tab ends the session for both
  await second.getByRole('button', { name: 'Sign out' }).click();
  await second.getByText('You have signed out.').waitFor();
  assert.equal(await first.evaluate(async () => (await fetch('/api/v1/me')).status), 401);
  assert.deepEqual(second.problems, []);
  await second.close();
  await first.close();
});

test('a sign-out the server refuses says so and leaves the person signed in', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.route('**/api/v1/session', (route) => (route.request().method() === 'DELETE'
    ? route.fulfill({ status: 503, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'urn:troth:problem:db-unavailable', title: 'Service Unavailable', status: 503, detail: 'the database is unavailable' }) })
    : route.continue()));
  await page.getByRole('button', { name: 'Sign out' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Sign-out failed' });
  await alert.waitFor();
  assert.match(await alert.textContent(), /still signed in.*the database is unavailable/);
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/me')).status), 200);
  await page.unroute('**/api/v1/session');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You have signed out.').waitFor();
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/me')).status), 401);
  await page.close();
});
