// Takes the README's screenshots (docs/screenshots/*.png) against a real
// server with a little sample data. Not a test: `node tests/browser/screenshots.mjs`.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Troth, launchBrowser, newPage, signIn, ROOT } from './harness.mjs';

const out = path.join(ROOT, 'docs/screenshots');
mkdirSync(out, { recursive: true });
const csr = (cn) => execFileSync('openssl', ['req', '-new', '-nodes', '-keyout', '/dev/null', '-newkey', 'ec',
  '-pkeyopt', 'ec_paramgen_curve:P-256', '-subj', `/CN=${cn}`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();

const troth = await new Troth().start();
const browser = await launchBrowser();
try {
  const api = troth.api();
  const members = [
    ['Northwind Health', 'https://northwind.example.org', ['https://app.northwind.example.org/', 'https://fhir.northwind.example.org/r4']],
    ['Riverside Clinic', 'https://riverside.example.org', ['https://portal.riverside.example.org/']],
    ['Summit Labs', 'https://summit-labs.example.org', ['https://app.summit-labs.example.org/']],
    ['Harbor Pharmacy', 'https://harbor.example.org', []],
  ];
  const ids = [];
  for (const [name, org, uris] of members) {
    const m = (await api.post('/api/v1/members', { name, organization_id: org, contacts: [{ email: `pki@${new URL(org).host}`, name: 'PKI desk' }] })).data;
    ids.push(m.id);
    for (const uri of uris) await api.post(`/api/v1/members/${m.id}/uris`, { uri, kind: uri.includes('fhir.') ? 'server' : 'client' });
    if (uris.length) await api.raw('POST', `/api/v1/members/${m.id}/activate`);
  }
  await api.raw('POST', `/api/v1/members/${ids[2]}/suspend`);
  await api.post(`/api/v1/members/${ids[0]}/uris`, { uri: 'https://App.Northwind.example.org:443/', kind: 'client' });
  const serials = [];
  for (let i = 0; i < 3; i++) {
    const c = await api.post('/api/v1/certificates', { member_id: ids[0], profile: 'udap-client', csr: csr(`app${i}.northwind.example.org`), uris: ['https://app.northwind.example.org/'] });
    serials.push(c.data.serial);
  }
  const r = await api.post('/api/v1/certificates', { member_id: ids[1], profile: 'udap-client', csr: csr('portal.riverside.example.org'), uris: ['https://portal.riverside.example.org/'] });
  await api.post(`/api/v1/certificates/${serials[2]}/revoke`, { reason: 'superseded' });
  // an expiry timeline worth looking at: notAfter spread over the next weeks, one renewed
  for (let i = 0; i < 9; i++) {
    const host = ['app.northwind.example.org', 'fhir.northwind.example.org'][i % 2];
    const c = await api.post('/api/v1/certificates', { member_id: ids[0], profile: i % 2 ? 'udap-server' : 'udap-client',
      csr: csr(`svc${i}.${host}`), uris: [i % 2 ? 'https://fhir.northwind.example.org/r4' : 'https://app.northwind.example.org/'] });
    if (c.status === 201) troth.psql(`UPDATE certificates SET not_after = now() + interval '${4 + i * 9} days' WHERE serial = '${c.data.serial}'`);
    if (c.status === 201 && i === 2) await api.post(`/api/v1/certificates/${c.data.serial}/renew`, { csr: csr(`svc${i}.${host}`) });
  }
  troth.psql(`UPDATE certificates SET not_after = now() + interval '12 days' WHERE serial = '${r.data.serial}'`);
  await api.post(`/api/v1/members/${ids[1]}/uris`, { uri: 'https://portal2.riverside.example.org/', kind: 'client' });
  await api.post(`/api/v1/members`, { name: 'Lakeside Family Practice', organization_id: 'https://lakeside.example.org' });
  await api.post(`/api/v1/members/${ids[0]}/invitations`, { username: 'northwind-admin', email: 'it@northwind.example.org' });
  await new Promise((res) => setTimeout(res, 1500));

  const page = await newPage(browser, { width: 1280, height: 900 });
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  const shot = async (hash, name, { full = true } = {}) => {
    await page.goto(`${troth.base}/#${hash}`);
    await page.waitForFunction(() => !document.querySelector('#main .loading') && !document.querySelector('[aria-busy="true"]'));
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: full });
  };
  await shot('/', 'dashboard');
  await shot(`/members/${ids[0]}`, 'member');
  await shot(`/certificates/${r.data.serial}`, 'certificate');
  await shot('/members', 'members');
  await shot('/attention', 'attention');
  await page.goto(`${troth.base}/#/audit`);
  await page.waitForFunction(() => !document.querySelector('#main .loading') && !document.querySelector('[aria-busy="true"]'));
  await page.screenshot({ path: path.join(out, 'audit.png'), fullPage: true });
  await page.setViewportSize({ width: 400, height: 860 });
  await shot('/', 'dashboard-400px');
  await page.setViewportSize({ width: 1280, height: 900 });
  await shot('/issue?member=' + ids[0], 'issue');
  await page.setViewportSize({ width: 400, height: 860 });
  await shot(`/members/${ids[0]}`, 'member-400px', { full: false });
  await page.close();
  const signin = await newPage(browser, { width: 1280, height: 760 });
  await signin.goto(`${troth.base}/#/signin`);
  await signin.getByLabel('Username').waitFor();
  await signin.screenshot({ path: path.join(out, 'signin.png') });
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await troth.stop();
}
