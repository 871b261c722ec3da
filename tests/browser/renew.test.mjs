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
