// Hash routes: #/members/42?tab=uris → {path: '/members/42', params: {id: '42'}, query}.

const table = [];

// route('/members/:id', loader, {roles: ['admin', ...], public: false})
export function route(pattern, loader, opts = {}) {
  const names = [];
  const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; }) + '$');
  table.push({ pattern, re, names, loader, ...opts });
}

export function current() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, q = ''] = raw.split('?');
  const query = Object.fromEntries(new URLSearchParams(q));
  for (const r of table) {
    const m = r.re.exec(path);
    if (m) {
      const params = {};
      r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      return { path, query, params, route: r, raw };
    }
  }
  return { path, query, params: {}, route: null, raw };
}

export function go(path) {
  if (location.hash === `#${path}`) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = path;
}
