// The Webhooks page (admins): add an endpoint (the secret shown once, the
// API's refusal shown at the field), its delivery log with real failed
// attempts, the dead notices, removal; not in other roles' navigation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Troth, launchBrowser, newPage, signIn, sleep } from './harness.mjs';

let troth, browser;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

test('webhooks: add, delivery log, dead notices, remove', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
  await page.getByText('No webhook endpoints yet.').waitFor();

  // plain http to another host is refused, with the API's reason
  await page.getByLabel('URL (https)').fill('http://hooks.example.org/troth');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.locator('.notice-error, .field-error').getByText(/https/).waitFor();

  // loopback is allowed; nothing listens on port 9, so deliveries fail
  await page.getByLabel('URL (https)').fill('http://127.0.0.1:9/troth');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.getByText('Its signing secret').waitFor();
  const secret = (await page.locator('.secret-value').textContent()).trim();
  assert.match(secret, /^whsec_/);
  const row = page.getByRole('row').filter({ hasText: 'http://127.0.0.1:9/troth' });
  await row.waitFor();

  // a real event: a CRL made now is a crl.published notice whose first
  // attempt fails against the closed port
  const api = troth.api();
  const r = await api.raw('POST', '/api/v1/cas/issuing/crl');
  assert.ok(r.status < 300, JSON.stringify(r.data));
  const hooks = (await api.get('/api/v1/webhooks')).data.items;
  const id = hooks[0].id;
  for (let i = 0; i < 100; i++) {
    const log = (await api.get(`/api/v1/webhooks/${id}/deliveries`)).data.items;
    if (log.length && log[0].attempts > 0) break;
    await sleep(200);
  }
  await row.getByRole('button', { name: 'Delivery log' }).click();
  const logCard = page.locator('section.card').filter({ hasText: 'Delivery log:' });
  await logCard.getByText('crl.published').first().waitFor();
  await logCard.getByText(/failed: /).first().waitFor();
  assert.equal(await page.getByText(secret).count(), 1); // still only in the box shown once

  // a notice given up after max_attempts (made dead here: the real
  // back-off takes hours; tests/e2e/test_webhooks.py lets one die)
  troth.psql(`UPDATE outbox SET status = 'dead', done_at = now(), last_error = 'HTTP 500' WHERE webhook_id = ${id}`);
  await page.reload();
  const dead = page.locator('section.card').filter({ hasText: 'Dead notices' });
  await dead.getByText('crl.published').first().waitFor();
  await dead.getByText('HTTP 500').first().waitFor();

  // removal, with a confirmation
  await page.getByRole('row').filter({ hasText: 'http://127.0.0.1:9/troth' })
    .getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await page.getByText('No webhook endpoints yet.').waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('webhooks are not in an operator\'s navigation', async () => {
  const password = troth.user('wh-operator', 'operator');
  const page = await newPage(browser);
  await signIn(page, troth.base, 'wh-operator', password);
  const nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
  assert.doesNotMatch(nav, /Webhooks/);
  await page.close();
});
