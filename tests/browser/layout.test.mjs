// Qualities of every main page: no CSP violation, usable at 1280 and 400
// px (no horizontal scrollbar), every form field labelled, security headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Troth, launchBrowser, newPage, signIn } from './harness.mjs';

let troth, browser;
const PAGES = ['/', '/attention', '/members', '/certificates', '/issue', '/cas', '/audit', '/users', '/tokens', '/account'];

before(async () => {
  troth = await new Troth().start();
  browser = await launchBrowser();
  const api = troth.api();
  for (let i = 0; i < 3; i++) await api.post('/api/v1/tokens', { name: `a-rather-long-token-name-number-${i}-for-layout` });
});
after(async () => {
  await browser?.close();
  await troth?.stop();
});

async function settle(page) {
  await page.locator('#main').waitFor();
  await page.waitForFunction(() => !document.querySelector('#main .loading') && !document.querySelector('[aria-busy="true"]'));
}

test('the admin listener sends the security headers', async () => {
  const r = await fetch(`${troth.base}/`);
  assert.match(r.headers.get('content-security-policy'), /default-src 'self'/);
  assert.doesNotMatch(r.headers.get('content-security-policy'), /unsafe-inline/);
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(r.headers.get('referrer-policy'));
});

for (const width of [1280, 400]) {
  test(`every main page at ${width} px: no CSP violation, no horizontal scroll, labelled fields`, async () => {
    const page = await newPage(browser, { width, height: 900 });
    await signIn(page, troth.base, 'admin', troth.adminPassword);
    for (const p of PAGES) {
      await page.goto(`${troth.base}/#${p}`);
      await settle(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${p} at ${width}px scrolls sideways by ${overflow}px`);
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
        .map((el) => el.name || el.outerHTML.slice(0, 80)));
      assert.deepEqual(unlabelled, [], `unlabelled fields on ${p}`);
      const h1 = await page.locator('#main h1').count();
      assert.ok(h1 >= 1, `${p} has no heading`);
    }
    // the sign-in page too
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0);
    assert.deepEqual(page.problems, []);
    await page.close();
  });
}

test('at 400 px the navigation opens from the menu button', async () => {
  const page = await newPage(browser, { width: 400, height: 800 });
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  const nav = page.getByRole('navigation', { name: 'Main' });
  assert.equal(await nav.isVisible(), false);
  await page.getByRole('button', { name: 'Menu' }).click();
  await nav.getByRole('link', { name: 'API tokens' }).click();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  assert.equal(await nav.isVisible(), false);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('an injected script in server data stays text', async () => {
  const api = troth.api();
  await api.post('/api/v1/tokens', { name: '<img src=x onerror="window.pwned=1">' });
  const page = await newPage(browser);
  await signIn(page, troth.base, 'admin', troth.adminPassword);
  await page.goto(`${troth.base}/#/tokens`);
  await page.getByText('<img src=x onerror="window.pwned=1">').waitFor();
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator('#main img').count(), 0);
  // the CSP listener itself works: an inline style is refused and reported
  await page.evaluate(() => { const d = document.createElement('div'); d.innerHTML = '<p style="color:red">x</p>'; document.body.append(d); });
  await page.waitForTimeout(200);
  assert.ok(page.problems.some((p) => p.startsWith('CSP:')), page.problems.join('\n'));
  await page.close();
});
