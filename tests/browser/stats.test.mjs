// True numbers on the dashboard (issue 14 §4): counted over every
// certificate by GET /api/v1/stats, not one fetched page of 200 ("200+");
// holds apart from revocations; whole-number ticks; an empty chart says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

const COUNT = 205;
let troth, browser, api, work;
const csr = (cn) => execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', path.join(work, 'key.pem'),
  '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-subj', `/CN=${cn}`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();

before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  work = mkdtempSync(path.join(tmpdir(), 'troth-browser-stats.'));
});
after(async () => {
  await browser?.close();
  await troth?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const statValue = (page, label) => page.locator('.stat').filter({ has: page.locator('.stat-label', { hasText: new RegExp(`^${label}$`) }) }).locator('.stat-value');

test('an empty community says so; 205 certificates are counted as 205, holds apart from revocations', async () => {
  // the CSRs first: making 205 of them on a loaded machine takes longer than the
  // server keeps an idle connection, and the API client's kept-alive socket
  // would be closed under its next POST ("fetch failed")
  const csrs = Array.from({ length: COUNT }, (_, i) => csr(`app${i}.maple.example.org`));
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/`);
  await page.getByText('No certificate was issued, revoked or put on hold in the last 12 weeks.').waitFor();

  const m = (await api.post('/api/v1/members', { name: 'Maple Health', organization_id: 'https://maple.example.org' })).data;
  const uri = 'https://app.maple.example.org/';
  await api.post(`/api/v1/members/${m.id}/uris`, { uri, kind: 'client' });
  await api.raw('POST', `/api/v1/members/${m.id}/activate`);
  const serials = [];
  for (let i = 0; i < COUNT; i += 8) {
    const batch = csrs.slice(i, i + 8).map((c) => api.post('/api/v1/certificates', { member_id: m.id, profile: 'udap-client', csr: c, uris: [uri] }));
    for (const r of await Promise.all(batch)) { assert.equal(r.status, 201, JSON.stringify(r.data)); serials.push(r.data.serial); }
  }
  for (const s of serials.slice(0, 2)) assert.equal((await api.post(`/api/v1/certificates/${s}/revoke`, { reason: 'superseded' })).status, 200);
  for (const s of serials.slice(2, 5)) assert.equal((await api.post(`/api/v1/certificates/${s}/revoke`, { reason: 'certificateHold' })).status, 200);

  await page.reload();
  await statValue(page, 'Valid').waitFor();
  assert.equal(await statValue(page, 'Valid').textContent(), String(COUNT - 5));
  assert.equal(await statValue(page, 'On hold').textContent(), '3');
  assert.equal(await statValue(page, 'Revoked').textContent(), '2');
  assert.equal(await statValue(page, 'Active').textContent(), '1');
  const chart = page.locator('.chart svg');
  assert.equal(await chart.getAttribute('aria-label'), `Certificates per week: ${COUNT} issued, 2 revoked and 3 put on hold in 12 weeks`);
  const ticks = await page.locator('.chart text.axis[text-anchor=end]').allTextContents();
  assert.ok(ticks.length === 5 && ticks.every((t) => /^\d+$/.test(t)), ticks.join(' '));
  assert.ok(Number(ticks[4]) >= COUNT);
  // the number links to the list it counts
  await statValue(page, 'On hold').click();
  await page.waitForURL(/#\/certificates\?status=on_hold/);
  assert.deepEqual(page.problems, []);
  await page.close();
});
