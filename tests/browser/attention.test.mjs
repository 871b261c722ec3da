// The work queue (issue 14 §3): what waits for the staff is on the
// dashboard and on its own page, each row leading to its action.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser, api, work, opPassword, audPassword;
let active, waiting, proposal, expiring;
const URI = 'https://portal.lakeside.example.org/fhir';

const csr = (cn) => execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', path.join(work, 'key.pem'),
  '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-subj', `/CN=${cn}`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();

before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  work = mkdtempSync(path.join(tmpdir(), 'troth-browser-attention.'));
  opPassword = troth.user('opal', 'operator');
  audPassword = troth.user('audrey', 'auditor');
  active = (await api.post('/api/v1/members', { name: 'Lakeside Clinic', organization_id: 'https://lakeside.example.org' })).data;
  await api.post(`/api/v1/members/${active.id}/uris`, { uri: 'https://app.lakeside.example.org/', kind: 'client' });
  await api.raw('POST', `/api/v1/members/${active.id}/activate`);
  waiting = (await api.post('/api/v1/members', { name: 'Hilltop Labs', organization_id: 'https://hilltop.example.org' })).data;
  troth.user('lakeside-admin', 'member', { member: active.id });
  proposal = (await troth.api('lakeside-admin').post(`/api/v1/members/${active.id}/uris`, { uri: URI, kind: 'client' })).data;
  assert.equal(proposal.status, 'pending');
  expiring = (await api.post('/api/v1/certificates', { member_id: active.id, profile: 'udap-client',
    csr: csr('app.lakeside.example.org'), uris: ['https://app.lakeside.example.org/'] })).data;
  troth.psql(`UPDATE certificates SET not_after = now() + interval '10 days' WHERE serial = '${expiring.serial}'`);
});
after(async () => {
  await browser?.close();
  await troth?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the dashboard says what waits; the work queue approves a proposed URI and leads to renewal', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'opal', opPassword);
  await page.goto(`${troth.base}/#/`);
  const card = page.locator('section.card').filter({ has: page.getByRole('heading', { name: 'Needs attention' }) });
  await card.locator('[data-kind=pending_uris]').getByText('1 URI awaiting approval').waitFor();
  await card.locator('[data-kind=pending_members]').getByText('1 member awaiting activation').waitFor();
  await card.locator('[data-kind=certificates_expiring]').getByText('1 certificate expiring within 30 days, not renewed').waitFor();
  assert.equal(await card.locator('[data-kind=invitations_lapsing]').count(), 0);

  await card.getByRole('link', { name: /URI awaiting approval/ }).click();
  await page.getByRole('heading', { name: 'Needs attention', level: 1 }).waitFor();
  const row = page.locator('#pending_uris').getByRole('row').filter({ hasText: URI });
  await row.getByText('Lakeside Clinic').waitFor();
  await row.getByRole('button', { name: `Approve ${URI}` }).click();
  await page.getByText(`Approved ${URI} for Lakeside Clinic.`).waitFor();
  await page.locator('#pending_uris').getByText('No URI is waiting for approval.').waitFor();
  const uris = (await api.get(`/api/v1/members/${active.id}/uris`)).data.items;
  assert.equal(uris.find((u) => u.id === proposal.id).status, 'approved');

  // the pending member leads to its page, the certificate to its renewal
  await page.locator('#pending_members').getByRole('link', { name: 'Hilltop Labs' }).waitFor();
  await page.locator('#certificates_expiring').getByRole('row').filter({ hasText: expiring.serial })
    .getByRole('link', { name: 'Renew' }).click();
  await page.getByRole('heading', { name: 'Renew a certificate' }).waitFor();
  assert.match(page.url(), new RegExp(`renew=${expiring.serial}`));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('an auditor sees the queue but no buttons that change things', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'audrey', audPassword);
  await page.goto(`${troth.base}/#/attention`);
  await page.getByRole('heading', { name: 'Needs attention', level: 1 }).waitFor();
  await page.locator('#pending_members').getByRole('link', { name: 'Hilltop Labs' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Approve/ }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Renew' }).count(), 0);
  // a dead notification is for admins only
  assert.equal(await page.locator('#dead_notifications').count(), 0);
  assert.deepEqual(page.problems, []);
  await page.close();
});
