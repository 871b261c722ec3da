// The expiry timeline and the CRL freshness bars (issue 14 §4): on the
// dashboard and per member, bars counting the rows made here (notAfter moved
// into chosen weeks with SQL), renewed ones apart, each bar a link to the
// certificate list showing exactly the certificates it counts; each CA's CRL
// from thisUpdate to nextUpdate with its entries, size and the latency of
// the last revocation; at 400 px too, with no CSP complaint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Troth, launchBrowser, newPage, signIn, sleep } from './harness.mjs';

let troth, browser, api, monday;
const serials = {};
const csr = (cn) => execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', '/dev/null', '-newkey', 'ec',
  '-pkeyopt', 'ec_paramgen_curve:P-256', '-subj', `/CN=${cn}`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
const day = (weeks, days = 0) => new Date(Date.parse(`${monday}T00:00:00Z`) + (weeks * 7 + days) * 864e5).toISOString().slice(0, 10);

async function member(name, host) {
  const m = (await api.post('/api/v1/members', { name, organization_id: `https://${host}` })).data;
  const uri = `https://app.${host}/`;
  await api.post(`/api/v1/members/${m.id}/uris`, { uri, kind: 'client' });
  await api.raw('POST', `/api/v1/members/${m.id}/activate`);
  return { ...m, uri };
}
async function issue(m, cn) {
  const r = await api.post('/api/v1/certificates', { member_id: m.id, profile: 'udap-client', csr: csr(cn), uris: [m.uri] });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data.serial;
}
// notAfter on Thursday noon of week w (0 = this week), never in the past
const expireIn = (serial, w) => troth.psql(`UPDATE certificates SET not_after = GREATEST('${day(w, 3)} 12:00:00+00'::timestamptz, now() + interval '1 hour') WHERE serial = '${serial}'`);

let a, b;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  monday = troth.psql("SELECT to_char(date_trunc('week', now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD')");
  a = await member('Maple Health', 'maple.example.org');
  b = await member('Birch Clinic', 'birch.example.org');
  for (const k of ['a1', 'a2', 'a3', 'a4', 'a5']) serials[k] = await issue(a, `${k}.maple.example.org`);
  for (const k of ['b1', 'b2']) serials[k] = await issue(b, `${k}.birch.example.org`);
  // week 3: a1, a2 (a2 renewed) and b1; week 6: a3; week 9: a4 (revoked: not counted); a5 and b2 beyond 13 weeks
  expireIn(serials.a1, 3); expireIn(serials.a2, 3); expireIn(serials.b1, 3);
  expireIn(serials.a3, 6); expireIn(serials.a4, 9);
  const r = await api.post(`/api/v1/certificates/${serials.a2}/renew`, { csr: csr('a2.maple.example.org') });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  serials.a2new = r.data.serial; // valid for the profile's default validity: not within 13 weeks
  troth.psql(`UPDATE certificates SET not_after = now() + interval '400 days' WHERE serial IN ('${serials.a5}', '${serials.b2}', '${serials.a2new}')`);
  assert.equal((await api.post(`/api/v1/certificates/${serials.a4}/revoke`, { reason: 'superseded' })).status, 200);
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

const settle = (page) => page.waitForFunction(() => !document.querySelector('#main .loading') && !document.querySelector('[aria-busy="true"]'));
const bars = (page, scope) => page.locator(`${scope} .timeline svg a.bar-link`).evaluateAll((els) => els.map((e) => ({
  week: e.dataset.week, profile: e.dataset.profile, renewed: e.dataset.renewed, count: Number(e.dataset.count),
  href: e.getAttribute('href'), label: e.getAttribute('aria-label'),
})));
// the serials the certificate list shows (every row's link to its certificate)
const listed = async (page) => {
  await page.locator('#main h1', { hasText: 'Certificates' }).waitFor();
  await settle(page);
  // each row's first link is its own certificate (later ones: "renews", "renewed by")
  const hrefs = await page.locator('#main table tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelector('a[href^="#/certificates/"]').getAttribute('href')));
  return hrefs.map((h) => decodeURIComponent(h.split('/').pop())).sort();
};

test('the dashboard\'s expiry timeline counts by week and profile, renewed apart; each bar lists exactly its certificates', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/`);
  await page.locator('.timeline svg').waitFor();
  const got = await bars(page, '#main');
  assert.deepEqual(got.map(({ week, profile, renewed, count }) => ({ week, profile, renewed, count })), [
    { week: day(3), profile: 'udap-client', renewed: 'false', count: 2 },
    { week: day(3), profile: 'udap-client', renewed: 'true', count: 1 },
    { week: day(6), profile: 'udap-client', renewed: 'false', count: 1 },
  ]);
  assert.equal(await page.locator('.timeline svg').getAttribute('aria-label'),
    'Expiry timeline: 4 valid certificates expire in the next 13 weeks, 1 of them renewed');
  assert.match(got[1].label, new RegExp(`^Week of ${day(3)}: 1 udap-client certificate expiring, renewed$`));
  // integer ticks
  const ticks = await page.locator('.timeline text.axis[text-anchor=end]').allTextContents();
  assert.ok(ticks.length === 5 && ticks.every((t) => /^\d+$/.test(t)), ticks.join(' '));
  // the text alternative holds the same numbers
  await page.getByText('The numbers as a table').click();
  const rows = await page.locator('.timeline .chart-table tbody tr').allTextContents();
  assert.deepEqual(rows, [`${day(3)}2 + 1 renewed3`, `${day(6)}1 + 0 renewed1`]);

  // a bar → the filtered list with exactly those certificates
  await page.locator(`.timeline svg a.bar-link[data-week="${day(3)}"][data-renewed="false"]`).click();
  await page.waitForURL(/expires_from=/);
  assert.deepEqual(await listed(page), [serials.a1, serials.b1].sort());
  await page.getByText(`Showing certificates expiring ${day(3)} to ${day(3, 6)}, not renewed (UTC).`).waitFor();
  await page.goBack();
  await page.locator(`.timeline svg a.bar-link[data-week="${day(3)}"][data-renewed="true"]`).click();
  await page.waitForURL(/renewed=true/);
  assert.deepEqual(await listed(page), [serials.a2]);
  await page.goBack();
  await page.locator(`.timeline svg a.bar-link[data-week="${day(6)}"]`).click();
  await page.waitForURL(/expires_from=/);
  assert.deepEqual(await listed(page), [serials.a3]);
  // the way out of the week keeps the other filters
  await page.getByRole('link', { name: 'Show all expiry dates' }).click();
  await page.waitForURL((u) => !/expires_from/.test(u.hash) && /status=valid/.test(u.hash));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a member\'s page shows its own timeline, and its bars list only its certificates', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/members/${a.id}`);
  await page.locator('.timeline svg').waitFor();
  const got = await bars(page, '#main');
  assert.deepEqual(got.map(({ week, renewed, count }) => ({ week, renewed, count })), [
    { week: day(3), renewed: 'false', count: 1 },
    { week: day(3), renewed: 'true', count: 1 },
    { week: day(6), renewed: 'false', count: 1 },
  ]);
  assert.ok(got.every((g) => g.href.includes(`member_id=${a.id}`)), JSON.stringify(got));
  await page.locator(`.timeline svg a.bar-link[data-week="${day(3)}"][data-renewed="false"]`).click();
  await page.waitForURL(/member_id=/);
  assert.deepEqual(await listed(page), [serials.a1]);

  // another member's page: only its own
  await page.goto(`${troth.base}/#/members/${b.id}`);
  await page.locator('#main h1', { hasText: 'Birch Clinic' }).waitFor();
  await page.locator('.timeline svg').waitFor();
  const birch = await bars(page, '#main');
  assert.deepEqual(birch.map((g) => [g.week, g.count]), [[day(3), 1]]);
  // a member user sees the same on its own page
  const pw = troth.user('maple-user', 'member', { member: a.id });
  const mp = await newPage(browser);
  await signIn(mp, troth.base, 'maple-user', pw);
  await mp.goto(`${troth.base}/#/members/${a.id}`);
  await mp.locator('#main h1', { hasText: 'Maple Health' }).waitFor();
  await mp.locator('.timeline svg').waitFor();
  assert.equal((await bars(mp, '#main')).length, 3);
  assert.deepEqual(page.problems, []);
  assert.deepEqual(mp.problems, []);
  await page.close();
  await mp.close();
});

test('each CA has a CRL freshness bar with its entries, size and the last revocation\'s latency; it all fits 400 px', async () => {
  // wait for the CRL that carries the revocation of a4
  let crls;
  for (let i = 0; i < 150; i++) {
    crls = (await api.get('/api/v1/stats')).data.crls;
    if (crls.some((c) => c.last_revocation_crl_number)) break;
    await sleep(200);
  }
  const issuing = crls.find((c) => c.last_revocation_crl_number);
  assert.ok(issuing, JSON.stringify(crls));
  assert.equal(issuing.entries, 1);
  const page = await newPage(browser, { width: 400, height: 860 });
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/`);
  await page.locator('.fresh svg').first().waitFor();
  await settle(page);
  const cas = (await api.get('/api/v1/cas')).data.items.filter((c) => c.crl_number);
  assert.equal(await page.locator('.fresh').count(), cas.length);
  const box = page.locator(`.fresh[data-ca="${issuing.ca_id}"]`);
  assert.equal(await box.locator('.fresh-entries').textContent(), '1 entry');
  assert.match(await box.locator('.fresh-size').textContent(), /^\d+ bytes$|^\d+\.\d KB$/);
  assert.match(await box.locator('.fresh-latency').textContent(),
    new RegExp(`^the last revocation was published in \\d+ seconds? \\(CRL ${issuing.last_revocation_crl_number}\\)$`));
  const label = await box.locator('svg').getAttribute('aria-label');
  assert.match(label, new RegExp(`^CRL ${issuing.crl_number} of ${issuing.ca_id}: \\d+% of its life`));
  assert.match(label, /the refresh point is \d{4}-\d\d-\d\d \d\d:\d\d UTC; 1 entry/);
  // the marks: now and the refresh point, inside the bar
  assert.equal(await box.locator('line.fresh-now').count(), 1);
  assert.equal(await box.locator('line.fresh-refresh').count(), 1);
  for (const p of ['/', `/members/${a.id}`]) {
    await page.goto(`${troth.base}/#${p}`);
    await page.locator('.timeline svg').waitFor();
    await settle(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${p} at 400px scrolls sideways by ${overflow}px`);
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});
