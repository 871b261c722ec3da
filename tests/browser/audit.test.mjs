// Issue 14 item 5: the audit log shows what happened: each event's details,
// times to the second, objects by name with links, filters in the URL, an
// export of the filtered range, and the chain head to keep elsewhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Troth, launchBrowser, newPage, signIn, sleep } from './harness.mjs';

let troth, browser, api, member, serial, subject, caId;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  let r = await api.post('/api/v1/members', { name: 'Northwind Clinic', organization_id: 'https://northwind.example/' });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  member = r.data;
  assert.equal((await api.raw('POST', `/api/v1/members/${member.id}/activate`)).status, 200);
  assert.equal((await api.patch(`/api/v1/members/${member.id}`, { npi: '1234567893' })).status, 200);
  r = await api.post(`/api/v1/members/${member.id}/uris`, { uri: 'https://northwind.example/fhir', kind: 'client' });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  r = await api.post('/api/v1/certificates/keygen', {
    member_id: member.id, profile: 'udap-client', uris: ['https://northwind.example/fhir'],
    key_type: 'EC-P256', passphrase: 'a long passphrase',
  });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  ({ serial, subject } = r.data);
  caId = r.data.ca;
  r = await api.post(`/api/v1/certificates/${serial}/revoke`, { reason: 'keyCompromise' });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  // a CRL now (409 while the worker is publishing the one the revocation asked for)
  for (let i = 0; i < 100; i++) {
    r = await api.raw('POST', `/api/v1/cas/${caId}/crl`);
    if (r.status !== 409) break;
    await sleep(200);
  }
  assert.ok(r.status < 300, JSON.stringify(r.data));
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

async function admin() {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  return page;
}

const row = (page, action) => page.locator('tbody tr').filter({ has: page.locator('td[data-label="Action"]', { hasText: new RegExp(`^${action.replace('.', '\\.')}$`) }) }).first();

test('events show their details, times to the second and objects by name with links', async () => {
  const page = await admin();
  await page.goto(`${troth.base}/#/audit`);
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  const revoke = row(page, 'certificate.revoke');
  await revoke.waitFor();
  // the reason, in words
  assert.match(await revoke.locator('td[data-label="Details"]').innerText(), /reason\W+keyCompromise/i);
  // the certificate by serial and subject, linked; its member by name, linked
  const obj = revoke.locator('td[data-label="Object"]');
  assert.match(await obj.innerText(), new RegExp(serial.slice(0, 12)));
  assert.match(await obj.innerText(), /Northwind Clinic/);
  const cn = /CN=([^,/]+)/.exec(subject);
  if (cn) assert.match(await obj.innerText(), new RegExp(cn[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.equal(await obj.locator(`a[href="#/certificates/${serial}"]`).count(), 1);
  assert.equal(await obj.locator(`a[href="#/members/${member.id}"]`).count(), 1);
  // seconds in the time, and the full instant in the datetime attribute
  const time = revoke.locator('td[data-label="Time"] time');
  assert.match(await time.innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  // the CRL number, the changed fields, the status change
  assert.match(await row(page, 'crl.generate').locator('td[data-label="Details"]').innerText(), /CRL number\W+\d+/i);
  assert.match(await row(page, 'member.update').locator('td[data-label="Details"]').innerText(), /npi/);
  assert.match(await row(page, 'member.activate').locator('td[data-label="Details"]').innerText(), /pending\s*→\s*active/);
  assert.match(await row(page, 'member.activate').locator('td[data-label="Object"]').innerText(), /Northwind Clinic/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('filters live in the URL: a reload keeps them and Back returns to the full log', async () => {
  const page = await admin();
  await page.goto(`${troth.base}/#/audit`);
  await row(page, 'session.login').waitFor();
  await page.getByLabel('Action').fill('certificate');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => /action=certificate/.test(location.hash));
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('td[data-label="Action"]')];
    return cells.length > 0 && cells.every((c) => c.textContent.startsWith('certificate.'));
  });
  await page.reload();
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('td[data-label="Action"]')];
    return cells.length > 0 && cells.every((c) => c.textContent.startsWith('certificate.'));
  });
  assert.equal(await page.getByLabel('Action').inputValue(), 'certificate');
  await page.goBack();
  await page.waitForFunction(() => !/action=/.test(location.hash));
  await row(page, 'session.login').waitFor();
  assert.equal(await page.getByLabel('Action').inputValue(), '');
  // an object link in the URL filters by object
  await page.goto(`${troth.base}/#/audit?object_type=member&object_id=${member.id}`);
  await row(page, 'member.create').waitFor();
  const actions = await page.locator('td[data-label="Action"]').allInnerTexts();
  assert.ok(actions.every((a) => a.startsWith('member.')), actions.join());
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the filtered range exports as CSV and JSON, every page of it', async () => {
  const page = await admin();
  await page.goto(`${troth.base}/#/audit?action=certificate`);
  await row(page, 'certificate.revoke').waitFor();
  const want = (await api.get('/api/v1/audit?action=certificate&limit=200')).data.items;
  assert.ok(want.length >= 2);
  let [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  assert.match(dl.suggestedFilename(), /^audit-.*\.csv$/);
  const csv = readFileSync(await dl.path(), 'utf8').trim().split('\r\n');
  assert.match(csv[0], /^id,at,actor,source_ip,action,object_type,object_id,object,details,sealed$/);
  assert.equal(csv.length - 1, want.length);
  const revoked = csv.find((l) => l.includes('certificate.revoke'));
  assert.match(revoked, /keyCompromise/);
  assert.match(revoked, /Northwind Clinic/);
  [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const json = JSON.parse(readFileSync(await dl.path(), 'utf8'));
  assert.deepEqual(json.map((e) => e.id), want.map((e) => e.id));
  assert.deepEqual(json.find((e) => e.action === 'certificate.revoke').details, { reason: 'keyCompromise' });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the chain head hash and the time of the verification are shown for keeping elsewhere', async () => {
  const page = await admin();
  await page.goto(`${troth.base}/#/audit`);
  await page.getByText(/Hash chain intact/).waitFor();
  const head = page.locator('.chain-head');
  await head.waitFor();
  const hash = (await head.locator('code').innerText()).trim();
  assert.match(hash, /^[0-9a-f]{64}$/);
  const seq = Number(/position (\d+)/.exec(await head.innerText())[1]);
  assert.equal(troth.psql(`SELECT encode(hash, 'hex') FROM audit_events WHERE chain_seq = ${seq}`), hash);
  assert.match(await head.innerText(), /Verified \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  assert.deepEqual(page.problems, []);
  await page.close();
});
