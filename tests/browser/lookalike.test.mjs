// Look-alike URIs are asked about before they are stored (issue 14 §12):
// staff see the look-alike and its member and choose; Cancel stores nothing;
// a member user is never told of another member's URI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser, api, opPassword;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  opPassword = troth.user('olga', 'operator');
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

async function member(name, host) {
  return (await api.post('/api/v1/members', { name, organization_id: `https://${host}` })).data;
}
const urisOf = async (id) => (await api.get(`/api/v1/members/${id}/uris`)).data.items.map((u) => `${u.uri} ${u.status}`);

test('staff adding a look-alike are asked, naming the other member; Cancel stores nothing', async () => {
  const x = await member('Member X Clinic', 'x.example.org');
  const b = await member('Birch Care', 'birch.example.org');
  assert.equal((await api.post(`/api/v1/members/${x.id}/uris`, { uri: 'https://a.example.org/fhir', kind: 'server' })).status, 201);
  const page = await newPage(browser);
  await signIn(page, troth.base, 'olga', opPassword);
  await page.goto(`${troth.base}/#/members/${b.id}`);
  await page.getByRole('heading', { name: 'Birch Care' }).waitFor();
  await page.getByLabel('URI', { exact: true }).fill('https://a.example.org/fhir/');
  await page.getByLabel('Kind').selectOption('server');
  await page.getByRole('button', { name: 'Add URI' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByRole('heading', { name: 'Add anyway?' }).waitFor();
  const text = await dlg.innerText();
  assert.match(text, /https:\/\/a\.example\.org\/fhir\/ looks like this URI/);
  assert.match(text, /https:\/\/a\.example\.org\/fhir of Member X Clinic/);
  assert.equal(await dlg.getByRole('link', { name: 'Member X Clinic' }).getAttribute('href'), `#/members/${x.id}`);
  // Cancel has the focus: Enter stores nothing
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel');
  await page.keyboard.press('Enter');
  await dlg.waitFor({ state: 'detached' });
  assert.deepEqual(await urisOf(b.id), []);
  assert.equal(await page.getByLabel('URI', { exact: true }).inputValue(), 'https://a.example.org/fhir/');
  // again, and add anyway
  await page.getByRole('button', { name: 'Add URI' }).click();
  await dlg.getByRole('button', { name: 'Add anyway' }).click();
  await page.getByText('Added https://a.example.org/fhir/.').waitFor();
  await page.getByRole('row').filter({ hasText: 'https://a.example.org/fhir/' }).getByText('approved').waitFor();
  assert.deepEqual(await urisOf(b.id), ['https://a.example.org/fhir/ approved']);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a member user is not told of another member; staff approving its proposal are asked', async () => {
  const x = await member('Owner Health', 'owner.example.org');
  await api.post(`/api/v1/members/${x.id}/uris`, { uri: 'https://app.owner.example.org/', kind: 'client' });
  const m = await member('Proposer Lab', 'proposer.example.org');
  await api.raw('POST', `/api/v1/members/${m.id}/activate`);
  const password = troth.user('pia', 'member', { member: m.id });
  const page = await newPage(browser);
  await signIn(page, troth.base, 'pia', password);
  await page.getByRole('heading', { name: 'Proposer Lab' }).waitFor();
  await page.getByLabel('URI', { exact: true }).fill('https://APP.owner.example.org/');
  await page.getByRole('button', { name: 'Propose URI' }).click();
  await page.getByText('an operator will review it').waitFor();
  assert.equal(await page.getByRole('dialog').count(), 0);
  assert.equal(await page.getByText('Owner Health').count(), 0);
  assert.equal(await page.getByText('https://app.owner.example.org/', { exact: true }).count(), 0);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();

  await signIn(page, troth.base, 'olga', opPassword);
  await page.goto(`${troth.base}/#/members/${m.id}`);
  const row = page.getByRole('row').filter({ hasText: 'https://APP.owner.example.org/' });
  await row.getByRole('button', { name: 'Approve' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByRole('heading', { name: 'Approve anyway?' }).waitFor();
  assert.match(await dlg.innerText(), /https:\/\/app\.owner\.example\.org\/ of Owner Health/);
  await dlg.getByRole('button', { name: 'Approve anyway' }).click();
  await row.getByText('approved').waitFor();
  assert.deepEqual(await urisOf(m.id), ['https://APP.owner.example.org/ approved']);
  assert.deepEqual(page.problems, []);
  await page.close();
});
