// The REST API client: JSON in and out, the CSRF token on unsafe methods,
// RFC 9457 problems turned into ApiError with a human message.
// The CSRF token comes with the session (sign-in, and GET /api/v1/me in every
// tab); a tab without it, or with a stale one, asks /me again and retries once.

const CSRF_KEY = 'troth.csrf';
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `The server answered ${status}.`);
    this.status = status;
    this.type = (problem.type || '').replace('urn:troth:problem:', '');
    this.title = problem.title || '';
    this.field = problem.field || null;
    this.problem = problem;
  }
  // The server has no such route: the feature has not landed on this server.
  get unavailable() {
    return this.status === 404 && /^no such resource/.test(this.problem.detail || '');
  }
}

export function setCsrf(token) {
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

export const hasCsrf = () => !!sessionStorage.getItem(CSRF_KEY);

// fn(reason) is called when the session has ended (401, or a lost CSRF token).
export function onSessionEnded(fn) { listeners.add(fn); }

function sessionEnded(reason) {
  setCsrf(null);
  for (const fn of listeners) fn(reason);
}

async function problemOf(res) {
  const type = res.headers.get('Content-Type') || '';
  if (/json/.test(type)) {
    try { return await res.json(); } catch { /* fall through */ }
  }
  const what = res.status >= 500 ? 'The server had a problem' : 'The request was refused';
  return { title: res.statusText, detail: `${what} (HTTP ${res.status} ${res.statusText}).` };
}

// The session's CSRF token from GET /api/v1/me; false when there is no session.
async function refreshCsrf() {
  let res;
  try {
    res = await fetch('/api/v1/me', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
  } catch { return false; }
  if (!res.ok) return false;
  const me = await res.json().catch(() => ({}));
  setCsrf(me.csrf_token || null);
  return !!me.csrf_token;
}

// request('POST', '/api/v1/users', {username, role}) → parsed JSON (or text/blob with opts.as)
export async function request(method, path, body, opts = {}) {
  try {
    return await send(method, path, body, opts);
  } catch (err) {
    const unsafe = !['GET', 'HEAD'].includes(method);
    if (!(err instanceof ApiError) || !unsafe || err.type !== 'csrf-token-missing' || opts.retried) throw err;
    // this tab had no token, or an old one: the session tells it, then once more
    if (!await refreshCsrf()) {
      if (!opts.quiet) sessionEnded('expired');
      throw new ApiError(401, { type: 'urn:troth:problem:unauthenticated', title: 'Unauthorized',
        detail: 'Your session has ended. Please sign in again.' });
    }
    return send(method, path, body, { ...opts, retried: true });
  }
}

async function send(method, path, body, opts) {
  const headers = { Accept: opts.accept || 'application/json' };
  const unsafe = !['GET', 'HEAD'].includes(method);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const csrf = sessionStorage.getItem(CSRF_KEY);
  if (unsafe && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { title: 'Network error',
      detail: 'Cannot reach the Troth server. Check your connection and try again.' });
  }
  if (!res.ok) {
    const err = new ApiError(res.status, await problemOf(res));
    const signingIn = method === 'POST' && path === '/api/v1/session';
    const csrfRetry = err.type === 'csrf-token-missing' && !opts.retried;
    if (!opts.quiet && !signingIn && !csrfRetry && (res.status === 401 || err.type === 'csrf-token-missing'))
      sessionEnded(err.type === 'csrf-token-missing' ? 'csrf' : 'expired');
    throw err;
  }
  if (res.status === 204) return null;
  if (opts.as === 'blob') return res.blob();
  if (opts.as === 'text') return res.text();
  const type = res.headers.get('Content-Type') || '';
  return /json/.test(type) ? res.json() : res.text();
}

export const get = (path, query, opts) => request('GET', path + qs(query), undefined, opts);
export const post = (path, body, opts) => request('POST', path, body, opts);
export const patch = (path, body, opts) => request('PATCH', path, body, opts);
export const del = (path, opts) => request('DELETE', path, undefined, opts);

// ?a=1&b=2 from an object, skipping empty values.
export function qs(query) {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;
