// Your account: who you are, and changing your password.
import { h } from './dom.js';
import { post } from './api.js';
import { field, input, messageArea, pageHeader, card, details, busy, link, notice } from './widgets.js';

export default async function account(ctx) {
  ctx.title('Your account');
  const me = ctx.me;
  const msg = messageArea();
  const cur = input('current_password', { type: 'password', autocomplete: 'current-password', required: true });
  const pass = input('new_password', { type: 'password', autocomplete: 'new-password', minlength: 12, required: true });
  const again = input('again', { type: 'password', autocomplete: 'new-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Change password');
  const form = h('form', { class: 'form narrow', novalidate: true },
    field('Current password', cur), field('New password', pass, 'At least 12 characters.'),
    field('Repeat the new password', again), h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (pass.value !== again.value) { msg.show('error', 'The two new passwords differ.'); again.focus(); return; }
    await busy(submit, async () => {
      await post('/api/v1/me/password', { current_password: cur.value, new_password: pass.value });
      form.reset();
      // this session goes on (the server keeps the caller's own): no second sign-in
      if (me.must_change_password) {
        me.must_change_password = false;
        ctx.go(ctx.home());
        return;
      }
      msg.show('success', 'Your password has been changed. You stay signed in here; your other sessions and API tokens were signed out.');
    }, msg, 'Saving…');
  });
  const first = me.must_change_password
    ? notice('warning', 'Choose your own password to go on: the one you signed in with was generated when your account was made, and the administrator who made it has seen it.')
    : null;
  return h('div', {},
    pageHeader('Your account', 'Signed in as ' + me.username), first,
    card('Profile', details([
      ['Username', me.username], ['Role', me.role],
      me.member_id ? ['Organisation', link(`/members/${encodeURIComponent(me.member_id)}`, 'Your organisation')] : null,
    ])),
    card('Change password', msg, form));
}
