// Key generation with a result page (issue 14 §7): a member user may have
// its key pair made on the server (the API allows it), types the passphrase
// twice, and gets a page that offers the PKCS#12 for as long as it is open
// and says that Troth keeps no copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser, api, member, password;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  api = troth.api();
  member = (await api.post('/api/v1/members', { name: 'Willow Care', organization_id: 'https://willow.example.org' })).data;
  await api.post(`/api/v1/members/${member.id}/uris`, { uri: 'https://app.willow.example.org/', kind: 'client' });
  await api.raw('POST', `/api/v1/members/${member.id}/activate`);
  password = troth.user('willow-admin', 'member', { member: member.id });
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

test('a member user generates a key pair: passphrase twice, a result page, the download again', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'willow-admin', password);
  await page.goto(`${troth.base}/#/issue`);
  await page.getByRole('heading', { name: 'Request a certificate' }).waitFor();
  await page.getByLabel('https://app.willow.example.org/').check();
  await page.getByLabel('Generate a key pair on the server').check();
  await page.getByLabel('PKCS#12 passphrase').fill('willow passphrase one');
  await page.getByLabel('Repeat the passphrase').fill('willow passphrase two');
  await page.getByRole('button', { name: 'Request certificate' }).click();
  await page.getByText('The two passphrases differ').waitFor();
  assert.equal(await page.getByLabel('Repeat the passphrase').getAttribute('aria-invalid'), 'true');
  assert.equal((await api.get(`/api/v1/certificates?member_id=${member.id}`)).data.items.length, 0);

  await page.getByLabel('Repeat the passphrase').fill('willow passphrase one');
  const [first] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Request certificate' }).click()]);
  await page.getByRole('heading', { name: 'Your key pair and certificate' }).waitFor();
  await page.getByText('Troth keeps no copy of this key').waitFor();
  assert.match(first.suggestedFilename(), /^[A-Za-z0-9._-]+-[0-9a-f]+\.p12$/);
  // the same file again, while the page is open
  const again = page.getByRole('button', { name: /^Download .+\.p12$/ });
  const [second] = await Promise.all([page.waitForEvent('download'), again.click()]);
  assert.equal(second.suggestedFilename(), first.suggestedFilename());
  for (const d of [first, second]) {
    const out = execFileSync('openssl', ['pkcs12', '-in', await d.path(), '-nodes', '-passin', 'pass:willow passphrase one'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    assert.match(out, /BEGIN CERTIFICATE/);
    assert.match(out, /BEGIN PRIVATE KEY/);
  }
  const certs = (await api.get(`/api/v1/certificates?member_id=${member.id}`)).data.items;
  assert.equal(certs.length, 1);
  assert.match(first.suggestedFilename(), new RegExp(`-${certs[0].serial}\\.p12$`));
  await page.getByRole('link', { name: 'Go to the certificate' }).click();
  await page.locator('.page-header').getByText(`Serial ${certs[0].serial}`).waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});
