// A community past demo scale (issue 14 §1): with more than 200 members, an
// operator still finds member #226 on the Issue page, issues it a
// certificate, and an admin gives it a member user, both by searching.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

const COUNT = 230;
let troth, browser, api, operatorPassword, work;
const members = [];

before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  operatorPassword = troth.user('olga', 'operator');
  work = mkdtempSync(path.join(tmpdir(), 'troth-browser-scale.'));
  // 230 active members through the API, ten at a time
  for (let i = 1; i <= COUNT; i += 10) {
    const batch = [];
    for (let j = i; j < i + 10 && j <= COUNT; j++) {
      const n = String(j).padStart(4, '0');
      batch.push((async () => {
        const r = await api.post('/api/v1/members', { name: `Clinic ${n}`, organization_id: `https://clinic${n}.example.org` });
        assert.equal(r.status, 201, JSON.stringify(r.data));
        const a = await api.raw('POST', `/api/v1/members/${r.data.id}/activate`);
        assert.equal(a.status, 200, JSON.stringify(a.data));
        return r.data;
      })());
    }
    members.push(...await Promise.all(batch));
  }
  members.sort((a, b) => Number(a.id) - Number(b.id));
});
after(async () => {
  await browser?.close();
  await troth?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const csr = (cn) => execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', path.join(work, 'key.pem'),
  '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-subj', `/CN=${cn}`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();

test('more than 200 members: the 226th is found by search on the Issue page and gets a certificate', async () => {
  const target = members.find((m) => m.name === 'Clinic 0226');
  // the 226th member by id is past the first 200 the old page loaded
  assert.ok(members.indexOf(target) >= 200);
  const uri = 'https://app.clinic0226.example.org/fhir';
  assert.equal((await api.post(`/api/v1/members/${target.id}/uris`, { uri, kind: 'client' })).status, 201);
  const page = await newPage(browser);
  await signIn(page, troth.base, 'olga', operatorPassword);
  await page.goto(`${troth.base}/#/issue`);
  await page.getByRole('heading', { name: 'Issue a certificate' }).waitFor();
  await page.getByLabel('Find member').fill('clinic 0226');
  const select = page.getByLabel('Member', { exact: true });
  await page.getByText('1 member matching').waitFor();
  assert.equal(await select.inputValue(), String(target.id));
  await page.getByLabel(uri).check();
  await page.getByLabel('Certificate signing request (PEM)').fill(csr('app.clinic0226.example.org'));
  await page.getByRole('button', { name: 'Issue certificate' }).click();
  await page.locator('.page-header').getByText(/^Serial [0-9a-f]+$/).waitFor();
  const serial = /#\/certificates\/([0-9a-f]+)/.exec(page.url())[1];
  const cert = await api.get(`/api/v1/certificates/${serial}`);
  assert.equal(String(cert.data.member_id), String(target.id));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the member named in the URL is always selected, however far down the list', async () => {
  const target = members[COUNT - 1];
  const page = await newPage(browser);
  await signIn(page, troth.base, 'olga', operatorPassword);
  await page.goto(`${troth.base}/#/issue?member=${target.id}`);
  await page.getByRole('heading', { name: 'Issue a certificate' }).waitFor();
  const select = page.getByLabel('Member', { exact: true });
  await page.locator('select[name=member_id] option').first().waitFor({ state: 'attached' });
  assert.equal(await select.inputValue(), String(target.id));
  // paging: the first page is short of the whole community, "More matches" loads the next
  const before = await page.locator('.member-picker select option').count();
  assert.ok(before < COUNT, `${before} options`);
  await page.getByRole('button', { name: 'More matches' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('.member-picker select option').length > n, before);
  assert.equal(await select.inputValue(), String(target.id));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the Users page finds the member of a member user by search, not a typed id', async () => {
  const target = members.find((m) => m.name === 'Clinic 0217');
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/users`);
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
  await page.getByLabel('Username').fill('clinic217-admin');
  await page.getByLabel('Role').first().selectOption('member');
  await page.getByLabel('Find member').fill('clinic0217.example');
  await page.getByText('1 member matching').waitFor();
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByText('User clinic217-admin created.').waitFor({ timeout: 5000 }).catch(async (e) => {
    throw new Error(`${e.message}\n${await page.locator('main').innerText()}`);
  });
  const users = (await api.get('/api/v1/users?limit=200')).data.items;
  const u = users.find((x) => x.username === 'clinic217-admin');
  assert.equal(String(u.member_id), String(target.id));
  assert.deepEqual(page.problems, []);
  await page.close();
});
