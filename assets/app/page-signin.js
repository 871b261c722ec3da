// Sign in: username and password → a session cookie and a CSRF token.
import { h } from './dom.js';
import { post, setCsrf } from './api.js';
import { field, input, messageArea, notice } from './widgets.js';

export default async function signin(ctx) {
  ctx.title('Sign in');
  if (ctx.me) {
    ctx.go(ctx.query.next || ctx.home());
    return h('p', {}, 'Signed in.');
  }
  const msg = messageArea();
  if (ctx.query.bye) msg.show('success', 'You have signed out.');
  const reason = ctx.endedReason();
  if (reason === 'csrf') msg.show('warning', 'Please sign in again to make changes (this tab lost its session key).');
  else if (reason) msg.show('warning', 'Your session has ended. Please sign in again.');
  // a first visit to a page (no session ended in this tab) is no reason to warn
  const user = input('username', { autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false', value: ctx.query.username || '' });
  const pass = input('password', { type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');
  const form = h('form', { class: 'signin-form', novalidate: true },
    field('Username', user), field('Password', pass), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!user.value || !pass.value) {
      msg.show('error', 'Enter your username and password.');
      (user.value ? pass : user).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const res = await post('/api/v1/session', { username: user.value, password: pass.value });
      setCsrf(res.csrf_token);
      const me = { member_id: null, ...res.user };
      await ctx.signedIn(me);
      const next = ctx.query.next;
      ctx.go(next && !next.startsWith('/signin') ? next : ctx.home());
    } catch (err) {
      msg.error(err);
      pass.value = '';
      pass.focus();
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });
  setTimeout(() => user.focus(), 0);
  return h('div', { class: 'signin' },
    h('div', { class: 'signin-card' },
      h('div', { class: 'signin-brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'T'), 'Troth'),
      h('h1', {}, 'Sign in'),
      h('p', { class: 'sub' }, 'Trust community administration'),
      msg, form,
      h('p', { class: 'hint' }, 'Invited as a member? Open the link from your invitation to set a password.')),
    h('noscript', {}, notice('error', 'Troth needs JavaScript.')));
}
