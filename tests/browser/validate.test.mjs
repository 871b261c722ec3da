// The Sandbox page (the admin creates the conformance sandbox with its
// button, everyone sees the fixtures and their expected verdicts) and the
// Validate page (a pasted JWT's checks green and red, the chain drawn
// leaf first), with JWTs from the sandbox fetched as a relying party would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser;
before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

async function jwtOf(name, kind = 'software_statement') {
  const idx = await (await fetch(`${troth.public}/sandbox/index.json`)).json();
  const f = idx.fixtures.find((x) => x.name === name);
  return { text: (await (await fetch(f[kind].url)).text()).trim(), entry: f[kind] };
}

test('sandbox: the admin creates it from the page; the fixtures and verdicts are listed', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sandbox' }).click();
  await page.getByRole('heading', { name: 'Conformance sandbox' }).waitFor();
  await page.getByText('There is no sandbox yet').waitFor();
  await page.getByRole('button', { name: 'Create the sandbox' }).click();
  await page.locator('.notice-success').getByText(/generation 1, 17 fixtures/).waitFor({ timeout: 120000 });
  const row = page.getByRole('row').filter({ hasText: 'revoked-key-compromise' });
  await row.getByText('unapproved_software_statement').waitFor();
  await row.getByText('revocation').first().waitFor();
  await page.getByRole('row').filter({ hasText: 'issuing-crl-expired' }).getByText('expired').first().waitFor();
  // the button now refreshes
  await page.getByRole('button', { name: 'Refresh (re-issue now)' }).click();
  await page.locator('.notice-success').getByText(/generation 2/).waitFor({ timeout: 120000 });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('sandbox: an auditor sees it without the admin buttons', async () => {
  const password = troth.user('sb-auditor', 'auditor');
  const page = await newPage(browser);
  await signIn(page, troth.base, 'sb-auditor', password);
  await page.goto(`${troth.base}/#/sandbox`);
  await page.getByRole('row').filter({ hasText: 'valid-client' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Create the sandbox|Refresh/ }).count(), 0);
  await page.close();
});

test('validate: checks green and red, the chain drawn', async () => {
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Validate JWT' }).click();
  await page.getByRole('heading', { name: 'Validate a JWT' }).waitFor();

  // a valid one, against the sandbox
  const ok = await jwtOf('valid-client');
  await page.getByLabel('Signed JWT (compact)').fill(`${ok.text}\n`);
  await page.getByLabel('Check against').selectOption('sandbox');
  await page.getByLabel('Audience (aud)').fill(ok.entry.audience);
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.locator('.verdict-ok').getByText('Valid', { exact: true }).waitFor();
  assert.equal(await page.locator('.check-fail').count(), 0);
  assert.ok(await page.locator('.check-ok').count() >= 8);
  const chain = page.getByRole('list', { name: 'Certificate chain, leaf first' });
  const certs = chain.locator('.certchain-cert');
  assert.equal(await certs.count(), 3);
  assert.match(await certs.nth(0).innerText(), /Leaf[\s\S]*SANDBOX valid-client/i);
  assert.match(await certs.nth(2).innerText(), /Trust anchor[\s\S]*Troth SANDBOX Root CA/i);

  // a revoked one: its revocation check red, with the reason
  const bad = await jwtOf('revoked-key-compromise');
  await page.getByLabel('Signed JWT (compact)').fill(bad.text);
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.locator('.verdict-fail').getByText('Not valid: unapproved_software_statement').waitFor();
  const red = page.locator('.check-fail[data-check="revocation"]');
  await red.getByText(/keyCompromise/).waitFor();
  assert.equal(await page.locator('.check-ok[data-check="signature"]').count(), 1);

  // the same JWT against the community: no chain to its anchors
  await page.getByLabel('Check against').selectOption('community');
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.locator('.check-fail[data-check="chain"]').getByText(/not a trust anchor|no chain/).waitFor();

  // garbage: a failed format check, not an error page
  await page.getByLabel('Signed JWT (compact)').fill('not-a-jwt');
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.locator('.check-fail[data-check="format"]').waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});
