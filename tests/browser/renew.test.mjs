// The renew page shows what it renews (issue 14 §11, part): the certificate
// (subject CN and serial, linked), its profile, URIs and end of validity.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser, api, work, opPassword;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  opPassword = troth.user('rene', 'operator');
  work = mkdtempSync(path.join(tmpdir(), 'troth-browser-renew.'));
});
after(async () => {
  await browser?.close();
  await troth?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the renew page names the certificate it renews', async () => {
  const m = (await api.post('/api/v1/members', { name: 'Hazel Labs', organization_id: 'https://hazel.example.org' })).data;
  await api.post(`/api/v1/members/${m.id}/uris`, { uri: 'https://app.hazel.example.org/', kind: 'client' });
  await api.raw('POST', `/api/v1/members/${m.id}/activate`);
  const csr = execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', path.join(work, 'k.pem'), '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-subj', '/CN=app.hazel.example.org'],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const cert = (await api.post('/api/v1/certificates', { member_id: m.id, profile: 'udap-client', csr, uris: ['https://app.hazel.example.org/'] })).data;
  assert.ok(cert.serial, JSON.stringify(cert));
  const page = await newPage(browser);
  await signIn(page, troth.base, 'rene', opPassword);
  await page.goto(`${troth.base}/#/issue?renew=${cert.serial}`);
  await page.getByRole('heading', { name: 'Renew a certificate' }).waitFor();
  const box = page.locator('.renewing');
  const renews = box.getByRole('link', { name: `app.hazel.example.org (serial ${cert.serial})` });
  assert.equal(await renews.getAttribute('href'), `#/certificates/${cert.serial}`);
  const text = await box.innerText();
  assert.match(text, /udap-client/);
  assert.match(text, /https:\/\/app\.hazel\.example\.org\//);
  assert.ok(text.includes(cert.not_after), text);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a certificate whose key was made here is renewed with a new key made here, downloaded once', async () => {
  const m = (await api.post('/api/v1/members', { name: 'Juniper Care', organization_id: 'https://juniper.example.org' })).data;
  await api.post(`/api/v1/members/${m.id}/uris`, { uri: 'https://app.juniper.example.org/', kind: 'client' });
  await api.raw('POST', `/api/v1/members/${m.id}/activate`);
  const old = (await api.post('/api/v1/certificates/keygen', { member_id: m.id, profile: 'udap-client', uris: ['https://app.juniper.example.org/'], key_type: 'EC-P256', passphrase: 'first juniper pass' })).data;
  assert.equal(old.key_origin, 'keygen', JSON.stringify(old));
  const page = await newPage(browser);
  await signIn(page, troth.base, 'rene', opPassword);
  await page.goto(`${troth.base}/#/issue?renew=${old.serial}`);
  await page.getByRole('heading', { name: 'Renew a certificate' }).waitFor();
  // offered as the original was made, and chosen already
  const gen = page.getByLabel('Generate a key pair on the server (PKCS#12 download)');
  assert.equal(await gen.isEnabled(), true);
  assert.equal(await gen.isChecked(), true);
  await page.getByLabel('Key type').selectOption('EC-P384');
  await page.getByLabel('PKCS#12 passphrase').fill('renewed juniper pass');
  await page.getByLabel('Repeat the passphrase').fill('renewed juniper pass');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Renew' }).click()]);
  await page.getByRole('heading', { name: 'Your key pair and certificate' }).waitFor();
  const out = execFileSync('openssl', ['pkcs12', '-in', await dl.path(), '-nodes', '-passin', 'pass:renewed juniper pass'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  assert.match(out, /BEGIN PRIVATE KEY/);
  const key = execFileSync('openssl', ['pkey', '-text', '-noout'], { input: out, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  assert.match(key, /P-384/);
  const serial = (await page.locator('.page-header .sub').innerText()).replace(/^Serial /, '');
  const renewed = (await api.get(`/api/v1/certificates/${serial}`)).data;
  assert.equal(renewed.renewed_from, old.serial);
  assert.equal(renewed.key_origin, 'keygen');
  assert.deepEqual(renewed.uris, old.uris);
  // a certificate from a CSR is renewed from a CSR only: its key is the member's
  const csr = execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', path.join(work, 'k2.pem'), '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-subj', '/CN=app.juniper.example.org'],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const fromCsr = (await api.post('/api/v1/certificates', { member_id: m.id, profile: 'udap-client', csr, uris: ['https://app.juniper.example.org/'] })).data;
  await page.goto(`${troth.base}/#/issue?renew=${fromCsr.serial}`);
  await page.getByRole('heading', { name: 'Renew a certificate' }).waitFor();
  await page.locator('.renewing').waitFor();
  assert.equal(await page.getByLabel('Generate a key pair on the server (PKCS#12 download)').isDisabled(), true);
  assert.equal(await page.getByLabel('I have a CSR (the private key stays with me)').isChecked(), true);
  assert.deepEqual(page.problems, []);
  await page.close();
});
