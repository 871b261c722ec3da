// The frame around every signed-in page: brand, navigation by role, the user menu.
import { h, clear } from './dom.js';
import { del, setCsrf } from './api.js';

const NAV = [
  { key: 'dashboard', href: '#/', label: 'Dashboard', roles: ['admin', 'operator', 'auditor'] },
  { key: 'attention', href: '#/attention', label: 'Needs attention', roles: ['admin', 'operator', 'auditor'] },
  { key: 'members', href: '#/members', label: 'Members', roles: ['admin', 'operator', 'auditor'] },
  { key: 'members', href: null, label: 'My organisation', roles: ['member'] },
  { key: 'certificates', href: '#/certificates', label: 'Certificates' },
  { key: 'issue', href: '#/issue', label: 'Issue', roles: ['admin', 'operator'] },
  { key: 'cas', href: '#/cas', label: 'CAs & CRLs' },
  { key: 'audit', href: '#/audit', label: 'Audit log', roles: ['admin', 'auditor'] },
  { key: 'users', href: '#/users', label: 'Users', roles: ['admin'] },
  { key: 'webhooks', href: '#/webhooks', label: 'Webhooks', roles: ['admin'] },
  { key: 'tokens', href: '#/tokens', label: 'API tokens' },
  { key: 'validate', href: '#/validate', label: 'Validate JWT' },
  { key: 'sandbox', href: '#/sandbox', label: 'Sandbox' },
  { key: 'api', href: '/api/v1/openapi.json', label: 'API document (OpenAPI)', external: true },
];

let shellFor = null;

export function renderShell(app, state, active) {
  const me = state.me;
  const key = `${me.id}:${me.role}:${state.community ? state.community.name : ''}`;
  const existing = app.querySelector('#main');
  if (existing && shellFor === key) return existing;
  shellFor = key;
  const items = NAV.filter((n) => !n.roles || n.roles.includes(me.role)).map((n) => {
    const href = n.href || `#/members/${encodeURIComponent(me.member_id || '')}`;
    return h('li', {}, h('a', { href, dataset: { nav: n.key }, target: n.external ? '_blank' : null, rel: n.external ? 'noopener' : null }, n.label));
  });
  const signOut = h('button', { type: 'button', class: 'btn btn-quiet', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    signOut.disabled = true;
    signOut.textContent = 'Signing out…';
    try {
      await del('/api/v1/session', { quiet: true });
    } catch (err) {
      // 401: the session had already ended, which is what was asked for;
      // anything else: the session may still be alive, and the person must know
      if (err.status !== 401) {
        signOut.disabled = false;
        signOut.textContent = 'Sign out';
        signOutFailed(err);
        return;
      }
    }
    setCsrf(null);
    location.hash = '#/signin?bye=1';
    location.reload();
  });
  const menuBtn = h('button', { type: 'button', class: 'btn btn-quiet nav-toggle', 'aria-expanded': 'false', 'aria-controls': 'nav' }, 'Menu');
  const nav = h('nav', { id: 'nav', class: 'nav', 'aria-label': 'Main' }, h('ul', {}, items));
  menuBtn.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    menuBtn.setAttribute('aria-expanded', String(open));
  });
  nav.addEventListener('click', (e) => {
    if (e.target.closest('a')) { nav.classList.remove('open'); menuBtn.setAttribute('aria-expanded', 'false'); }
  });
  const community = state.community;
  clear(app).append(
    h('a', { class: 'skip', href: '#main', on: { click: (e) => { e.preventDefault(); document.getElementById('main').focus(); } } }, 'Skip to content'),
    h('header', { class: 'topbar' },
      h('a', { class: 'brand', href: '#/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'T'), 'Troth'),
      community ? h('span', { class: 'community', title: community.uri || '' }, community.name) : null,
      menuBtn,
      h('div', { class: 'user' },
        h('a', { href: '#/account', class: 'user-name', title: 'Your account' }, me.username,
          h('span', { class: 'role' }, me.role)),
        signOut)),
    h('div', { class: 'layout' }, nav, h('main', { id: 'main', tabindex: '-1' })));
  return app.querySelector('#main');
}

// A loud, lasting message at the top of the page: the person is still signed in.
function signOutFailed(err) {
  document.getElementById('sign-out-failed')?.remove();
  const close = h('button', { type: 'button', class: 'btn btn-small' }, 'Dismiss');
  const box = h('div', { id: 'sign-out-failed', class: 'notice notice-error sign-out-failed', role: 'alert' },
    h('span', { class: 'notice-text' },
      `Sign-out failed: you are still signed in. ${err && err.message ? err.message : ''} Try again, or close the browser.`),
    close);
  close.addEventListener('click', () => box.remove());
  const layout = document.querySelector('.layout');
  layout.parentNode.insertBefore(box, layout);
  close.focus();
}

export function setActive(key) {
  for (const a of document.querySelectorAll('.nav a')) {
    if (a.dataset.nav === key) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}
