// Issue 14 item 9: lists keep their state: filters, sort and page in the URL
// (a reload stays, Back returns), totals, sortable columns, CSV export; the
// certificate list shows the subject CN and issue date and wraps URIs only
// between their parts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser, api;
const names = [];
const LONG = 'https://northwind-regional-health-network.example.org/fhir/r4/udap/registration/client';
let certMember, serials = [];
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  // 30 members whose creation order is not their name order
  const words = ['kilo', 'Alpha', 'juliet', 'Bravo', 'india', 'charlie', 'Hotel', 'delta', 'golf', 'Echo'];
  for (let i = 0; i < 30; i++) names.push(`Lst ${words[i % 10]} ${String(29 - i).padStart(2, '0')}`);
  for (const n of names) {
    const r = await api.post('/api/v1/members', { name: n, organization_id: `https://${n.replace(/ /g, '-').toLowerCase()}.example/` });
    assert.equal(r.status, 201, JSON.stringify(r.data));
  }
  let r = await api.post('/api/v1/members', { name: 'Certified Clinic', organization_id: 'https://certified.example/' });
  certMember = r.data;
  assert.equal((await api.raw('POST', `/api/v1/members/${certMember.id}/activate`)).status, 200);
  r = await api.post(`/api/v1/members/${certMember.id}/uris`, { uri: LONG, kind: 'client' });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  for (const cn of ['Charlie Client', 'Alpha Client', 'Bravo Client']) {
    r = await api.post('/api/v1/certificates/keygen', {
      member_id: certMember.id, profile: 'udap-client', uris: [LONG], key_type: 'EC-P256',
      passphrase: 'a long passphrase', common_name: cn,
    });
    assert.equal(r.status, 201, JSON.stringify(r.data));
    serials.push(r.data.serial);
  }
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

async function admin(opts) {
  const page = await newPage(browser, opts);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  return page;
}

const nameCells = (page) => page.locator('td[data-label="Name"]').allInnerTexts();
const byName = (a, b) => a.toLowerCase().localeCompare(b.toLowerCase());

test('members: search, sort by name and page are in the URL; reload stays, Back returns; the total is shown', async () => {
  const page = await admin();
  await page.goto(`${troth.base}/#/members`);
  await page.getByLabel('Search').fill('Lst');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForFunction(() => /[?&]q=Lst/.test(location.hash));
  await page.getByText('1–25 of 30 members').waitFor();
  // creation order first
  assert.deepEqual(await nameCells(page), names.slice(0, 25));
  await page.getByRole('columnheader', { name: /Name/ }).getByRole('link').click();
  await page.waitForFunction(() => /sort=name/.test(location.hash));
  const sorted = [...names].sort(byName);
  await page.waitForFunction((first) => document.querySelector('td[data-label="Name"]')?.textContent === first, sorted[0]);
  assert.deepEqual(await nameCells(page), sorted.slice(0, 25));
  assert.equal(await page.getByRole('columnheader', { name: /Name/ }).getAttribute('aria-sort'), 'ascending');
  // page 2
  await page.getByRole('link', { name: 'Next →' }).click();
  await page.getByText('26–30 of 30 members').waitFor();
  assert.deepEqual(await nameCells(page), sorted.slice(25));
  assert.match(await page.evaluate(() => location.hash), /page=/);
  // a reload keeps all of it
  await page.reload();
  await page.getByText('26–30 of 30 members').waitFor();
  assert.deepEqual(await nameCells(page), sorted.slice(25));
  assert.equal(await page.getByLabel('Search').inputValue(), 'Lst');
  // Back: page 1 sorted, then unsorted
  await page.goBack();
  await page.getByText('1–25 of 30 members').waitFor();
  assert.deepEqual(await nameCells(page), sorted.slice(0, 25));
  await page.goBack();
  await page.waitForFunction(() => !/sort=/.test(location.hash));
  await page.waitForFunction((first) => document.querySelector('td[data-label="Name"]')?.textContent === first, names[0]);
  // descending by name, then Previous from page 2 is a link back to page 1
  await page.goto(`${troth.base}/#/members?q=Lst&sort=-name`);
  await page.waitForFunction((first) => document.querySelector('td[data-label="Name"]')?.textContent === first, sorted[29]);
  await page.getByRole('link', { name: 'Next →' }).click();
  await page.getByText('26–30 of 30 members').waitFor();
  await page.getByRole('link', { name: '← Previous' }).click();
  await page.getByText('1–25 of 30 members').waitFor();
  assert.deepEqual(await nameCells(page), [...sorted].reverse().slice(0, 25));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('members: CSV export of the whole filtered list', async () => {
  const page = await admin();
  await page.goto(`${troth.base}/#/members?q=Lst&sort=name`);
  await page.getByText('1–25 of 30 members').waitFor();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const lines = readFileSync(await dl.path(), 'utf8').trim().split('\r\n');
  assert.equal(lines[0], 'id,name,organization_id,status,npi,created_at,contacts');
  assert.deepEqual(lines.slice(1).map((l) => l.split(',')[1]), [...names].sort(byName));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('certificates: subject CN and issue date shown, sortable by subject and expiry, in the URL, exported', async () => {
  const page = await admin();
  await page.goto(`${troth.base}/#/certificates?member_id=${certMember.id}`);
  await page.getByText('1–3 of 3 certificates').waitFor();
  const subjects = await page.locator('td[data-label="Subject"] .cn').allInnerTexts();
  assert.deepEqual(subjects, ['Bravo Client', 'Alpha Client', 'Charlie Client']); // newest first
  const issued = await page.locator('td[data-label="Issued"]').allInnerTexts();
  assert.ok(issued.every((d) => /^\d{4}-\d\d-\d\d$/.test(d)), issued.join());
  await page.getByRole('columnheader', { name: /Subject/ }).getByRole('link').click();
  await page.waitForFunction(() => /sort=subject/.test(location.hash) && /member_id=/.test(location.hash));
  await page.waitForFunction(() => document.querySelector('td[data-label="Subject"] .cn')?.textContent === 'Alpha Client');
  assert.deepEqual(await page.locator('td[data-label="Subject"] .cn').allInnerTexts(), ['Alpha Client', 'Bravo Client', 'Charlie Client']);
  await page.getByRole('columnheader', { name: /Subject/ }).getByRole('link').click();
  await page.waitForFunction(() => /sort=-subject/.test(location.hash));
  await page.waitForFunction(() => document.querySelector('td[data-label="Subject"] .cn')?.textContent === 'Charlie Client');
  await page.getByRole('columnheader', { name: /Expires/ }).getByRole('link').click();
  await page.waitForFunction(() => /sort=not_after/.test(location.hash));
  await page.reload();
  await page.getByText('1–3 of 3 certificates').waitFor();
  assert.equal(await page.getByRole('columnheader', { name: /Expires/ }).getAttribute('aria-sort'), 'ascending');
  await page.goBack();
  await page.waitForFunction(() => /sort=-subject/.test(location.hash));
  await page.waitForFunction(() => document.querySelector('td[data-label="Subject"] .cn')?.textContent === 'Charlie Client');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const lines = readFileSync(await dl.path(), 'utf8').trim().split('\r\n');
  assert.match(lines[0], /^serial,subject,common_name,/);
  assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]).sort(), [...serials].sort());
  assert.ok(lines.slice(1).every((l) => l.includes(LONG)));
  assert.deepEqual(page.problems, []);
  await page.close();
});

// Where each line of an element's text starts: the characters before every
// line break, found from the layout (one Range per character).
function lineBreaks(el) {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const chars = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    for (let i = 0; i < n.length; i++) {
      const r = document.createRange();
      r.setStart(n, i); r.setEnd(n, i + 1);
      const rect = r.getClientRects()[0];
      if (rect) chars.push({ c: n.data[i], top: Math.round(rect.top) });
    }
  }
  const before = [];
  for (let i = 1; i < chars.length; i++) if (chars[i].top > chars[i - 1].top + 2) before.push(chars[i - 1].c + chars[i].c);
  return before;
}

for (const width of [400, 1000]) {
  test(`certificates at ${width} px: a long URI wraps only after / . - and never mid-word`, async () => {
    const page = await admin({ width, height: 900 });
    await page.goto(`${troth.base}/#/certificates?member_id=${certMember.id}`);
    await page.getByText('1–3 of 3 certificates').waitFor();
    const uri = page.locator('td[data-label="SAN URIs"] .uri').first();
    assert.equal((await uri.innerText()).replace(/\s/g, ''), LONG);
    const breaks = await uri.evaluate(lineBreaks);
    for (const b of breaks) assert.match(b[0], /[/.?&#=-]/, `a break inside a word: …${b[0]}|${b[1]}… in ${breaks.join(' ')}`);
    if (width === 400) assert.ok(breaks.length > 0, 'at 400 px the URI wraps');
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
    assert.deepEqual(page.problems, []);
    await page.close();
  });
}

// Issue 14 item 11 (part): renewal closes the loop in the lists.
test('an expiring list tells renewed from forgotten; the old says "renewed by", the new "renews"', async () => {
  const [old, forgotten] = serials;
  const csr = execFileSync('openssl', ['req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-keyout', '/dev/null', '-subj', '/CN=renewal'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const r = await api.post(`/api/v1/certificates/${old}/renew`, { csr });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  const renewal = r.data.serial;
  troth.psql(`UPDATE certificates SET not_after = now() + interval '10 days' WHERE serial IN ('${old}', '${forgotten}')`);
  const page = await admin();
  await page.goto(`${troth.base}/#/certificates?member_id=${certMember.id}&expiring_within_days=30`);
  await page.getByText('1–2 of 2 certificates').waitFor();
  const rowOf = (serial) => page.locator('tbody tr').filter({ has: page.locator(`a[href="#/certificates/${serial}"]`) }).first();
  const oldStatus = await rowOf(old).locator('td[data-label="Status"]').innerText();
  assert.match(oldStatus, /renewed by/);
  assert.doesNotMatch(oldStatus, /not renewed/);
  assert.equal(await rowOf(old).locator(`td[data-label="Status"] a[href="#/certificates/${renewal}"]`).count(), 1);
  assert.match(await rowOf(forgotten).locator('td[data-label="Status"]').innerText(), /not renewed/i);
  // the whole list: the renewal says what it renews
  await page.goto(`${troth.base}/#/certificates?member_id=${certMember.id}`);
  await page.getByText('1–4 of 4 certificates').waitFor();
  const serialCell = page.locator('tbody tr').first().locator('td[data-label="Serial"]');
  assert.match(await serialCell.innerText(), /renews/);
  assert.equal(await serialCell.locator(`a[href="#/certificates/${old}"]`).count(), 1);
  // the old certificate's page names its renewal
  await page.goto(`${troth.base}/#/certificates/${old}`);
  await page.getByText('Renewed by', { exact: true }).waitFor();
  assert.equal(await page.locator(`dd a[href="#/certificates/${renewal}"]`).count(), 1);
  assert.deepEqual(page.problems, []);
  await page.close();
});
