// Errors in people's words, at the field (issue 14 §8): every problem kind of
// the API's catalogue has a sentence of its own in the UI; the API problem's
// `field` marks the input (aria-invalid, the message right under it and in
// view below the sticky top bar, not in the page's message area); the pages
// check what they already know before sending (an NPI's check digit, a CSR
// that is not PEM or has a weak key).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Troth, launchBrowser, newPage, signIn, ROOT } from './harness.mjs';

const { SENTENCES } = await import(path.join(ROOT, 'assets/app/problem-text.js'));
const { npiProblem } = await import(path.join(ROOT, 'assets/app/checks.js'));

test('every kind of the problem catalogue has its own sentence, and only those', () => {
  const text = readFileSync(path.join(ROOT, 'src/util/problem_kinds.h'), 'utf8');
  const kinds = new Set([...text.matchAll(/^X\(\w+, \d+, "([^"]+)", "[^"]*"\)$/gm)].map((m) => m[1]));
  assert.ok(kinds.size > 100, `${kinds.size} kinds read`);
  const missing = [...kinds].filter((k) => !(typeof SENTENCES[k] === 'string' && /^[A-Z].*[.!?]$/.test(SENTENCES[k])));
  assert.deepEqual(missing, [], 'kinds without a sentence');
  assert.deepEqual(Object.keys(SENTENCES).filter((k) => !kinds.has(k)), [], 'sentences of no kind');
  const counts = {};
  for (const s of Object.values(SENTENCES)) counts[s] = (counts[s] || 0) + 1;
  assert.deepEqual(Object.entries(counts).filter(([, n]) => n > 1), [], 'a sentence of its own');
});

test('the NPI check is the Luhn check with the 80840 prefix', () => {
  // CMS's example NPI 1234567893; every other last digit is wrong
  assert.equal(npiProblem('1234567893'), null);
  for (let d = 0; d <= 9; d++) if (d !== 3) assert.match(npiProblem(`123456789${d}`), /check digit .* would be 3/);
  assert.match(npiProblem('12345'), /10 digits/);
  assert.match(npiProblem('12345678a3'), /10 digits/);
});

let troth, browser, api, work, opPassword;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  opPassword = troth.user('erin', 'operator');
  work = mkdtempSync(path.join(tmpdir(), 'troth-browser-errors.'));
});
after(async () => {
  await browser?.close();
  await troth?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

// The error under the input labelled `label`: its text, and that it is the
// input's description, in view and below the sticky top bar.
async function fieldError(page, label) {
  const input = page.getByLabel(label, { exact: true });
  await page.waitForFunction((l) => [...document.querySelectorAll('label')].some((x) => x.textContent === l
    && document.getElementById(x.htmlFor)?.getAttribute('aria-invalid') === 'true'), label);
  const info = await input.evaluate((el) => {
    const msg = el.nextElementSibling;
    const r = msg.getBoundingClientRect();
    const bar = document.querySelector('.topbar').getBoundingClientRect();
    return { cls: msg.className, text: msg.textContent, described: (el.getAttribute('aria-describedby') || '').split(' ').includes(msg.id),
      visible: r.top >= bar.bottom && r.bottom <= innerHeight, focused: document.activeElement === el };
  });
  assert.equal(info.cls, 'field-error');
  assert.ok(info.described, 'aria-describedby names the message');
  assert.ok(info.visible, 'the message is in view, not under the top bar');
  assert.ok(info.focused, 'the input has the focus');
  return info.text;
}

test('member form: a wrong NPI check digit is caught before sending; an API field problem sits at its field', async () => {
  await api.post('/api/v1/members', { name: 'Taken Org', organization_id: 'https://taken.example.org' });
  const page = await newPage(browser, { width: 1280, height: 600 });
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/members')) posts.push(r.url()); });
  await signIn(page, troth.base, 'erin', opPassword);
  await page.goto(`${troth.base}/#/members?new=1`);
  await page.getByLabel('Name', { exact: true }).fill('Typo Clinic');
  await page.getByLabel('Organisation id').fill('https://taken.example.org');
  await page.getByLabel('NPI (optional)').fill('1234567890');
  await page.getByRole('button', { name: 'Create member' }).click();
  assert.match(await fieldError(page, 'NPI (optional)'), /check digit is wrong \(the last digit would be 3\)/);
  assert.equal(posts.length, 0, 'nothing sent');
  assert.equal(await page.locator('.messages .notice').count(), 0, 'not in the message area');
  // the right NPI: now the API says the organisation id is taken, at that field
  await page.getByLabel('NPI (optional)').fill('1234567893');
  await page.getByRole('button', { name: 'Create member' }).click();
  const text = await fieldError(page, 'Organisation id');
  assert.match(text, /^Another member already has this organisation id\. /);
  assert.equal(posts.length, 1);
  assert.equal(await page.getByLabel('NPI (optional)').getAttribute('aria-invalid'), null, 'the old mark is gone');
  assert.equal(await page.locator('.field-error').count(), 1);
  assert.equal(await page.locator('.messages .notice').count(), 0);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('issue form: not a PEM CSR and a weak key are said at the CSR field before sending', async () => {
  const m = (await api.post('/api/v1/members', { name: 'Weak Key Lab', organization_id: 'https://weak.example.org' })).data;
  await api.post(`/api/v1/members/${m.id}/uris`, { uri: 'https://app.weak.example.org/', kind: 'client' });
  await api.raw('POST', `/api/v1/members/${m.id}/activate`);
  const page = await newPage(browser);
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/api/v1/certificates')) posts.push(r.url()); });
  await signIn(page, troth.base, 'erin', opPassword);
  await page.goto(`${troth.base}/#/issue?member=${m.id}`);
  await page.getByLabel('https://app.weak.example.org/').check();
  const csrLabel = 'Certificate signing request (PEM)';
  await page.getByLabel(csrLabel).fill('hello, I am not a CSR');
  await page.getByRole('button', { name: 'Issue certificate' }).click();
  assert.match(await fieldError(page, csrLabel), /not a PEM certificate request/);
  const weak = execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', path.join(work, 'k.pem'), '-newkey', 'rsa:1024', '-subj', '/CN=weak'],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  await page.getByLabel(csrLabel).fill(weak);
  await page.getByRole('button', { name: 'Issue certificate' }).click();
  await page.locator('.field-error').getByText('The key is too weak: RSA of 1024 bits; at least 2048 are needed.').waitFor();
  assert.match(await fieldError(page, csrLabel), /too weak/);
  assert.equal(posts.length, 0, 'nothing sent');
  // the server says the same of the weak key (the page only said it first)
  const direct = await api.post('/api/v1/certificates', { member_id: m.id, profile: 'udap-client', csr: weak, uris: ['https://app.weak.example.org/'] });
  assert.equal(direct.data.type, 'urn:troth:problem:key-weak');
  assert.equal(direct.data.field, 'csr');
  assert.deepEqual(page.problems, []);
  await page.close();
});
