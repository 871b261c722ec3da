// The issue page follows the community's profiles ([profile NAME] in
// troth.conf): under the shipped tefca-client example only the member's URIs
// carrying one of its exchange purpose fragments are offered, the hint says
// the rule, and what is issued carries the fragment byte-exact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Troth, ROOT, launchBrowser, newPage, signIn } from './harness.mjs';

// the [profile tefca-client] section as the repository ships it
function shippedSection(name) {
  const lines = readFileSync(path.join(ROOT, 'troth.conf'), 'utf8').split('\n');
  const start = lines.indexOf(`[${name}]`);
  assert.ok(start >= 0, `troth.conf has no [${name}]`);
  const out = [lines[start]];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('[')) break;
    out.push(line);
  }
  return out;
}

let troth, browser, api, operatorPassword, work;
before(async () => {
  troth = new Troth();
  troth.extraConf = shippedSection('profile tefca-client');
  await troth.start();
  browser = await launchBrowser();
  api = troth.api();
  operatorPassword = troth.user('olga', 'operator');
  work = mkdtempSync(path.join(tmpdir(), 'troth-browser-prof.'));
});
after(async () => {
  await browser?.close();
  await troth?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('under tefca-client the issue page offers only URIs with a listed purpose fragment', async () => {
  const base = 'https://app.purpose.example.org/fhir';
  const m = (await api.post('/api/v1/members', { name: 'Purpose Clinic', organization_id: 'https://purpose.example.org' })).data;
  for (const uri of [base, `${base}#T-TREAT`, `${base}#T-FOO`]) {
    const r = await api.post(`/api/v1/members/${m.id}/uris`, { uri, kind: 'client' });
    assert.equal(r.status, 201, JSON.stringify(r.data));
  }
  await api.raw('POST', `/api/v1/members/${m.id}/activate`);

  const page = await newPage(browser);
  await signIn(page, troth.base, 'olga', operatorPassword);
  await page.goto(`${troth.base}/#/issue?member=${m.id}`);
  await page.getByRole('heading', { name: 'Issue a certificate' }).waitFor();
  // udap-client (fragments allowed, any): all three
  await page.getByLabel('Profile').selectOption('udap-client');
  await page.getByLabel(`${base}#T-FOO`).waitFor();
  assert.equal(await page.locator('input[name="uris"]').count(), 3);
  // tefca-client: only the listed purpose
  await page.getByLabel('Profile').selectOption('tefca-client');
  await page.getByText('Every SAN URI carries one of these fragments: #T-TREAT').waitFor();
  await page.getByLabel(`${base}#T-TREAT`).waitFor();
  assert.equal(await page.locator('input[name="uris"]').count(), 1);
  await page.getByLabel(`${base}#T-TREAT`).check();
  execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', path.join(work, 'key.pem'), '-newkey', 'ec',
    '-pkeyopt', 'ec_paramgen_curve:P-256', '-subj', '/CN=ignored', '-out', path.join(work, 'req.pem')], { stdio: 'ignore' });
  await page.getByLabel('Certificate signing request (PEM)').fill(readFileSync(path.join(work, 'req.pem'), 'utf8'));
  await page.getByRole('button', { name: 'Issue certificate' }).click();
  await page.locator('.page-header').getByText(/^Serial [0-9a-f]+$/).waitFor();
  const serial = /#\/certificates\/([0-9a-f]+)/.exec(page.url())[1];
  const cert = (await api.get(`/api/v1/certificates/${serial}`)).data;
  assert.equal(cert.profile, 'tefca-client');
  assert.deepEqual(cert.uris, [`${base}#T-TREAT`]);
  const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], { input: cert.certificate_pem }).toString();
  assert.match(text, /URI:https:\/\/app\.purpose\.example\.org\/fhir#T-TREAT/);
  assert.deepEqual(page.problems, []);
  await page.close();
});
