// Starts the admin UI: who is signed in, the page shell, the routes.
import { get, onSessionEnded, setCsrf, ApiError } from './api.js';
import { route, current, go } from './router.js';
import { h, clear } from './dom.js';
import { notice } from './widgets.js';
import { renderShell, setActive } from './shell.js';

const STAFF = ['admin', 'operator', 'auditor'];
const ALL = [...STAFF, 'member'];
const page = (name) => () => import(`./page-${name}.js`);

route('/signin', page('signin'), { public: true });
route('/accept', page('accept'), { public: true });
route('/', page('dashboard'), { roles: STAFF, nav: 'dashboard' });
route('/attention', page('attention'), { roles: STAFF, nav: 'attention' });
route('/members', page('members'), { roles: STAFF, nav: 'members' });
route('/members/:id', page('member'), { roles: ALL, nav: 'members' });
route('/certificates', page('certificates'), { roles: ALL, nav: 'certificates' });
route('/certificates/:serial', page('certificate'), { roles: ALL, nav: 'certificates' });
route('/issue', page('issue'), { roles: ['admin', 'operator', 'member'], nav: 'issue' });
route('/cas', page('cas'), { roles: ALL, nav: 'cas' });
route('/audit', page('audit'), { roles: ['admin', 'auditor'], nav: 'audit' });
route('/users', page('users'), { roles: ['admin'], nav: 'users' });
route('/webhooks', page('webhooks'), { roles: ['admin'], nav: 'webhooks' });
route('/tokens', page('tokens'), { roles: ALL, nav: 'tokens' });
route('/account', page('account'), { roles: ALL, nav: 'account' });
route('/validate', page('validate'), { roles: ALL, nav: 'validate' });
route('/sandbox', page('sandbox'), { roles: ALL, nav: 'sandbox' });

const app = document.getElementById('app');
const state = { me: null, community: null, endedReason: null };
let renderSeq = 0;
let navigated = false; // the first page of a visit keeps the browser's focus

onSessionEnded((reason) => {
  if (!state.me) return;
  state.me = null;
  state.endedReason = reason;
  const here = current();
  const next = here.route && !here.route.public ? here.raw : '/';
  go(`/signin?next=${encodeURIComponent(next)}`);
});

async function loadMe() {
  try {
    state.me = await get('/api/v1/me', null, { quiet: true });
    // this tab's CSRF token: a new tab, or a reload, has it from the session
    if (state.me.csrf_token) setCsrf(state.me.csrf_token);
    delete state.me.csrf_token;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    state.me = null;
  }
  return state.me;
}

function home(me) {
  return me.role === 'member' ? (me.member_id ? `/members/${me.member_id}` : '/certificates') : '/';
}

async function render() {
  const seq = ++renderSeq;
  const here = current();
  if (!here.route) return go(state.me ? home(state.me) : '/signin');
  const r = here.route;
  if (!r.public && !state.me) {
    return go(`/signin?next=${encodeURIComponent(here.raw)}`);
  }
  if (state.me && r.roles && !r.roles.includes(state.me.role)) {
    if (here.path === '/') return go(home(state.me));
  }
  // a generated password is changed before anything else (the API refuses the rest)
  if (state.me && state.me.must_change_password && !r.public && here.path !== '/account') return go('/account');
  const main = r.public ? clear(app) : renderShell(app, state, r.nav);
  if (!r.public) setActive(r.nav);
  clear(main).append(h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const ctx = {
    me: state.me, community: state.community, params: here.params, query: here.query, main, go,
    signedIn: async (me) => {
      state.me = me;
      state.endedReason = null;
      state.community = await get('/api/v1/community', null, { quiet: true }).catch(() => null);
      return me;
    },
    home: () => home(state.me),
    endedReason: () => state.endedReason,
    title: (t) => { document.title = t ? `${t} · Troth` : 'Troth'; },
  };
  let node;
  try {
    if (state.me && r.roles && !r.roles.includes(state.me.role)) {
      throw new ApiError(404, { title: 'Not found', detail: 'There is no such page for your account.' });
    }
    const mod = await r.loader();
    node = await mod.default(ctx);
  } catch (err) {
    if (seq !== renderSeq) return;
    if (err instanceof ApiError && (err.status === 401 || err.type === 'csrf-token-missing')) return;
    node = errorPage(err);
  }
  if (seq !== renderSeq) return;
  clear(main).append(node);
  const h1 = main.querySelector('h1');
  if (h1 && !r.public) {
    h1.tabIndex = -1;
    // a screen reader and the keyboard start at the new page's heading
    if (navigated && !main.contains(document.activeElement)) h1.focus();
  }
  navigated = true;
}

function errorPage(err) {
  console.warn(err);
  ctxTitle('Problem');
  if (err instanceof ApiError && err.unavailable) {
    return h('div', { class: 'error-page' }, h('h1', {}, 'Not available yet'),
      notice('info', 'This part of Troth is not offered by this server yet (its API answered “not found”).'),
      h('p', {}, h('a', { href: '#/' }, 'Back to the start page')));
  }
  if (err instanceof ApiError && err.status === 404) {
    return h('div', { class: 'error-page' }, h('h1', {}, 'Not found'),
      notice('warning', err.message || 'There is nothing here.'),
      h('p', {}, h('a', { href: '#/' }, 'Back to the start page')));
  }
  return h('div', { class: 'error-page' }, h('h1', {}, 'Something went wrong'),
    notice('error', err && err.message ? err.message : 'The page could not be shown.'),
    h('p', {}, h('button', { type: 'button', class: 'btn', on: { click: () => render() } }, 'Try again')));
}

function ctxTitle(t) { document.title = `${t} · Troth`; }

async function boot() {
  // the server's invitation links: /accept-invitation#token=…
  if (location.pathname === '/accept-invitation') {
    const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token') || '';
    history.replaceState(null, '', `/#/accept?token=${encodeURIComponent(token)}`);
  }
  try {
    const here = current();
    if (!(here.route && here.route.public)) await loadMe();
    else await loadMe().catch(() => null);
    state.community = await get('/api/v1/community', null, { quiet: true }).catch(() => null);
  } catch (err) {
    clear(app).append(errorPage(err));
    return;
  }
  window.addEventListener('hashchange', render);
  render();
}

boot();
