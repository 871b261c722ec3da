// Irreversible actions (issue 14 §6): terminate and revoke name the
// consequence with counts, ask why (kept in the audit event), start with
// Cancel focused, and terminate wants the member's name typed; making
// someone an admin is confirmed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser, api, work, opPassword;
const csr = (cn) => execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', path.join(work, 'key.pem'),
  '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-subj', `/CN=${cn}`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();

async function memberWithCerts(name, host, n) {
  const m = (await api.post('/api/v1/members', { name, organization_id: `https://${host}` })).data;
  const uri = `https://app.${host}/`;
  await api.post(`/api/v1/members/${m.id}/uris`, { uri, kind: 'client' });
  await api.raw('POST', `/api/v1/members/${m.id}/activate`);
  const certs = [];
  for (let i = 0; i < n; i++) {
    const r = await api.post('/api/v1/certificates', { member_id: m.id, profile: 'udap-client', csr: csr(`app${i}.${host}`), uris: [uri] });
    assert.equal(r.status, 201, JSON.stringify(r.data));
    certs.push(r.data);
  }
  return { m, certs };
}

before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  work = mkdtempSync(path.join(tmpdir(), 'troth-browser-irrev.'));
  opPassword = troth.user('otto', 'operator');
});
after(async () => {
  await browser?.close();
  await troth?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const auditOf = (id, action) => troth.psql(`SELECT coalesce(details->>'reason', '-') FROM audit_events WHERE object_type = 'member' AND object_id = '${id}' AND action = '${action}'`);

test('terminate counts what it revokes, wants the name typed, and one Enter cancels', async () => {
  const { m, certs } = await memberWithCerts('Cedar Dental', 'cedar.example.org', 3);
  await api.post(`/api/v1/certificates/${certs[2].serial}/revoke`, { reason: 'certificateHold' });
  const page = await newPage(browser);
  await signIn(page, troth.base, 'otto', opPassword);
  await page.goto(`${troth.base}/#/members/${m.id}`);
  await page.getByRole('button', { name: 'Terminate' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByText('This revokes 2 valid certificates and 1 held certificate, for good.').waitFor();
  // Cancel has the focus: Enter cancels, nothing changes
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel');
  await page.keyboard.press('Enter');
  await dlg.waitFor({ state: 'detached' });
  assert.equal((await api.get(`/api/v1/members/${m.id}`)).data.status, 'active');

  // the button stays disabled until the name is typed
  await page.getByRole('button', { name: 'Terminate' }).click();
  const confirm = dlg.getByRole('button', { name: 'Terminate' });
  assert.equal(await confirm.isDisabled(), true);
  await dlg.getByLabel('Reason (kept in the audit log)').fill('Left the community (letter of 3 March)');
  await dlg.getByLabel('Type the member’s name to confirm').fill('Cedar');
  assert.equal(await confirm.isDisabled(), true);
  await page.keyboard.press('Enter'); // implicit submission of a disabled button does nothing
  assert.equal((await api.get(`/api/v1/members/${m.id}`)).data.status, 'active');
  await dlg.getByLabel('Type the member’s name to confirm').fill('Cedar Dental');
  await confirm.click();
  await page.locator('.page-header').getByText('Terminated').waitFor();
  assert.equal((await api.get(`/api/v1/members/${m.id}`)).data.status, 'terminated');
  assert.equal(auditOf(m.id, 'member.terminate'), 'Left the community (letter of 3 March)');
  for (const c of certs) assert.equal((await api.get(`/api/v1/certificates/${c.serial}`)).data.status, 'revoked');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('suspend says how many certificates go on hold and records the reason', async () => {
  const { m } = await memberWithCerts('Birch Pharmacy', 'birch.example.org', 1);
  const page = await newPage(browser);
  await signIn(page, troth.base, 'otto', opPassword);
  await page.goto(`${troth.base}/#/members/${m.id}`);
  await page.getByRole('button', { name: 'Suspend' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByText('This puts 1 valid certificate on hold.').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel');
  await dlg.getByLabel('Reason (kept in the audit log)').fill('Dues unpaid');
  await dlg.getByRole('button', { name: 'Suspend' }).click();
  await page.locator('.page-header').getByText('Suspended').waitFor();
  assert.equal(auditOf(m.id, 'member.suspend'), 'Dues unpaid');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('revoke names the certificate and starts on Cancel', async () => {
  const { certs } = await memberWithCerts('Aspen Clinic', 'aspen.example.org', 1);
  const page = await newPage(browser);
  await signIn(page, troth.base, 'otto', opPassword);
  await page.goto(`${troth.base}/#/certificates/${certs[0].serial}`);
  await page.getByRole('button', { name: 'Revoke…' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByText(new RegExp(`^This revokes 1 certificate: .+, serial ${certs[0].serial}, for https://app\\.aspen\\.example\\.org/\\.$`)).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel');
  await page.keyboard.press('Enter');
  await dlg.waitFor({ state: 'detached' });
  assert.equal((await api.get(`/api/v1/certificates/${certs[0].serial}`)).data.status, 'valid');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('making a user an admin is confirmed; cancelling keeps the role', async () => {
  troth.user('una', 'operator');
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/users`);
  const role = page.getByLabel('Role of una');
  await role.selectOption('admin');
  const dlg = page.getByRole('dialog');
  await dlg.getByText('una will be able to do everything').waitFor();
  await dlg.getByRole('button', { name: 'Cancel' }).click();
  await page.waitForFunction(() => document.querySelector('[aria-label="Role of una"]').value === 'operator');
  const una = () => api.get('/api/v1/users?limit=200').then((r) => r.data.items.find((u) => u.username === 'una'));
  assert.equal((await una()).role, 'operator');
  await role.selectOption('admin');
  await dlg.getByRole('button', { name: 'Make admin' }).click();
  await page.getByText('una is now admin.').waitFor();
  assert.equal((await una()).role, 'admin');
  assert.deepEqual(page.problems, []);
  await page.close();
});
