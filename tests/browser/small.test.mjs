// Smaller things (issue 14 §13): a first visit is not greeted with
// "session ended", a favicon, focus on the new page's heading after
// navigation, a link to the API document.
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

test('a first visit to a page asks to sign in without saying a session ended', async () => {
  const page = await newPage(browser);
  await page.goto(`${troth.base}/#/members`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.match(page.url(), /#\/signin\?next=%2Fmembers/);
  assert.equal(await page.getByText('Your session has ended').count(), 0);
  // and it still goes on to the page asked for
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(troth.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Members', exact: true }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a favicon, focus on the heading after navigation, and a link to the API document', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  const icon = await page.locator('link[rel=icon]').getAttribute('href');
  const r = await page.evaluate(async (u) => { const x = await fetch(u); return [x.status, x.headers.get('content-type'), await x.text()]; }, icon);
  assert.equal(r[0], 200);
  assert.match(r[1], /^image\/svg\+xml/);
  assert.match(r[2], /^<svg /);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Certificates' }).click();
  await page.getByRole('heading', { name: 'Certificates', level: 1 }).waitFor();
  await page.waitForFunction(() => document.activeElement && document.activeElement.tagName === 'H1');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Certificates');
  const api = page.getByRole('link', { name: 'API document (OpenAPI)' });
  assert.equal(await api.getAttribute('href'), '/api/v1/openapi.json');
  const doc = await page.evaluate(async () => (await fetch('/api/v1/openapi.json')).json());
  assert.equal(doc.openapi.slice(0, 2), '3.');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('copy buttons by the serial and fingerprint; downloads named by subject and serial', async () => {
  const api = troth.api();
  const m = (await api.post('/api/v1/members', { name: 'Rowan Rehab', organization_id: 'https://rowan.example.org' })).data;
  await api.post(`/api/v1/members/${m.id}/uris`, { uri: 'https://app.rowan.example.org/', kind: 'client' });
  await api.raw('POST', `/api/v1/members/${m.id}/activate`);
  const r = await api.post('/api/v1/certificates/keygen', { member_id: m.id, profile: 'udap-client', uris: ['https://app.rowan.example.org/'],
    key_type: 'EC-P256', passphrase: 'a long passphrase' });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  const { serial } = r.data;
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: troth.base });
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/certificates/${serial}`);
  await page.getByRole('button', { name: 'Copy serial' }).click();
  await page.getByRole('button', { name: 'Copy serial' }).getByText('Copied').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), serial);
  await page.getByRole('button', { name: 'Copy SHA-256 fingerprint' }).click();
  const fp = await page.evaluate(() => navigator.clipboard.readText());
  const cert = (await api.get(`/api/v1/certificates/${serial}`)).data;
  assert.equal(fp.replace(/:/g, '').toLowerCase(), cert.fingerprint_sha256.toLowerCase());
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'PEM', exact: true }).click()]);
  assert.match(download.suggestedFilename(), new RegExp(`^[A-Za-z0-9._-]+-${serial}\\.pem$`));
  assert.deepEqual(page.problems, []);
  await page.close();
});
