// Members can be maintained (issue 14 §10): staff edit name, NPI, several
// contacts with name and role, and notes; the accept page says what one
// joins and sign-in has the username filled in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser, api, opPassword;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  opPassword = troth.user('uma', 'operator');
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

test('staff edit a member: name, NPI (check digit first), contacts with roles, notes', async () => {
  const m = (await api.post('/api/v1/members', { name: 'Elm Clinic', organization_id: 'https://elm.example.org',
    contacts: [{ email: 'old@elm.example.org' }] })).data;
  const page = await newPage(browser);
  await signIn(page, troth.base, 'uma', opPassword);
  await page.goto(`${troth.base}/#/members/${m.id}`);
  await page.getByRole('button', { name: 'Edit details' }).click();
  const form = page.locator('form.member-edit');
  await form.getByLabel('Name', { exact: true }).first().fill('Elm Clinic, Inc.'); // the member's; each contact has one too
  await form.getByLabel('NPI (optional)').fill('1234567890');
  await form.getByRole('button', { name: 'Add a contact' }).click();
  const second = form.locator('fieldset.contact').nth(1);
  await second.getByLabel('E-mail').fill('ada@elm.example.org');
  await second.getByLabel('Name').fill('Ada Lovelace');
  await second.getByLabel('Role').fill('security officer');
  await form.locator('fieldset.contact').nth(0).getByLabel('Role').fill('billing');
  await form.getByLabel('Notes').fill('Renewed the contract in 2026.');
  await form.getByRole('button', { name: 'Save changes' }).click();
  // the check digit is wrong: said at the field, nothing sent
  await form.locator('.field-error').getByText(/check digit is wrong/).waitFor();
  assert.equal((await api.get(`/api/v1/members/${m.id}`)).data.name, 'Elm Clinic');
  await form.getByLabel('NPI (optional)').fill('1234567893');
  await form.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Saved the details of Elm Clinic, Inc.').waitFor();
  const saved = (await api.get(`/api/v1/members/${m.id}`)).data;
  assert.equal(saved.name, 'Elm Clinic, Inc.');
  assert.equal(saved.npi, '1234567893');
  assert.equal(saved.notes, 'Renewed the contract in 2026.');
  assert.deepEqual(saved.contacts, [{ email: 'old@elm.example.org', role: 'billing' },
    { email: 'ada@elm.example.org', name: 'Ada Lovelace', role: 'security officer' }]);
  await page.locator('.contact-line').filter({ hasText: 'Ada Lovelace <ada@elm.example.org>' }).getByText('security officer').waitFor();
  // removing a contact, and the API's reason at the field of the right row
  await page.getByRole('button', { name: 'Edit details' }).click();
  await form.locator('fieldset.contact').nth(0).getByRole('button', { name: 'Remove contact' }).click();
  await form.locator('fieldset.contact').nth(0).getByLabel('E-mail').fill('not an address');
  await form.getByRole('button', { name: 'Save changes' }).click();
  await form.locator('fieldset.contact').nth(0).locator('.field-error').waitFor();
  assert.equal(await form.locator('fieldset.contact').nth(0).getByLabel('E-mail').getAttribute('aria-invalid'), 'true');
  assert.equal((await api.get(`/api/v1/members/${m.id}`)).data.contacts.length, 2);
  const audit = troth.psql(`SELECT count(*) FROM audit_events WHERE object_type = 'member' AND object_id = '${m.id}' AND action = 'member.update'`);
  assert.equal(String(audit).trim(), '1');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the accept page says what one joins, and sign-in has the username', async () => {
  const m = (await api.post('/api/v1/members', { name: 'Juniper Health', organization_id: 'https://juniper.example.org' })).data;
  const inv = (await api.post(`/api/v1/members/${m.id}/invitations`, { username: 'june' })).data;
  const page = await newPage(browser);
  await page.goto(`${troth.base}/accept-invitation#token=${encodeURIComponent(inv.token)}`);
  await page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
  await page.locator('.joining').waitFor();
  assert.equal((await page.locator('.joining').innerText()).trim(), 'You are invited to join Juniper Health as the user june.');
  await page.getByLabel('New password').fill('a long password for june');
  await page.getByLabel('Repeat the password').fill('a long password for june');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByRole('link', { name: 'Sign in now as june' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByLabel('Username').inputValue(), 'june');
  await page.getByLabel('Password').fill('a long password for june');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Juniper Health' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('staff revoke and resend invitations on the member page', async () => {
  const m = (await api.post('/api/v1/members', { name: 'Rowan Care', organization_id: 'https://rowan.example.org' })).data;
  const a = (await api.post(`/api/v1/members/${m.id}/invitations`, { username: 'rona' })).data;
  const b = (await api.post(`/api/v1/members/${m.id}/invitations`, { username: 'rudi', email: 'rudi@rowan.example.org' })).data;
  const page = await newPage(browser);
  await signIn(page, troth.base, 'uma', opPassword);
  await page.goto(`${troth.base}/#/members/${m.id}`);
  // revoke: confirmed, Cancel first
  await page.getByRole('button', { name: 'Revoke the invitation of rona' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByRole('heading', { name: 'Revoke the invitation of rona?' }).waitFor();
  await dlg.getByRole('button', { name: 'Revoke' }).click();
  await page.getByText('Revoked the invitation of rona.').waitFor();
  await page.getByRole('row').filter({ hasText: 'rona' }).getByText('revoked').waitFor();
  const gone = await fetch(`${troth.base}/api/v1/invitations/lookup`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: a.token }) });
  assert.equal(gone.status, 410);
  // resend: a new link, shown once; the old one no longer works
  await page.getByRole('button', { name: 'Resend the invitation of rudi' }).click();
  await page.getByText('New invitation link for rudi').waitFor();
  const link = (await page.locator('.secret-value').textContent()).trim();
  assert.match(link, /\/accept-invitation#token=trinv_/);
  assert.ok(!link.endsWith(b.token));
  const old = await fetch(`${troth.base}/api/v1/invitations/lookup`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: b.token }) });
  assert.equal(old.status, 404);
  await page.goto(link);
  await page.locator('.joining').getByText('Rowan Care').waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});
