// Accept an invitation: the one-time token from the link and a new password.
import { h } from './dom.js';
import { post } from './api.js';
import { field, input, messageArea } from './widgets.js';

export default async function accept(ctx) {
  ctx.title('Accept invitation');
  const msg = messageArea();
  const token = input('token', { value: ctx.query.token || '', required: true, autocomplete: 'off' });
  const pass = input('password', { type: 'password', autocomplete: 'new-password', minlength: 12, required: true });
  const again = input('again', { type: 'password', autocomplete: 'new-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Set password');
  const form = h('form', { novalidate: true },
    field('Invitation code', token, 'From the link in your invitation.'),
    field('New password', pass, 'At least 12 characters.'),
    field('Repeat the password', again), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (pass.value !== again.value) { msg.show('error', 'The two passwords differ.'); again.focus(); return; }
    submit.disabled = true;
    submit.textContent = 'Saving…';
    try {
      await post('/api/v1/invitations/accept', { token: token.value.trim(), password: pass.value });
      form.remove();
      msg.show('success', 'Your account is ready. ', h('a', { href: '#/signin' }, 'Sign in now'));
    } catch (err) {
      msg.error(err);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Set password';
    }
  });
  return h('div', { class: 'signin' },
    h('div', { class: 'signin-card' },
      h('div', { class: 'signin-brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'T'), 'Troth'),
      h('h1', {}, 'Accept your invitation'),
      h('p', { class: 'sub' }, 'Choose a password for your member account.'),
      msg, form));
}
