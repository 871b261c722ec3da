// The community at work: an operator onboards a member and runs its
// certificate through its life; a member user sees only its organisation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser, api, operatorPassword, work;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  operatorPassword = troth.user('oscar', 'operator');
  work = mkdtempSync(path.join(tmpdir(), 'troth-browser-csr.'));
});
after(async () => {
  await browser?.close();
  await troth?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function csr(keyArgs, cn = 'app.example.org') {
  return execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', path.join(work, 'key.pem'), ...keyArgs, '-subj', `/CN=${cn}`],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
}

async function crlNumber(page) {
  if (page.url().endsWith('/#/')) await page.reload();
  else await page.goto(`${troth.base}/#/`);
  const cell = page.locator('.crl-number[data-ca="issuing"]');
  await cell.waitFor();
  return Number(await cell.textContent());
}

async function member(name, org, uri) {
  const m = (await api.post('/api/v1/members', { name, organization_id: org })).data;
  if (uri) await api.post(`/api/v1/members/${m.id}/uris`, { uri, kind: 'client' });
  await api.raw('POST', `/api/v1/members/${m.id}/activate`);
  return m;
}

test('an operator onboards a member, approves a URI, issues from a CSR, downloads and revokes it', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'oscar', operatorPassword);
  const before = await crlNumber(page);

  // create the member
  await page.getByRole('link', { name: 'Members' }).click();
  await page.getByText('New member').click();
  await page.getByLabel('Name').fill('Acme Health');
  await page.getByLabel('Organisation id').fill('https://acme.example.org');
  await page.getByRole('button', { name: 'Create member' }).click();
  await page.getByRole('heading', { name: 'Acme Health' }).waitFor();
  await page.getByText('Member Acme Health created.').waitFor();
  const memberId = /#\/members\/([^?]+)/.exec(page.url())[1];

  // the member's user proposes a URI; the operator approves it
  troth.user('acme-admin', 'member', { member: memberId });
  const memberApi = troth.api('acme-admin');
  const proposed = await memberApi.post(`/api/v1/members/${memberId}/uris`, { uri: 'https://app.acme.example.org/fhir', kind: 'client' });
  assert.equal(proposed.data.status, 'pending');
  await page.reload();
  const row = page.getByRole('row').filter({ hasText: 'https://app.acme.example.org/fhir' });
  await row.getByText('pending').waitFor();
  await row.getByRole('button', { name: 'Approve' }).click();
  await row.getByText('approved').waitFor();

  // activate, with a confirmation that says what happens
  await page.getByRole('button', { name: 'Activate' }).click();
  await page.getByRole('dialog').getByText('certificates can be issued').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Activate' }).click();
  await page.locator('.page-header').getByText('active').waitFor();

  // issue from a CSR, with a decoded preview
  await page.getByRole('link', { name: 'Issue a certificate' }).click();
  await page.getByRole('heading', { name: 'Issue a certificate' }).waitFor();
  await page.getByLabel('Profile').selectOption('udap-client');
  await page.getByLabel('https://app.acme.example.org/fhir').check();
  await page.getByLabel('Certificate signing request (PEM)').fill(csr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'app.acme.example.org'));
  await page.locator('.csr-preview').getByText('EC P-256 256-bit').waitFor();
  await page.getByRole('button', { name: 'Issue certificate' }).click();
  await page.locator('.page-header').getByText(/^Serial [0-9a-f]+$/).waitFor();
  const serial = /#\/certificates\/([0-9a-f]+)/.exec(page.url())[1];
  await page.getByText('https://app.acme.example.org/fhir').first().waitFor();
  await page.locator('.page-header').getByText('valid').waitFor();

  // download the PEM: it is the certificate with that serial
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'PEM', exact: true }).click()]);
  const pem = readFileSync(await download.path(), 'utf8');
  assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
  const out = execFileSync('openssl', ['x509', '-noout', '-serial'], { input: pem }).toString();
  assert.equal(out.trim().split('=')[1].toLowerCase().replace(/^0+/, ''), serial.replace(/^0+/, ''));

  // revoke with a reason
  await page.getByRole('button', { name: 'Revoke…' }).click();
  await page.getByRole('dialog').getByLabel('Reason').selectOption('keyCompromise');
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await page.getByText('The certificate is revoked').waitFor();
  await page.locator('.page-header').getByText('revoked').waitFor();
  await page.getByText(/Revoked .* \(keyCompromise\)/).waitFor();

  // the dashboard shows the CRL number rising (the CRL is regenerated in the background)
  let after = before;
  for (let i = 0; i < 40 && after <= before; i++) {
    after = await crlNumber(page);
    if (after <= before) await page.waitForTimeout(500);
  }
  assert.ok(after > before, `CRL number ${before} → ${after}`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a bad CSR is said at the CSR field, and the API reason too', async () => {
  const m = await member('Bad CSR Clinic', 'https://badcsr.example.org', 'https://app.badcsr.example.org/');
  const page = await newPage(browser);
  await signIn(page, troth.base, 'oscar', operatorPassword);
  await page.goto(`${troth.base}/#/issue?member=${m.id}`);
  await page.getByLabel('https://app.badcsr.example.org/').check();
  // not a CSR at all: the preview says so, and the field when submitted (issue 14 §8)
  await page.getByLabel('Certificate signing request (PEM)').fill('hello, I am not a CSR');
  await page.locator('.csr-preview').getByText('This is not a PEM certificate request').waitFor();
  await page.getByRole('button', { name: 'Issue certificate' }).click();
  await page.locator('.field-error').getByText('This is not a PEM certificate request').waitFor();
  assert.equal(await page.getByLabel('Certificate signing request (PEM)').getAttribute('aria-invalid'), 'true');
  // a CSR the page cannot judge (its signature is broken): the API's reason, at the field
  const good = csr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const lines = good.trim().split('\n');
  const body = lines.slice(1, -1).join('');
  const der = Buffer.from(body, 'base64');
  der[der.length - 5] ^= 0x01; // inside the signature
  const broken = `${lines[0]}\n${der.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n${lines.at(-1)}\n`;
  await page.getByLabel('Certificate signing request (PEM)').fill(broken);
  await page.getByRole('button', { name: 'Issue certificate' }).click();
  const refusal = await api.post('/api/v1/certificates', { member_id: m.id, profile: 'udap-client', csr: broken, uris: ['https://app.badcsr.example.org/'] });
  assert.ok(refusal.status >= 400, JSON.stringify(refusal.data));
  const where = refusal.data.field === 'csr' ? '.field-error' : '.messages .notice-error';
  await page.locator(where).getByText(refusal.data.detail, { exact: false }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a member user sees only its own organisation', async () => {
  const mine = await member('Mine Medical', 'https://mine.example.org', 'https://app.mine.example.org/');
  const other = await member('Other Org', 'https://other.example.org', 'https://app.other.example.org/');
  await api.post('/api/v1/certificates', { member_id: other.id, profile: 'udap-client', csr: csr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']), uris: ['https://app.other.example.org/'] });
  const password = troth.user('mina', 'member', { member: mine.id });
  const page = await newPage(browser);
  await signIn(page, troth.base, 'mina', password);
  // lands on its organisation; no staff pages in the navigation
  await page.getByRole('heading', { name: 'Mine Medical' }).waitFor();
  const nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
  assert.match(nav, /My organisation/);
  for (const staff of ['Dashboard', 'Members', 'Users', 'Audit log', 'Issue']) assert.doesNotMatch(nav, new RegExp(`^${staff}$`, 'm'));
  assert.equal(await page.getByRole('button', { name: 'Activate' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Terminate' }).count(), 0);
  // proposes a URI: pending
  await page.getByLabel('URI', { exact: true }).fill('https://portal.mine.example.org/');
  await page.getByRole('button', { name: 'Propose URI' }).click();
  await page.getByText('an operator will review it').waitFor();
  await page.getByRole('row').filter({ hasText: 'https://portal.mine.example.org/' }).getByText('pending').waitFor();
  // the certificate list holds none of the other member's
  await page.getByRole('link', { name: 'Certificates' }).click();
  await page.getByRole('heading', { name: 'Certificates' }).waitFor();
  await page.getByText('No certificates.').waitFor();
  // another organisation by URL: not found
  await page.goto(`${troth.base}/#/members/${other.id}`);
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.equal(await page.getByText('Other Org').count(), 0);
  // a staff page by URL: not found either
  await page.goto(`${troth.base}/#/users`);
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('an invited user sets a password from the invitation link and signs in', async () => {
  const m = await member('Invite Hospital', 'https://invite.example.org');
  const page = await newPage(browser);
  await signIn(page, troth.base, 'oscar', operatorPassword);
  await page.goto(`${troth.base}/#/members/${m.id}`);
  await page.getByRole('heading', { name: 'Invite Hospital' }).waitFor();
  await page.getByLabel('Username').fill('ivy');
  await page.getByRole('button', { name: 'Invite user' }).click();
  await page.getByText('Invitation link for ivy').waitFor();
  const link = (await page.locator('.secret-value').textContent()).trim();
  assert.match(link, /\/accept-invitation#token=/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.goto(link);
  await page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
  await page.getByLabel('New password').fill('a new long password for ivy');
  await page.getByLabel('Repeat the password').fill('a new long password for ivy');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Your account is ready.').waitFor();
  await page.getByRole('link', { name: 'Sign in now' }).click();
  await page.getByLabel('Username').fill('ivy');
  await page.getByLabel('Password').fill('a new long password for ivy');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Invite Hospital' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('keygen into PKCS#12, hold and release, and an admin regenerates a CRL', async () => {
  const m = await member('Keygen Care', 'https://keygen.example.org', 'https://app.keygen.example.org/');
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/issue?member=${m.id}`);
  await page.getByLabel('https://app.keygen.example.org/').check();
  await page.getByLabel('Generate a key pair on the server').check();
  await page.getByLabel('Key type').selectOption('EC-P256');
  await page.getByLabel('PKCS#12 passphrase').fill('correct horse battery');
  await page.getByLabel('Repeat the passphrase').fill('correct horse battery');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Issue certificate' }).click()]);
  assert.match(download.suggestedFilename(), /\.p12$/);
  const p12 = await download.path();
  const info = execFileSync('openssl', ['pkcs12', '-in', p12, '-nokeys', '-passin', 'pass:correct horse battery'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  assert.match(info, /BEGIN CERTIFICATE/);
  await page.getByRole('link', { name: 'Go to the certificate' }).click();
  await page.locator('.page-header').getByText(/^Serial /).waitFor();

  // hold, then release
  await page.getByRole('button', { name: 'Revoke…' }).click();
  await page.getByRole('dialog').getByLabel('Reason').selectOption('certificateHold');
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await page.getByText('The certificate is on hold.').waitFor();
  await page.getByRole('button', { name: 'Release hold' }).click();
  await page.getByText('The hold is released.').waitFor();
  await page.locator('.page-header').getByText('Valid', { exact: true }).waitFor();

  // CAs and publication: regenerate the issuing CA's CRL now
  await page.goto(`${troth.base}/#/cas`);
  const card = page.locator('.card').filter({ hasText: 'Issuing CA' }).filter({ has: page.getByRole('button', { name: 'Regenerate CRL now' }) });
  await card.waitFor();
  await page.getByText('/anchors.pem').first().waitFor();
  const before = Number(await card.locator('dd').nth(4).textContent());
  await card.getByRole('button', { name: 'Regenerate CRL now' }).click();
  await page.getByText(/New CRL for .*Issuing CA/).waitFor();
  let now = before;
  for (let i = 0; i < 40 && now <= before; i++) {
    if (i) { await page.waitForTimeout(500); await page.reload(); }
    now = Number(await card.locator('dd').nth(4).textContent());
  }
  assert.ok(now > before, `CRL number ${before} → ${now}`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('each role sees only the actions it may take', async () => {
  const m = await member('Role Check Org', 'https://roles.example.org', 'https://app.roles.example.org/');
  const auditorPassword = troth.user('audrey', 'auditor');
  const page = await newPage(browser);
  // an auditor reads everything and changes nothing
  await signIn(page, troth.base, 'audrey', auditorPassword);
  let nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
  assert.match(nav, /Audit log/);
  assert.doesNotMatch(nav, /^Users$|^Issue$/m);
  await page.getByRole('heading', { name: 'Recent activity' }).waitFor();
  await page.goto(`${troth.base}/#/members`);
  await page.getByRole('link', { name: 'Role Check Org' }).waitFor();
  assert.equal(await page.getByText('New member').count(), 0);
  await page.goto(`${troth.base}/#/members/${m.id}`);
  await page.getByRole('heading', { name: 'Role Check Org' }).waitFor();
  for (const b of ['Suspend', 'Terminate', 'Remove', 'Add URI', 'Invite user'])
    assert.equal(await page.getByRole('button', { name: b }).count(), 0, b);
  assert.equal(await page.getByRole('link', { name: 'Issue a certificate' }).count(), 0);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // an operator: no audit log, no users
  await signIn(page, troth.base, 'oscar', operatorPassword);
  nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
  assert.doesNotMatch(nav, /Audit log|^Users$/m);
  await page.locator('.dashboard').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Recent activity' }).count(), 0);
  await page.goto(`${troth.base}/#/audit`);
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});
