// A real `troth serve` on a throwaway PostgreSQL, and Debian's Chromium
// driven by playwright-core, for the browser tests.
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, chmodSync, writeFileSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.TROTH_BIN || path.join(ROOT, 'build/asan/troth');
const PG = path.join(ROOT, 'scripts/pg');
const SANITIZERS = {
  ASAN_OPTIONS: 'detect_leaks=1:halt_on_error=1:abort_on_error=0',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Troth {
  async start() {
    try {
      return await this.setUp();
    } catch (err) {
      await this.stop().catch(() => {});
      throw err;
    }
  }

  async setUp() {
    this.pgDir = mkdtempSync(path.join(tmpdir(), 'troth-browser-pg.'));
    chmodSync(this.pgDir, 0o755);
    execFileSync(PG, ['start', this.pgDir, '--throwaway'], { stdio: ['ignore', 'ignore', 'inherit'] });
    this.dbUrl = execFileSync(PG, ['url', this.pgDir]).toString().trim();
    this.dir = mkdtempSync(path.join(tmpdir(), 'troth-browser-srv.'));
    this.publicPort = await freePort();
    this.adminPort = await freePort();
    this.public = `http://127.0.0.1:${this.publicPort}`;
    this.base = `http://127.0.0.1:${this.adminPort}`;
    this.conf = path.join(this.dir, 'troth.conf');
    writeFileSync(this.conf, [
      '[server]',
      `public_listen = 127.0.0.1:${this.publicPort}`,
      `admin_listen = 127.0.0.1:${this.adminPort}`,
      `public_url = ${this.public}`,
      'threads = 2',
      '[database]',
      `url = ${this.dbUrl}`,
      '[ca]',
      `key_passphrase_file = ${path.join(this.dir, 'ca-passphrase')}`,
      '[community]',
      'uri = urn:troth:community:browser',
      'name = Browser Test Community',
      '[auth]',
      '# cheap password hashing: the tests sign in often, under ASan',
      'argon2_t_cost = 1',
      'argon2_m_cost = 1024',
      ...(this.extraConf || []),
      '',
    ].join('\n'));
    // the CA keys' passphrase: a long random first line
    writeFileSync(path.join(this.dir, 'ca-passphrase'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    this.cli('migrate');
    const out = this.cli('init');
    const m = /admin password: (\S+)/.exec(out);
    if (!m) throw new Error(`troth init printed no admin password:\n${out}`);
    this.adminPassword = m[1];
    this.logPath = path.join(this.dir, 'serve.log');
    const log = (await import('node:fs')).openSync(this.logPath, 'a');
    this.proc = spawn(BIN, ['-c', this.conf, 'serve'], { stdio: ['ignore', log, log], env: this.env() });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    await this.waitHealthy();
    return this;
  }

  env() {
    const e = { ...process.env, ...SANITIZERS };
    delete e.TROTH_DATABASE_URL;
    return e;
  }

  // Runs the CLI; returns stdout, throws with stderr on failure.
  cli(...args) {
    const input = args.length && typeof args[args.length - 1] === 'object' ? args.pop().input : undefined;
    const r = spawnSync(BIN, ['-c', this.conf, ...args], { env: this.env(), input, encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) throw new Error(`troth ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    return r.stdout;
  }

  psql(sql) {
    return execFileSync('psql', [this.dbUrl, '-XqAt', '-v', 'ON_ERROR_STOP=1', '-c', sql]).toString().trim();
  }

  async waitHealthy(timeout = 30000) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`troth serve exited ${this.proc.exitCode}:\n${this.log()}`);
      try {
        const r = await fetch(`${this.public}/healthz`);
        if (r.ok) return;
      } catch { /* not yet */ }
      await sleep(50);
    }
    throw new Error(`troth serve did not answer /healthz:\n${this.log()}`);
  }

  log() { try { return readFileSync(this.logPath, 'utf8'); } catch { return ''; } }

  // A user made with the CLI; returns its password.
  user(name, role, { member } = {}) {
    const password = `pw-${name}-${Math.random().toString(36).slice(2, 10)}-long`;
    const args = ['user', 'add', name, '--role', role, '--password-stdin'];
    if (member) args.push('--member', member);
    this.cli(...args, { input: `${password}\n` });
    return password;
  }

  // An API client (bearer token from the CLI) for setting up data.
  api(username = 'admin') {
    const token = this.cli('token', 'create', '--user', username).trim();
    const call = async (method, p, body, headers = {}) => {
      const r = await fetch(this.base + p, {
        method, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined,
      });
      const type = r.headers.get('Content-Type') || '';
      const data = /json/.test(type) ? await r.json() : await r.text();
      return { status: r.status, data, headers: r.headers };
    };
    return {
      get: (p) => call('GET', p), post: (p, b = {}) => call('POST', p, b),
      patch: (p, b) => call('PATCH', p, b), del: (p) => call('DELETE', p), raw: call,
    };
  }

  // Whether the server has a route (the API answers something else than "no such resource").
  async has(p) {
    const r = await fetch(this.base + p);
    if (r.status !== 404) return true;
    const body = await r.json().catch(() => ({}));
    return !/^no such resource/.test(body.detail || '');
  }

  async stop() {
    let problem = null;
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill('SIGTERM');
      const done = await Promise.race([this.exited, sleep(30000).then(() => null)]);
      if (!done) { this.proc.kill('SIGKILL'); problem = 'troth serve did not stop on SIGTERM'; }
      else if (done.code !== 0) problem = `troth serve exit ${done.code ?? done.signal}`;
    }
    const text = this.log();
    if (/ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/.test(text)) problem = 'sanitizer report in serve.log';
    if (this.pgDir) {
      spawnSync(PG, ['destroy', this.pgDir], { stdio: 'ignore' });
      rmSync(this.pgDir, { recursive: true, force: true });
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    if (problem) throw new Error(`${problem}:\n${text.slice(-6000)}`);
  }
}

// Debian's Chromium, headless, in a fresh empty profile; never a downloaded browser.
export async function launchBrowser() {
  const profile = mkdtempSync(path.join(tmpdir(), 'troth-chromium.'));
  mkdirSync(profile, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// A new page that records console errors, CSP violations and page errors.
export async function newPage(browser, { width = 1280, height = 900 } = {}) {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height });
  page.problems = [];
  page.on('console', (m) => {
    const t = m.text();
    if (/Content[- ]Security[- ]Policy/i.test(t)) page.problems.push(`CSP: ${t}`);
    else if (m.type() === 'error' && !/status of (401|403|404|409|422|400)/.test(t)) page.problems.push(`console error: ${t}`);
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  return page;
}

// Signs in through the form and waits for the signed-in shell.
export async function signIn(page, base, username, password) {
  await page.goto(`${base}/#/signin`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#sign-out').waitFor();
}

export { sleep };
